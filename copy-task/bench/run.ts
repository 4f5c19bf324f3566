#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [--runs N] [--only small,large,noop,mixed,startup,memory,window] [--window-files N] [--dir PATH]`
 *
 * `window` (not run unless named: it builds its own tree of --window-files files, default 200,000) is
 * the read-only window of a migration's final pass in a fresh copy task process (read-only-window.ts).
 *
 * Times smig-copy against cp -a, rsync -a and rclone sync on the same trees in the same run (tools
 * interleaved, their order rotated each round), several runs each, and prints the medians and each
 * tool's time as a ratio to smig-copy's; writes the same as JSON. Before each timed run the source
 * (and a no-op pass's destination) is read into the page cache and the page cache written back, so no
 * tool pays for another, and memory is held touched until the run starts, with the VM's free page
 * reporting paused while it runs, so that every tool gets memory the host backs (see MemoryReserve
 * and PageReporting). Issue 3's targets are checked at the end. The trees are built under --dir (default: <tmpdir>/smig-bench, the same disk as the
 * destinations) and kept for the next run; SMIG_BENCH_QUICK=1 is --quick (small trees, two runs: a
 * smoke run, not a measurement).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { flush, footprint, forget, median, MemoryReserve, quietDisk, rotate, timed, Trash, warm, type Tool } from './measure.ts';
import { readOnlyWindowCase, type WindowResult } from './read-only-window.ts';
import { buildEmptyFilesTree, buildLargeTree, buildMixedTree, buildSmallTree } from './trees.ts';

const SECTIONS = ['small', 'large', 'noop', 'mixed', 'startup', 'memory'] as const;
/** Sections run only when --only names them. */
const OPT_IN = ['window'] as const;
type Section = (typeof SECTIONS)[number] | (typeof OPT_IN)[number];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env['SMIG_BENCH_QUICK'] === '1' },
    runs: { type: 'string' },
    only: { type: 'string' },
    dir: { type: 'string' },
    'window-files': { type: 'string' },
  },
});
const quick = values.quick;
const runs = values.runs ? Number(values.runs) : quick ? 2 : 5;
const only = new Set((values.only ?? SECTIONS.join(',')).split(',') as Section[]);
const base = resolve(values.dir ?? join(tmpdir(), 'smig-bench'));
mkdirSync(base, { recursive: true });
process.env['SMIG_BENCH_TMP'] = base;

