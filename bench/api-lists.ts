#!/usr/bin/env node
/**
 * `npm run bench:api [-- --shares N] [--seconds S] [--clients C] [--json FILE]`
 *
 * What a share list costs on the embedded default. Seeds N shares (default 10,000) into a fresh data
 * folder through the share store (the runtime's own adapter, so the items carry their list attributes as
 * the API would write them), then starts `npm start`'s program (local/main.ts) on that folder as a child
 * process, and measures it from this process over HTTP:
 *
 * - GET /v2/shares/detail?limit=10 with C concurrent clients (default 8) for S seconds: p50, p99, requests/s;
 *   the same for a few other list shapes (another index, all_tenants, a filter, the next page by marker,
 *   an order no index serves);
 * - the full detail list (1,000 shares, Manila's page limit), one client: p50, p99;
 * - the runtime's resident memory (VmRSS of the child) idle after start, its peak under load, and idle
 *   again after.
 *
 * `--rounds N` (default 3) runs the whole load N times: each row is its median over the rounds (its p50s
 * listed), and the RSS after each round shows whether memory keeps growing under the same load.
 *
 * Prints a table (the README's Performance section holds one) and the machine it ran on. No assertion:
 * the targets are printed next to the numbers. `--profile DIR` writes the runtime's CPU profile there
 * (node --cpu-prof, written when it exits), to see where a request's time goes; `--only TEXT` measures
 * only the list shapes whose row names contain TEXT (and the full list only if its row does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Share } from '../lambdas/core/model.ts';
import { cpuMs, freePort, residentBytes } from '../local/process-probes.ts';
import { startLocalRuntime } from '../local/runtime.ts';

const { values } = parseArgs({
  options: {
    shares: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '8' },
    json: { type: 'string' },
    profile: { type: 'string' },
    only: { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});
const SHARES = Number(values.shares);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
/** The whole load run this many times: the rows show the last round; the RSS after each round shows whether memory keeps growing. */
const ROUNDS = Math.max(1, Number(values.rounds));
const repo = path.resolve(import.meta.dirname, '..');
const ADMIN_PROJECT = 'admin';

