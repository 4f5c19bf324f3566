#!/usr/bin/env node
/**
 * `node bench/read-only-modes.ts [--files N] [--impl REPO] [--keep DIR]`
 *
 * What the local driver's read-only mode costs on a share of N files (default 200,000; as bench:migration
 * lays them out: a third in one folder, the rest in folders of 100, plus the folders). Three phases, each in
 * its own process so that each peak RSS is its own:
 *
 * - make: `makeReadOnly` (strip write bits, record the original modes);
 * - read: what the copy task does with the record for its final pass: `readOriginalModes`, then the
 *   packed form its addon walk takes (`SourceModes.packed`);
 * - restore: `restoreOriginalModes`.
 *
 * Prints wall time and peak RSS (and the RSS of the same process before the phase, to tell the phase from
 * Node itself) per phase, and the record's size. `--impl REPO` loads read-only.ts and source-modes.ts from
 * another checkout (e.g. `git archive HEAD lambdas copy-task | tar -x -C /tmp/before`) to compare before
 * and after on the same tree. No assertion: a benchmark figure, not a timed test.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = fileURLToPath(import.meta.url);
const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '200000' },
    impl: { type: 'string', default: path.resolve(path.dirname(here), '..') },
    keep: { type: 'string' },
    phase: { type: 'string' },
    dir: { type: 'string' },
  },
});

interface PhaseResult {
  readonly ms: number;
  readonly peakMiB: number;
  readonly beforeMiB: number;
}

const MIB = 1024 * 1024;

if (values.phase) {
  process.stdout.write(JSON.stringify(await runPhase(values.phase, values.dir!, values.impl)));
} else {
  await main();
}

async function main(): Promise<void> {
  const files = Number(values.files);
  const dir = values.keep ?? (await mkdtemp(path.join(tmpdir(), 'smig-bench-readonly-')));
  const data = path.join(dir, 'data');
  try {
    const built = await buildTree(data, files);
    const results: Record<string, PhaseResult> = {};
    let recordBytes = 0;
    for (const phase of ['make', 'read', 'restore']) {
      if (phase === 'restore') recordBytes = (await stat(path.join(dir, 'readonly-modes.json'))).size;
      const child = spawnSync(process.execPath, [here, '--phase', phase, '--dir', dir, '--impl', values.impl], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (child.status !== 0) throw new Error(`phase ${phase} failed: ${child.stderr}`);
      results[phase] = JSON.parse(child.stdout) as PhaseResult;
    }
    console.log(`read-only mode of ${files.toLocaleString('en')} files (${built.toLocaleString('en')} entries), ${values.impl}`);
    console.log(`${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; record ${(recordBytes / MIB).toFixed(1)} MiB`);
    console.log('| phase | time | peak RSS | RSS before the phase |');
    console.log('| --- | --- | --- | --- |');
    for (const [phase, result] of Object.entries(results)) {
      console.log(`| ${phase} | ${(result.ms / 1000).toFixed(2)} s | ${result.peakMiB.toFixed(0)} MiB | ${result.beforeMiB.toFixed(0)} MiB |`);
    }
  } finally {
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  }
}

async function runPhase(phase: string, dir: string, impl: string): Promise<PhaseResult> {
  const readOnly = (await import(pathToFileURL(path.join(impl, 'lambdas/drivers/local/read-only.ts')).href)) as typeof import('../lambdas/drivers/local/read-only.ts');
  const { SourceModes } = (await import(pathToFileURL(path.join(impl, 'copy-task/engine/source-modes.ts')).href)) as typeof import('../copy-task/engine/source-modes.ts');
  const data = path.join(dir, 'data');
  const record = path.join(dir, 'readonly-modes.json');
  const beforeMiB = process.memoryUsage.rss() / MIB;
  const started = performance.now();
  if (phase === 'make') await readOnly.makeReadOnly(data, record);
  else if (phase === 'restore') await readOnly.restoreOriginalModes(data, record);
  else if (phase === 'read') {
    const modes = await readOnly.readOriginalModes(record);
    const packed = new SourceModes(modes).packed();
    if (packed.length === 0) throw new Error('no modes recorded');
  } else throw new Error(`unknown phase ${phase}`);
  const ms = performance.now() - started;
  return { ms, peakMiB: (process.resourceUsage().maxRSS * 1024) / MIB, beforeMiB };
}

/** bench:migration's layout: a third of the files in one folder, the rest in folders of 100. Answers the entry count. */
async function buildTree(data: string, files: number): Promise<number> {
  const big = Math.floor(files / 3);
  const folders = new Map<string, Promise<unknown>>();
  const make = async (i: number): Promise<void> => {
    const folder = i < big ? 'one-folder' : path.join('folders', `d${String(Math.floor((i - big) / 100)).padStart(5, '0')}`);
    if (!folders.has(folder)) folders.set(folder, mkdir(path.join(data, folder), { recursive: true }));
    await folders.get(folder);
    await (await open(path.join(data, folder, `f${i}`), 'w', 0o644)).close();
  };
  for (let i = 0; i < files; i += 64) {
    await Promise.all(Array.from({ length: Math.min(64, files - i) }, (_, k) => make(i + k)));
  }
  return files + folders.size + 2;
}