const repo = resolve(import.meta.dirname, '../..');
const packageJson = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { bin: Record<string, string> };
const smigBin = join(repo, packageJson.bin['smig-copy'] as string);
// The CLI as installed (bin/smig-copy.cjs runs the compiled file): compiled now from the current sources.
spawnSync(process.execPath, [join(repo, 'copy-task/cli/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
const hasRclone = spawnSync('rclone', ['version'], { stdio: 'ignore' }).status === 0;

const shapes = {
  small: quick ? { files: 5_000, folders: 100, minBytes: 1024, maxBytes: 16 * 1024 } : { files: 50_000, folders: 1_000, minBytes: 1024, maxBytes: 16 * 1024 },
  large: quick ? { files: 8, bytes: 16 * 1024 * 1024 } : { files: 8, bytes: 256 * 1024 * 1024 },
  mixed: quick ? 1_000 : 10_000,
  memory: quick ? [2_000, 20_000] : [20_000, 200_000],
};

const smig = (...flags: string[]): Tool => ({
  name: ['smig-copy', ...flags].join(' '),
  command: (source, destination) => [process.execPath, smigBin, '--json', ...flags, source, destination],
});
const SMIG = smig('--no-verify');
const SMIG_VERIFY = smig('--verify');
/** What the pipeline's copy task does: on disk before it reports (against cp -a; sync). */
const SMIG_DURABLE = smig('--no-verify', '--durable');
/**
 * The copy task's passes, verified (the workflow sets SMIG_VERIFY=true) and durable: copies read back
 * from the page cache as written, and from storage once durable (the final pass's default).
 */
const SMIG_VERIFY_CACHE = smig('--verify', '--durable', '--no-verify-from-storage');
const SMIG_VERIFY_STORAGE = smig('--verify', '--durable', '--verify-from-storage');
const CP: Tool = { name: 'cp -a', command: (source, destination) => ['cp', '-a', source, destination] };
/** cp -a, then a write-back: durable, against smig-copy --durable. */
const CP_SYNC: Tool = { name: 'cp -a; sync', command: (source, destination) => ['sh', '-c', 'cp -a "$1" "$2" && sync', 'sh', source, destination] };
const RSYNC: Tool = { name: 'rsync -a', command: (source, destination) => ['rsync', '-a', `${source}/`, `${destination}/`] };
const RSYNC_HAX: Tool = { name: 'rsync -aHAX', command: (source, destination) => ['rsync', '-aHAX', `${source}/`, `${destination}/`] };
const RCLONE: Tool = { name: 'rclone sync', command: (source, destination) => ['rclone', 'sync', '--config', '/dev/null', source, destination] };
const others = (...tools: Tool[]) => (hasRclone ? [...tools, RCLONE] : tools);

interface Row {
  readonly tool: string;
  readonly seconds: number[];
  readonly median: number;
  /** This tool's median over the baseline's (above 1: the baseline is faster). */
  readonly ratio: number;
}

interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly baseline: string;
  readonly rows: Row[];
}

const results: CaseResult[] = [];
const notes: string[] = [];
if (!hasRclone) notes.push('rclone is not installed (apt-get install rclone): its rows are missing');
const sharedTrash = new Trash(join(base, 'trash'));
const trash = sharedTrash;
const log = (text: string) => process.stderr.write(`${text}\n`);
const reserve = new MemoryReserve();
/** What a tool process itself needs besides the page cache of what it copies. */
const PROCESS_BYTES = 256 * 1024 * 1024;

/**
 * A tool order for each round: a seeded shuffle, so that no tool always runs right after another
 * (a fixed rotation keeps neighbours together).
 */
function orderFor(tools: readonly Tool[], round: number): Tool[] {
  let state = ((round + 1) * 2654435761) >>> 0;
  const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
  const order = rotate(tools, round);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as Tool, order[i] as Tool];
  }
  return order;
}

/**
 * Copies `source` with every tool, `runs` rounds, each into a fresh destination. Trees of many files
 * are deleted only once every case is done (deleting many files makes the next creations slow here);
 * trees of large files between rounds (they would fill the disk otherwise).
 */
async function copyCase(id: string, title: string, source: string, tools: readonly Tool[], deleteEachRound = false): Promise<void> {
  const trash = deleteEachRound ? new Trash(join(base, `trash-${id}`)) : sharedTrash;
  const seconds = new Map(tools.map((tool) => [tool.name, [] as number[]]));
  const reserved = footprint(source) + PROCESS_BYTES;
  for (let round = 0; round < runs; round++) {
    for (const tool of orderFor(tools, round)) {
      const destination = join(base, `dst-${id}`);
      trash.put(destination);
      await reserve.hold(reserved);
      warm(source);
      flush();
      await quietDisk(base, 10_000);
      await reserve.release();
      const run = await timed(tool.command(source, destination));
      reserve.settle();
      seconds.get(tool.name)?.push(run.seconds);
      log(`  ${id} round ${round + 1}/${runs} ${tool.name}: ${run.seconds.toFixed(3)} s`);
      if (deleteEachRound) {
        flush();
        forget(destination);
      }
      trash.put(destination);
    }
    if (deleteEachRound) await trash.empty();
  }
  record(id, title, tools, seconds);
}