interface Row {
  readonly what: string;
  readonly p50: number;
  readonly p99: number;
  readonly rps?: number;
  /** The runtime's CPU time (user + system) per request. */
  readonly cpuMsPerRequest?: number;
  /** The runtime's resident memory right after. */
  readonly rssMiB?: number;
  readonly target?: string;
  /** Each round's p50, when there were several. */
  readonly p50s?: readonly number[];
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-bench-api-'));
  const token = randomUUID();
  let child: ChildProcess | undefined;
  try {
    const seeded = await seed(dataDir, token, SHARES);
    process.stderr.write(`seeded ${SHARES} shares in ${(seeded.ms / 1000).toFixed(1)} s\n`);
    const port = await freePort();
    const started = Date.now();
    const profiling = values.profile ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(values.profile)] : [];
    child = spawn(process.execPath, [...profiling, path.join(repo, 'local/main.ts')], {
      cwd: repo,
      env: { ...process.env, SMIG_DATA_DIR: dataDir, SMIG_PORT: String(port), SMIG_ADMIN_TOKEN: token, POWERTOOLS_LOG_LEVEL: 'ERROR' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    const get = (pathAndQuery: string) => fetch(`${url}${pathAndQuery}`, { headers: { 'X-Auth-Token': token, 'X-OpenStack-Manila-API-Version': '2.72' } });
    await waitUntilAnswering(get);
    const answeringMs = Date.now() - started;
    await sleep(2000);
    const idleRss = await residentBytes(child.pid!);

    const rows: Row[] = [];
    const peak = { rss: idleRss };
    const sampler = setInterval(() => {
      residentBytes(child!.pid!).then((rss) => (peak.rss = Math.max(peak.rss, rss)), () => undefined);
    }, 100);
    // The second page's marker: the tenth share of the first page.
    const firstPage = (await (await get('/v2/shares?limit=10')).json()) as { shares: { id: string }[] };
    const marker = firstPage.shares[9]!.id;
    const loads: [string, string, string?][] = [
      ['GET /v2/shares/detail?limit=10', '/v2/shares/detail?limit=10', 'p50 ≤ 20 ms, ≥ 300 req/s'],
      ['GET /v2/shares?limit=10 (summaries)', '/v2/shares?limit=10'],
      ['… &marker=<10th> (next page)', `/v2/shares/detail?limit=10&marker=${marker}`],
      ['… &sort_key=name&sort_dir=asc', '/v2/shares/detail?limit=10&sort_key=name&sort_dir=asc'],
      ['… &all_tenants=1', '/v2/shares/detail?limit=10&all_tenants=1'],
      ['… &status=error (filter, 10% match)', '/v2/shares/detail?limit=10&status=error'],
      ['… &sort_key=host (no index: sorts the scope)', '/v2/shares/detail?limit=10&sort_key=host'],
    ];
    const measured = async (target: string, clients: number, check?: (body: string) => void) => {
      const cpuBefore = await cpuMs(child!.pid!);
      const result = await load(get, target, clients, SECONDS, check);
      return { ...result, cpuMsPerRequest: round((await cpuMs(child!.pid!)) - cpuBefore) / result.count, rssMiB: mib(await residentBytes(child!.pid!)) };
    };
    // Warm-up: the first requests compile the request path (JIT); each shape then gets a second of its own.
    await load(get, '/v2/shares/detail?limit=10', CLIENTS, 5);
    const wanted = (what: string) => values.only === undefined || what.includes(values.only);
    const roundRss: number[] = [];
    const rounds: Row[][] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Each round measures every row again; the table shows each row's median over the rounds.
      const measuredRows: Row[] = [];
      for (const [what, target, goal] of loads.filter(([what]) => wanted(what))) {
        await load(get, target, CLIENTS, 1);
        const { count: _count, ...result } = await measured(target, CLIENTS);
        measuredRows.push({ what: `${what}, ${CLIENTS} clients`, ...result, ...(goal ? { target: goal } : {}) });
      }
      const fullWhat = `GET /v2/shares/detail (all ${Math.min(SHARES, 1000)}), 1 client`;
      if (wanted(fullWhat)) {
        const { count: _count, ...full } = await measured('/v2/shares/detail', 1, (body) => {
          const count = (JSON.parse(body) as { shares: unknown[] }).shares.length;
          if (count !== Math.min(SHARES, 1000)) throw new Error(`the full list held ${count} shares`);
        });
        measuredRows.push({ what: fullWhat, ...full, target: 'p50 ≤ 150 ms' });
      }
      rounds.push(measuredRows);
      roundRss.push(mib(await residentBytes(child.pid!)));
    }
    rows.push(...rounds[0]!.map((first, i) => medianRow(first, rounds.map((r) => r[i]!))));
    clearInterval(sampler);
    await sleep(3000);
    const afterRss = await residentBytes(child.pid!);

    const report = {
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      shares: SHARES,
      seedSeconds: seeded.ms / 1000,
      answeringMs,
      rows,
      rssMiB: { idle: mib(idleRss), peakUnderLoad: mib(peak.rss), idleAfter: mib(afterRss), afterEachRound: roundRss.join(' → '), target: '≤ 250 MB, flat' },
    };
    process.stdout.write(`${table(report)}\n`);
    if (values.json) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((resolve) => child!.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * N shares of the admin's project through the runtime's share store, started in this process on the data
 * folder and closed again, 32 writes at a time. They are what the API would have created: one available
 * instance on the first local pool, every tenth in error.
 */
async function seed(dataDir: string, token: string, count: number): Promise<{ ms: number }> {
  const started = Date.now();
  const runtime = await startLocalRuntime({ dataDir, port: 0, adminToken: token, resume: false });
  try {
    const store = runtime.composition.migrationDeps.shares;
    const type = await runtime.composition.services.shareTypes.getDefault();
    const base = Date.parse('2026-01-01T00:00:00.000Z');
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < count; i = next++) {
        const id = randomUUID();
        const at = new Date(base + i * 1000).toISOString();
        const instance = {
          id: randomUUID(), share_id: id, host: 'local@alpha#default', status: 'available' as const, share_type_id: type.id, created_at: at,
          export_locations: [{ id: randomUUID(), path: `${dataDir}/backends/alpha/default/${id}`, preferred: true, is_admin_only: false }],
        };
        const share: Share = {
          id, name: `share-${String(i).padStart(5, '0')}`, description: 'seeded by bench/api-lists.ts', size: 1 + (i % 100), share_proto: 'NFS',
          share_type_id: type.id, project_id: ADMIN_PROJECT, user_id: 'admin', status: i % 10 === 0 ? 'error' : 'available', task_state: null,
          is_public: false, metadata: { seeded: 'true' }, availability_zone: null, share_network_id: null, active_instance_id: instance.id,
          instances: [instance], access_rules: [], migration_id: null, created_at: at, updated_at: at, version: 1,
        };
        await store.create(share);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
  } finally {
    await runtime.close();
  }
  return { ms: Date.now() - started };
}

/** `clients` loops requesting `target` for `seconds`: latency percentiles (ms) and requests per second. */
async function load(
  get: (target: string) => Promise<Response>, target: string, clients: number, seconds: number, check?: (body: string) => void,
): Promise<{ p50: number; p99: number; rps: number; count: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      const res = await get(target);
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${target}: ${res.status} ${body.slice(0, 200)}`);
      check?.(body);
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { p50: round(at(0.5)), p99: round(at(0.99)), rps: round(latencies.length / elapsed), count: latencies.length };
}

async function waitUntilAnswering(get: (target: string) => Promise<Response>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await get('/v2/scheduler-stats/pools')).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('the runtime did not answer within 60 s');
}

function table(report: { machine: { cpus: number; cpu: string; memoryGiB: number; node: string }; shares: number; rows: readonly Row[]; rssMiB: Record<string, number | string>; answeringMs: number }): string {
  const lines = [
    `Embedded default (npm start), ${report.shares.toLocaleString('en')} shares; ${report.machine.cpus} cores (${report.machine.cpu}), ${report.machine.memoryGiB} GiB, Node ${report.machine.node}; load from the same machine.`,
    '',
    '| request (median of the rounds) | p50 ms | p50 of each round | p99 ms | req/s | runtime CPU ms/req | RSS after, MiB | target |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |',
    ...report.rows.map((r) => `| ${r.what} | ${r.p50} | ${r.p50s?.join(', ') ?? ''} | ${r.p99} | ${r.rps ?? ''} | ${r.cpuMsPerRequest === undefined ? '' : round(r.cpuMsPerRequest)} | ${r.rssMiB ?? ''} | ${r.target ?? ''} |`),
    '',
    '| runtime RSS | MiB | target |',
    '| --- | ---: | --- |',
    `| idle after start | ${report.rssMiB['idle']} | ≤ 250 MB |`,
    `| peak under the load above | ${report.rssMiB['peakUnderLoad']} | flat |`,
    `| after each round of the whole load | ${report.rssMiB['afterEachRound']} | flat |`,
    `| idle after the load | ${report.rssMiB['idleAfter']} | |`,
    '',
    `Answering on its port ${(report.answeringMs / 1000).toFixed(1)} s after launch (data folder already holding the shares).`,
  ];
  return lines.join('\n');
}

/** A row's median over the rounds, field by field (a noisy VM moves one run's p50 by a quarter). */
function medianRow(first: Row, all: readonly Row[]): Row {
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  };
  const of = (key: 'p50' | 'p99' | 'rps' | 'cpuMsPerRequest' | 'rssMiB') => {
    const values = all.map((r) => r[key]).filter((v): v is number => v !== undefined);
    return values.length === 0 ? undefined : median(values);
  };
  return { ...first, p50: of('p50')!, p99: of('p99')!, rps: of('rps'), cpuMsPerRequest: of('cpuMsPerRequest'), rssMiB: of('rssMiB'), ...(all.length > 1 ? { p50s: all.map((r) => r.p50) } : {}) };
}

const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);
const round = (n: number): number => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await main();
