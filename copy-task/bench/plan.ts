#!/usr/bin/env node
/**
 * `npm run bench:plan [-- --scale F] [--remove-tree] [--synthetic N] [--dir PATH]`
 *
 * Measures the partition planner (copy-task/partition/) and prints a markdown table:
 * (a) the plan of a real tree of about 1 M entries (one folder of 300,000 files beside 7,000 folders of
 *     100, eight sparse files of 256 MiB among them; files get their size by ftruncate, so the tree takes
 *     inodes, not disk), listed with the addon and with Node's fs: time and peak RSS;
 * (b) the cut chooser alone on a synthetic listing of 10 M entries (synthetic.ts): time and peak RSS,
 *     and the same at 1 M, to show memory does not grow with the tree;
 * (c) balance on the real tree: the largest partition over the mean, in bytes and in entries, for 2,
 *     4, 8 and 16 partitions.
 * Each measurement runs in a child process of its own (this script with --child), so its peak RSS
 * (process.resourceUsage().maxRSS) is its own. The tree is built once under --dir (default
 * <tmpdir>/smig-bench/plan-tree) and kept for the next run unless --remove-tree; the page cache is
 * left as it is (the tree is warm after it is built: these are warm-cache figures). --scale 0.1 builds
 * and plans a tenth (a smoke run, not a measurement).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CutChooser } from '../partition/cut-chooser.ts';
import { portableLister } from '../partition/folder-listing.ts';
import { planOf } from '../partition/plan.ts';
import { makeSkewedTree } from '../partition/skewed-tree.ts';
import { surveyTree } from '../partition/survey.ts';
import { syntheticListing } from '../partition/synthetic.ts';

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    'remove-tree': { type: 'boolean', default: false },
    synthetic: { type: 'string', default: '10000000' },
    dir: { type: 'string' },
    child: { type: 'string' },
    source: { type: 'string' },
    entries: { type: 'string' },
  },
});

/** What a child measured. */
interface Measured {
  readonly seconds: number;
  readonly maxRssMiB: number;
  readonly entries: number;
  readonly bytes: number;
  readonly balance?: Record<number, { bytes: number; entries: number }>;
}

const BALANCE_AT = [2, 4, 8, 16];

if (values.child) {
  process.stdout.write(`${JSON.stringify(await child(values.child))}\n`);
  process.exit(0);
}

const scale = Number(values.scale);
const base = resolve(values.dir ?? join(tmpdir(), 'smig-bench'));
const tree = join(base, scale === 1 ? 'plan-tree' : `plan-tree-${scale}`);
const shape = {
  hugeFolderFiles: Math.round(300_000 * scale),
  smallFolders: Math.round(7_000 * scale),
  filesPerSmallFolder: 100,
  largeFiles: 8,
  largeFileBytes: 256 * 1024 ** 2,
};
if (!existsSync(`${tree}.complete`)) {
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  const started = performance.now();
  process.stderr.write(`building ${tree} (about ${Math.round(1_007_000 * scale).toLocaleString('en')} entries)...\n`);
  const entries = makeSkewedTree(tree, shape);
  writeFileSync(`${tree}.complete`, JSON.stringify({ shape, entries }));
  process.stderr.write(`built ${entries} entries in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}

const synthetic = Math.round(Number(values.synthetic) * scale);
const rows: [string, Measured][] = [
  ['(a) plan of the real tree, addon listing', run('real-native', ['--source', tree])],
  ['(a) plan of the real tree, Node fs listing', run('real-portable', ['--source', tree])],
  [`(b) chooser on a synthetic listing of ${synthetic.toLocaleString('en')}`, run('synthetic', ['--entries', String(synthetic)])],
  [`(b) chooser on a synthetic listing of ${Math.round(synthetic / 10).toLocaleString('en')}`, run('synthetic', ['--entries', String(Math.round(synthetic / 10))])],
  ['(baseline) Node starting this script, nothing planned', run('idle', [])],
];

const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(0);
console.log(`\nPlanner benchmark: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg()[0]?.toFixed(1)}, Node ${process.version}; warm page cache\n`);
console.log('| measurement | entries | MiB surveyed | time (s) | entries/s | peak RSS (MiB) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, measured] of rows) {
  const rate = measured.seconds > 0 && measured.entries > 0 ? Math.round(measured.entries / measured.seconds).toLocaleString('en') : '-';
  console.log(`| ${name} | ${measured.entries.toLocaleString('en')} | ${mib(measured.bytes)} | ${measured.seconds.toFixed(2)} | ${rate} | ${measured.maxRssMiB.toFixed(0)} |`);
}
const balance = rows[0]?.[1].balance ?? {};
console.log('\n| partitions (real tree) | largest / mean, bytes | largest / mean, entries |');
console.log('| ---: | ---: | ---: |');
for (const n of BALANCE_AT) console.log(`| ${n} | ${balance[n]?.bytes.toFixed(3)} | ${balance[n]?.entries.toFixed(3)} |`);

if (values['remove-tree']) {
  rmSync(tree, { recursive: true, force: true });
  rmSync(`${tree}.complete`, { force: true });
  process.stderr.write(`removed ${tree}\n`);
}

function run(kind: string, args: string[]): Measured {
  const result = spawnSync(process.execPath, [import.meta.filename, '--child', kind, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1024 ** 2 });
  if (result.status !== 0) throw new Error(`the ${kind} measurement failed (exit ${result.status})`);
  return JSON.parse(result.stdout) as Measured;
}

/** One measurement, in this (child) process. */
async function child(kind: string): Promise<Measured> {
  const started = performance.now();
  const chooser = new CutChooser();
  if (kind === 'real-native' || kind === 'real-portable') {
    const source = values.source as string;
    for await (const { path, bytes } of surveyTree(source, kind === 'real-portable' ? { list: portableLister() } : {})) chooser.add(path, bytes);
  } else if (kind === 'synthetic') {
    for (const { path, bytes } of syntheticListing({ entries: Number(values.entries) })) chooser.add(path, bytes);
  } else {
    return { seconds: 0, maxRssMiB: process.resourceUsage().maxRSS / 1024, entries: 0, bytes: 0 };
  }
  if (chooser.totals.entries > 0) planOf(chooser, () => 16);
  const seconds = (performance.now() - started) / 1000;
  const balance: Record<number, { bytes: number; entries: number }> = {};
  for (const n of BALANCE_AT) {
    const chosen = chooser.choose(n);
    const mean = { bytes: chooser.totals.bytes / chosen.length, entries: chooser.totals.entries / chosen.length };
    balance[n] = {
      bytes: Math.max(...chosen.map((p) => p.bytes)) / mean.bytes,
      entries: Math.max(...chosen.map((p) => p.entries)) / mean.entries,
    };
  }
  return { seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, ...chooser.totals, balance };
}