/** Each tool makes its own copy once (untimed), then runs again over it `runs` times: nothing to do. */
async function noopCase(source: string, tools: readonly Tool[]): Promise<void> {
  const seconds = new Map(tools.map((tool) => [tool.name, [] as number[]]));
  const destinationOf = (tool: Tool) => join(base, `dst-noop-${tools.indexOf(tool)}`);
  for (const tool of tools) {
    trash.put(destinationOf(tool));
    await timed(tool.command(source, destinationOf(tool)));
  }
  flush();
  for (const tool of tools) await timed(tool.command(source, destinationOf(tool))); // settle: atimes, caches
  for (let round = 0; round < runs; round++) {
    for (const tool of orderFor(tools, round)) {
      // Metadata only: reading data would move atimes, which a no-op pass compares.
      await reserve.hold(PROCESS_BYTES);
      warm(source, false);
      warm(destinationOf(tool), false);
      await reserve.release();
      const run = await timed(tool.command(source, destinationOf(tool)));
      reserve.settle();
      seconds.get(tool.name)?.push(run.seconds);
      log(`  noop round ${round + 1}/${runs} ${tool.name}: ${run.seconds.toFixed(3)} s`);
    }
  }
  for (const tool of tools) trash.put(destinationOf(tool));
  record('noop', `no-op incremental pass, ${shapes.small.files.toLocaleString('en')} files in sync`, tools, seconds);
}

function record(id: string, title: string, tools: readonly Tool[], seconds: Map<string, number[]>): void {
  const baseline = median(seconds.get(tools[0]?.name ?? '') ?? []);
  results.push({
    id,
    title,
    baseline: tools[0]?.name ?? '',
    rows: tools.map((tool) => {
      const list = seconds.get(tool.name) ?? [];
      return { tool: tool.name, seconds: list, median: median(list), ratio: median(list) / baseline };
    }),
  });
}

async function startupCase(): Promise<void> {
  const tools: Tool[] = [
    { name: 'smig-copy --help', command: () => [process.execPath, smigBin, '--help'] },
    { name: 'node -e 0 (reference)', command: () => [process.execPath, '-e', '0'] },
  ];
  const seconds = new Map(tools.map((tool) => [tool.name, [] as number[]]));
  const count = quick ? 5 : 20;
  for (let i = 0; i < count; i++) {
    for (const tool of tools) {
      await reserve.hold(PROCESS_BYTES);
      await reserve.release();
      seconds.get(tool.name)?.push((await timed(tool.command('', ''))).seconds);
      reserve.settle();
    }
  }
  record('startup', 'CLI start-up', tools, seconds);
}

interface MemoryResult {
  readonly files: number;
  readonly maxRssKiB: number[];
  readonly median: number;
}

const memory: MemoryResult[] = [];

async function memoryCase(): Promise<void> {
  const trees = shapes.memory.map((files) => ({ files, root: join(base, `empty-${files}`) }));
  for (const tree of trees) if (buildEmptyFilesTree(tree.root, tree.files)) log(`  built ${tree.root}`);
  const rss = new Map(trees.map((tree) => [tree.files, [] as number[]]));
  for (let round = 0; round < Math.max(3, runs); round++) {
    for (const tree of trees) {
      const destination = join(base, 'dst-memory');
      trash.put(destination);
      const run = await timed(SMIG.command(tree.root, destination), { maxRss: true });
      rss.get(tree.files)?.push(run.maxRssKiB ?? 0);
      log(`  memory ${tree.files} files: ${run.maxRssKiB} KiB, ${run.seconds.toFixed(2)} s`);
      trash.put(destination);
    }
  }
  for (const tree of trees) {
    const list = rss.get(tree.files) ?? [];
    memory.push({ files: tree.files, maxRssKiB: list, median: median(list) });
  }
}

/**
 * ext4 without a journal skips inodes freed in the last 60 s (360 s while their table block is
 * dirty) when it allocates, walking past each: creating files soon after deleting many is several
 * times slower. The last run's deletion is remembered, and its window waited out.
 */
