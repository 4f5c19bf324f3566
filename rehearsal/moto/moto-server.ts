/**
 * moto's server, started by the rehearsal on a free loopback port through rehearsal/moto/serve.py (the
 * launcher that makes its IAM enforcement usable, see there), and IAM enforcement switched on once the
 * rehearsal has set the account up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const LAUNCHER = fileURLToPath(new URL('./serve.py', import.meta.url));

export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  /** From now on every request must be signed by a known principal that its policies allow. */
  enforceIam(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Where moto's own log goes. @default - discarded */
  readonly logFile?: string;
  /** @default 'python3' */
  readonly python?: string;
}

export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOn(port, options);
    } catch (error) {
      // Another process may take the port between the probe and moto's bind: try another.
      if (attempt >= 3) throw error;
    }
  }
}

async function startOn(port: number, options: StartMotoOptions): Promise<MotoServer> {
  const child = spawn(options.python ?? 'python3', [LAUNCHER, '--host', '127.0.0.1', '--port', String(port)], {
    // Whatever the caller's environment says, moto starts with enforcement off (set-up needs it off).
    env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: 'inf', MOTO_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      log?.write(chunk);
      output.push(chunk.toString('utf8'));
      if (output.length > 50) output.shift();
    });
  }
  const endpoint = `http://127.0.0.1:${port}`;
  let stopping = false;
  child.once('exit', (code, signal) => {
    // Said loudly: every later call would fail with a refused connection and a scenario would only time out.
    if (!stopping) process.stderr.write(`rehearsal: moto's server exited unexpectedly (${signal ?? `exit ${code}`}); last output: ${output.join('').slice(-1000)}\n`);
  });
  try {
    await waitUntilServing(endpoint, child, output);
  } catch (error) {
    child.kill('SIGKILL');
    log?.end();
    throw error;
  }
  return {
    endpoint,
    port,
    enforceIam: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
      if (!response.ok) throw new Error(`moto refused to enforce IAM: ${response.status} ${await response.text()}`);
    },
    stop: () => {
      stopping = true;
      return stopChild(child).finally(() => log?.end());
    },
  };
}

async function waitUntilServing(endpoint: string, child: ChildProcess, output: readonly string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto's server exited with ${child.exitCode}: ${output.join('').slice(-2000) || 'no output'}. ` +
        'It needs moto 5 with its server extras in the python3 on PATH: pip install "moto[server]>=5,<6"');
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto's server did not answer on ${endpoint} within 30 s: ${output.join('').slice(-2000)}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
