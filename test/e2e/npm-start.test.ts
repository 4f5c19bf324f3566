import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startMain(dataDir: string, port: number): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['local/main.ts'], {
    env: { ...process.env, SMIG_DATA_DIR: dataDir, SMIG_PORT: String(port), SMIG_ADMIN_TOKEN: '', POWERTOOLS_LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

async function waitForAnswer(url: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      const res = await fetch(url);
      if (res.status === 300 || res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describe('npm start (local/main.ts)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('answers on its port, generates the admin token once (mode 600), stops on SIGTERM, and a restart keeps its shares and does not print the token again', async () => {
    // Prepare
    const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-start-'));
    dirs.push(dataDir);
    const port = await freePort();

    // Act: first start
    const first = startMain(dataDir, port);
    const firstMs = await waitForAnswer(`http://127.0.0.1:${port}/`, 60_000);
    console.info(`npm start answered after ${firstMs} ms (first start, empty data folder)`);
    // The API answers as soon as it listens; the banner follows once resumed migrations and the ticker are going.
    for (let i = 0; i < 100 && !/admin token:/.test(first.output()); i++) await new Promise((r) => setTimeout(r, 100));
    const token = /admin token:\s+(\S+)/.exec(first.output())?.[1];
    expect(token).toBeTruthy();
    expect((await stat(path.join(dataDir, 'admin-token'))).mode & 0o777).toBe(0o600);
    const created = await fetch(`http://127.0.0.1:${port}/v2/shares`, {
      method: 'POST',
      headers: { 'X-Auth-Token': token!, 'Content-Type': 'application/json', 'X-OpenStack-Manila-API-Version': '2.72' },
      body: JSON.stringify({ share: { share_proto: 'NFS', size: 1, name: 'kept' } }),
    });
    expect(created.status).toBe(200);
    const shareId = ((await created.json()) as { share: { id: string } }).share.id;
    expect(await stop(first.child)).toBe(0);

    // Act: second start on the same data folder
    const second = startMain(dataDir, port);
    const secondMs = await waitForAnswer(`http://127.0.0.1:${port}/`, 60_000);
    console.info(`npm start answered after ${secondMs} ms (restart)`);

    // Assess
    for (let i = 0; i < 100 && !/admin token:/.test(second.output()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(second.output()).toContain(`admin token:      kept in ${path.join(dataDir, 'admin-token')}`);
    expect(second.output()).not.toContain(token!);
    const shown = await fetch(`http://127.0.0.1:${port}/v2/shares/${shareId}`, { headers: { 'X-Auth-Token': token!, 'X-OpenStack-Manila-API-Version': '2.72' } });
    expect(shown.status).toBe(200);
    expect(((await shown.json()) as { share: { name: string } }).share.name).toBe('kept');
    expect(await stop(second.child)).toBe(0);
  });
});