const DELETED_AT = join(base, 'deleted-at');
const RECENTLY_DELETED_MS = 370_000;
if (existsSync(DELETED_AT)) {
  const wait = Number(readFileSync(DELETED_AT, 'utf8')) + RECENTLY_DELETED_MS - Date.now();
  if (wait > 0) {
    log(`waiting ${Math.ceil(wait / 1000)} s: many files were deleted here moments ago (ext4's recently-deleted inodes)`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

const load = { before: loadavg(), after: [] as number[] };
log(`bench folder: ${base}${quick ? ' (quick: a smoke run, not a measurement)' : ''}; ${runs} runs; ${cpus().length} cores; load ${load.before.map((l) => l.toFixed(2)).join(' ')}`);

const smallRoot = join(base, quick ? 'small-quick' : 'small');
if (only.has('small') || only.has('noop')) {
  if (buildSmallTree(smallRoot, shapes.small)) log(`  built ${smallRoot}`);
}
// First: the tools' own copies for it are its only files; later cases leave many copies in the inode cache.
// rsync -aHAX reads what smig-copy reads (xattrs and ACLs too): the like-for-like row.
if (only.has('noop')) await noopCase(smallRoot, [SMIG, RSYNC, RSYNC_HAX, ...others()]);
if (only.has('small')) {
  await copyCase('small', `small files: ${shapes.small.files.toLocaleString('en')} of 1–16 KiB in ${shapes.small.folders.toLocaleString('en')} folders`, smallRoot, [SMIG, SMIG_VERIFY, SMIG_DURABLE, SMIG_VERIFY_CACHE, SMIG_VERIFY_STORAGE, CP, CP_SYNC, ...others(RSYNC)]);
}
if (only.has('mixed')) {
  const mixedRoot = join(base, quick ? 'mixed-quick' : 'mixed');
  if (buildMixedTree(mixedRoot, shapes.mixed)) log(`  built ${mixedRoot}`);
  await copyCase('mixed', `mixed: ${shapes.mixed.toLocaleString('en')} files with symlinks, hard links, xattrs, ACLs, sparse files, FIFOs`, mixedRoot, [SMIG, SMIG_VERIFY, CP, ...others(RSYNC_HAX)]);
}
if (only.has('startup')) await startupCase();
let window: WindowResult | undefined;
if (only.has('window')) {
  const files = values['window-files'] ? Number(values['window-files']) : quick ? 20_000 : 200_000;
  window = await readOnlyWindowCase({ base, files, runs, smigBin, log });
}
if (only.has('memory')) await memoryCase();
// Last: its rounds delete what they made, which would slow the creation of many files after it.
if (only.has('large')) {
  const largeRoot = join(base, quick ? 'large-quick' : 'large');
  if (buildLargeTree(largeRoot, shapes.large)) log(`  built ${largeRoot}`);
  await copyCase('large', `large files: ${shapes.large.files} of ${shapes.large.bytes / 1024 / 1024} MiB, random`, largeRoot, [SMIG, SMIG_VERIFY, SMIG_DURABLE, SMIG_VERIFY_CACHE, SMIG_VERIFY_STORAGE, CP, CP_SYNC, ...others(RSYNC)], true);
}
load.after = loadavg();
await reserve.release();
reserve.settle();

// ---- report ----------------------------------------------------------------------------------

const lines: string[] = [];
const pad = (text: string, width: number) => text.padEnd(width);
lines.push(`${pad('case', 10)}${pad('tool', 24)}${pad('median', 10)}${pad('runs', 6)}time ÷ smig-copy's (above 1: smig-copy is faster)`);
for (const result of results) {
  result.rows.forEach((row, i) => {
    const label = i === 0 ? result.id : '';
    const ratio = i === 0 ? '1.00 (baseline)' : `${row.ratio.toFixed(2)}`;
    lines.push(`${pad(label, 10)}${pad(row.tool, 24)}${pad(`${row.median.toFixed(3)} s`, 10)}${pad(String(row.seconds.length), 6)}${ratio}`);
  });
}
if (memory.length === 2) {
  const [small, large] = memory as [MemoryResult, MemoryResult];
  lines.push(`${pad('memory', 10)}${pad(`peak RSS, ${small.files.toLocaleString('en')} files`, 24)}${pad(`${(small.median / 1024).toFixed(1)} MiB`, 10)}${pad(String(small.maxRssKiB.length), 6)}`);
  lines.push(`${pad('', 10)}${pad(`peak RSS, ${large.files.toLocaleString('en')} files`, 24)}${pad(`${(large.median / 1024).toFixed(1)} MiB`, 10)}${pad(String(large.maxRssKiB.length), 6)}${(large.median / small.median).toFixed(2)} (to ${small.files.toLocaleString('en')} files)`);
}

lines.push('');
for (const result of results) lines.push(`${result.id}: ${result.title}`);
if (window) lines.push('', ...window.lines);

interface Target {
  readonly what: string;
  readonly value: number;
  readonly met: boolean;
}

const targets: Target[] = [];
const rowOf = (id: string, tool: string) => results.find((r) => r.id === id)?.rows.find((row) => row.tool === tool);
const target = (what: string, value: number | undefined, met: (value: number) => boolean) => {
  if (value !== undefined && Number.isFinite(value)) targets.push({ what, value, met: met(value) });
};
target('large files: cp -a / smig-copy >= 1', rowOf('large', CP.name)?.ratio, (v) => v >= 1);
target('small files: cp -a / smig-copy >= 1.5', rowOf('small', CP.name)?.ratio, (v) => v >= 1.5);
target('no-op pass: rsync -a / smig-copy >= 2', rowOf('noop', RSYNC.name)?.ratio, (v) => v >= 2);
target('small files: verify on / off <= 1.25', rowOf('small', SMIG_VERIFY.name)?.ratio, (v) => v <= 1.25);
target('large files: verify on / off <= 1.25', rowOf('large', SMIG_VERIFY.name)?.ratio, (v) => v <= 1.25);
// Not a target: the durable rows against cp -a; sync, like for like.
const durable = (id: string) => {
  const smigRow = rowOf(id, SMIG_DURABLE.name);
  const cpRow = rowOf(id, CP_SYNC.name);
  return smigRow && cpRow ? cpRow.median / smigRow.median : undefined;
};
const durableLines = ['small', 'large'].flatMap((id) => {
  const ratio = durable(id);
  return ratio === undefined ? [] : [`durable ${id}: cp -a; sync / smig-copy --durable = ${ratio.toFixed(2)}`];
});
// Not a target either: what reading copies back from storage costs over reading them from the cache.
const storageLines = ['small', 'large'].flatMap((id) => {
  const storage = rowOf(id, SMIG_VERIFY_STORAGE.name);
  const cache = rowOf(id, SMIG_VERIFY_CACHE.name);
  return storage && cache ? [`verify from storage ${id}: / from the page cache (both durable) = ${(storage.median / cache.median).toFixed(2)}`] : [];
});
target('CLI start-up (s) < 0.1', rowOf('startup', 'smig-copy --help')?.median, (v) => v < 0.1);
if (memory.length === 2) target('memory: peak RSS 200k / 20k files <= 1.5', (memory[1] as MemoryResult).median / (memory[0] as MemoryResult).median, (v) => v <= 1.5);

lines.push('');
for (const t of targets) lines.push(`${t.met ? 'met    ' : 'MISSED '} ${t.what}: ${t.value.toFixed(3)}`);
for (const line of [...durableLines, ...storageLines]) lines.push(line);
lines.push('');
lines.push(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}); load average before ${load.before.map((l) => l.toFixed(2)).join(' ')}, after ${load.after.map((l) => l.toFixed(2)).join(' ')}`);
if (reserve.reportingPaused !== undefined) {
  lines.push(`VM free page reporting: ${reserve.reportingPaused ? 'paused during each run (see bench/page-reporting.ts)' : 'not paused (no page_reporting setting here, or not root)'}`);
}
for (const note of notes) lines.push(`note: ${note}`);

const jsonPath = join(base, 'bench-results.json');
writeFileSync(jsonPath, `${JSON.stringify({ quick, runs, base, node: process.version, cores: cpus().length, load, results, memory, window, targets, notes }, null, 2)}\n`);
lines.push(`results as JSON: ${jsonPath}`);
process.stdout.write(`${lines.join('\n')}\n`);
if (!existsSync(jsonPath)) process.exitCode = 1;
log(`deleting the copies under ${join(base, 'trash')}`);
await trash.empty();
writeFileSync(DELETED_AT, String(Date.now()));
