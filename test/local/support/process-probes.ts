import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, residentBytes } from '../../../local/process-probes.ts';

/** The repository's root, where `npm start` runs. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The TCP ports a process listens on, as `ss -ltnp` would list them for it: the LISTEN sockets of
 * /proc/net/tcp and tcp6 whose inode is one of the process's open file descriptors.
 */
export async function tcpListenPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex, st 0A is LISTEN, field 9 is the inode.
      if (fields.length < 10 || fields[3] !== '0A' || !inodes.has(fields[9]!)) continue;
      ports.push(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

export { freePort };

/** The resident set of a process in MiB (VmRSS of /proc/<pid>/status). */
export async function residentMiB(pid: number): Promise<number> {
  return (await residentBytes(pid)) / 1024 / 1024;
}

export interface StartedMain {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once it exited. */
  readonly exited: Promise<number | null>;
}

/** `npm start` (node local/main.ts) as a child process, with this environment on top of the test's. */
export function startMain(env: Record<string, string>): StartedMain {
  let output = '';
  const child = spawn(process.execPath, ['local/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, SMIG_ADMIN_TOKEN: '', POWERTOOLS_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Milliseconds until `url` answers (any HTTP status), polling every 20 ms. */
export async function waitForAnswer(url: string, timeoutMs: number, started = Date.now()): Promise<number> {
  while (Date.now() - started < timeoutMs) {
    try {
      await (await fetch(url)).arrayBuffer();
      return Date.now() - started;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Waits until the output matches, or fails after the timeout. */
export async function waitForOutput(main: StartedMain, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!pattern.test(main.output())) {
    if (Date.now() - started > timeoutMs) throw new Error(`no ${String(pattern)} in the output within ${timeoutMs} ms:\n${main.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGTERM, then the exit code. */
export async function stopMain(main: StartedMain): Promise<number | null> {
  if (main.child.exitCode === null && main.child.signalCode === null) main.child.kill('SIGTERM');
  return main.exited;
}

/** A path relative to the repository, for messages. */
export function repoRelative(file: string): string {
  return path.relative(REPO_ROOT, file);
}
