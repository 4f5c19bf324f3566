#!/usr/bin/env node
/**
 * `npm run bench:migration`: a share of many files migrated end to end on the embedded default (issue 15,
 * "Measured": a 1 M-file share, partitioned, verified, with its time). Starts the runtime as `npm start`
 * does, on a fresh data folder, fills a share's export with `--files` small files (a folder of a third of
 * them, the rest in folders of 100), migrates it with `auto_complete` to the other backend as `--partitions`
 * copy tasks (`--max-copy-tasks` at once), and reports the phases' times from the migration record and the
 * runtime's peak RSS. The destination is compared with the source afterwards (names, sizes, modes, times).
 *
 *   node bench/partitioned-migration.ts [--files 1000000] [--partitions 4] [--max-copy-tasks 2]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ManilaClient } from '../local/manila-client.ts';
import { freePort, residentBytes } from '../local/process-probes.ts';
import { describeTree } from '../local/tree-digest.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '4' },
    'max-copy-tasks': { type: 'string', default: '2' },
  },
});
const files = Number(values.files);

/** A third of the files in one folder, the rest in folders of 100: small files of 1 to 4 KiB. */
async function fill(root: string): Promise<void> {
  const big = Math.floor(files / 3);
  await mkdir(path.join(root, 'one-folder'), { recursive: true });
  const content = Buffer.alloc(4096, 'x');
  const writes: Promise<void>[] = [];
  const flush = async () => {
    await Promise.all(writes);
    writes.length = 0;
  };
  for (let i = 0; i < files; i++) {
    const folder = i < big ? 'one-folder' : path.join('folders', `d${String(Math.floor((i - big) / 100)).padStart(5, '0')}`);
    if (i >= big && (i - big) % 100 === 0) await mkdir(path.join(root, folder), { recursive: true });
    writes.push(writeFile(path.join(root, folder, `f${String(i).padStart(7, '0')}`), content.subarray(0, 1024 + (i % 4) * 1024)));
    if (writes.length >= 256) await flush();
  }
  await flush();
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-bench-migration-'));
const token = randomUUID();
let child: ChildProcess | undefined;
try {
  const port = await freePort();
  child = spawn(process.execPath, [path.join(repo, 'local/main.ts')], {
    cwd: repo,
    env: { ...process.env, SMIG_DATA_DIR: dataDir, SMIG_PORT: String(port), SMIG_ADMIN_TOKEN: token, POWERTOOLS_LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const client = new ManilaClient(`http://127.0.0.1:${port}`, token);
  for (let tries = 0; ; tries++) {
    if ((await client.request('GET', '/shares').catch(() => ({ status: 0 }))).status === 200) break;
    if (tries > 600) throw new Error('the runtime did not answer');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const share = await client.createShare({ name: 'bench-partitioned', onlyHost: 'local@alpha#default' });
  const source = await client.exportPath(share.id);
  const filling = Date.now();
  await fill(source);
  process.stderr.write(`filled ${files} files in ${((Date.now() - filling) / 1000).toFixed(1)} s\n`);
  const expected = await describeTree(source);

  let peak = 0;
  const sampler = setInterval(() => residentBytes(child!.pid!).then((rss) => (peak = Math.max(peak, rss)), () => undefined), 500);
  const started = Date.now();
  const answer = await client.startMigration(share.id, 'local@beta#default', {
    auto_complete: true, partitions: Number(values.partitions), max_copy_tasks: Number(values['max-copy-tasks']),
  });
  if (answer.status !== 202) throw new Error(`migration_start answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  const after = await client.waitForTaskState(share.id, ['migration_success', 'migration_error', 'migration_cancelled'], 6 * 3600_000);
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const [migration] = await client.migrations(share.id);
  if (after.task_state !== 'migration_success') throw new Error(`the migration ended ${after.task_state}: ${JSON.stringify(migration.error)}`);
  const same = JSON.stringify(await describeTree(await client.exportPath(share.id))) === JSON.stringify(expected);
  const at = (state: string) => Date.parse(migration.history.find((h: { task_state: string }) => h.task_state === state)?.at ?? '');
  const span = (from: string, to: string) => ((at(to) - at(from)) / 1000).toFixed(1);
  process.stdout.write(`| files | partitions (at once) | migration s | bulk pass s | read-only window s | copies | destination as the source | runtime peak RSS MiB |\n| ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |\n`);
  const copies = migration.copies.map((c: { pass: string; files: number; seconds: number }) => `${c.pass}: ${c.files} files in ${c.seconds.toFixed(1)} s`).join('; ');
  const window = migration.read_only_since && migration.read_only_until ? ((Date.parse(migration.read_only_until) - Date.parse(migration.read_only_since)) / 1000).toFixed(1) : '-';
  process.stdout.write(`| ${files} | ${migration.partitions?.count ?? 1} (${values['max-copy-tasks']}) | ${seconds.toFixed(1)} | ${span('data_copying_in_progress', 'data_copying_completed')} | ${window} | ${copies} | ${same ? 'yes' : 'NO'} | ${(peak / 1024 / 1024).toFixed(0)} |\n`);
  if (!same) process.exitCode = 1;
} finally {
  child?.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await rm(dataDir, { recursive: true, force: true });
}
