#!/usr/bin/env node
/**
 * `npm run measure:start`: how fast `npm start` answers and how much memory it holds. Starts local/main.ts
 * on a fresh data folder (or the one given), times the first answer on its port from launch, reads the
 * process's VmRSS once it is idle, then (with --load-seconds) after 8 clients have listed shares for that
 * long and once it is idle again. Prints one JSON line.
 *
 *   node local/measure-start.ts [--data-dir <folder>] [--idle-seconds 3] [--load-seconds 0] [--shares 0]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMs, freePort, residentBytes } from './process-probes.ts';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    'idle-seconds': { type: 'string', default: '3' },
    'load-seconds': { type: 'string', default: '0' },
    'shares': { type: 'string', default: '0' },
  },
});
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'measure-start-token';
const API_VERSION = { 'X-OpenStack-Manila-API-Version': '2.72' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const scratch = values['data-dir'] === undefined ? await mkdtemp(path.join(tmpdir(), 'smig-measure-')) : undefined;
const dataDir = values['data-dir'] ?? path.join(scratch!, 'data');
const port = await freePort();
const launched = Date.now();
const child = spawn(process.execPath, ['local/main.ts'], {
  cwd: REPO_ROOT,
  env: { ...process.env, SMIG_DATA_DIR: dataDir, SMIG_PORT: String(port), SMIG_ADMIN_TOKEN: TOKEN, POWERTOOLS_LOG_LEVEL: 'ERROR' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;

try {
  const firstAnswerMs = await firstAnswer(`${base}/`, 120_000);
  const atFirstAnswer = await rssMiB(child.pid!);
  // CPU time spent until then: on a busy machine the wall time mostly measures the wait for a core.
  const cpuMsToFirstAnswer = await cpuMs(child.pid!);
  await sleep(Number(values['idle-seconds']) * 1000);
  const idle = await rssMiB(child.pid!);
  const result: Record<string, unknown> = { dataDir, firstAnswerMs, cpuMsToFirstAnswer, rssAtFirstAnswerMiB: atFirstAnswer, idleRssMiB: idle };
  const loadSeconds = Number(values['load-seconds']);
  if (loadSeconds > 0) {
    for (let i = 0; i < Number(values['shares']); i++) await api('POST', '/v2/shares', { share: { share_proto: 'NFS', size: 1, name: `measure-${i}` } });
    const requests = await listUnderLoad(loadSeconds * 1000, 8);
    result['requestsUnderLoad'] = requests;
    result['rssAfterLoadMiB'] = await rssMiB(child.pid!);
    await sleep(Number(values['idle-seconds']) * 1000);
    result['idleRssAfterLoadMiB'] = await rssMiB(child.pid!);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  if (scratch) await rm(scratch, { recursive: true, force: true });
}

async function firstAnswer(url: string, timeoutMs: number): Promise<number> {
  while (Date.now() - launched < timeoutMs) {
    try {
      await (await fetch(url)).arrayBuffer();
      return Date.now() - launched;
    } catch {
      await sleep(10);
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

async function api(method: string, route: string, body?: unknown): Promise<void> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { 'X-Auth-Token': TOKEN, 'Content-Type': 'application/json', ...API_VERSION },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status}`);
}

async function listUnderLoad(durationMs: number, clients: number): Promise<number> {
  const until = Date.now() + durationMs;
  let done = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < until) {
      await api('GET', '/v2/shares/detail?limit=10');
      done++;
    }
  }));
  return done;
}

async function rssMiB(pid: number): Promise<number> {
  return Math.round((await residentBytes(pid)) / 1024 / 1024);
}
