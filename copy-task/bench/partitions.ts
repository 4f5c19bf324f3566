#!/usr/bin/env node
/**
 * `npm run bench:partitions`: the partitioned copy's scale-out, by simulation on one machine (issue 15,
 * "Measured"). Each copy task is capped at the same rate (--bwlimit, standing in for a Fargate task's share
 * of the network), and one tree is copied as 1, 2, 4 and 8 partitions: plan (`smig-copy plan`), prepare,
 * the partitions as concurrent processes, seal, exactly as the workflow runs them; the time of each, the
 * speed-up over one task, and the balance of the plan. Then the resume: a partition's task killed mid-copy
 * (SIGKILL, as a Spot interruption ends a task) and run again copies in total at most a little more than the
 * tree (the killed run counted at most what its rate allowed it to read before the kill). Every copy is checked against the source (local/tree-digest.ts).
 *
 *   node copy-task/bench/partitions.ts [--mib 256] [--files 3000] [--rate 8M] [--partitions 1,2,4,8] [--dir DIR] [--keep]
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeTree } from '../../local/tree-digest.ts';

/** The installed program (its esbuild bundle, as `smig-copy` runs): the bench times copies, not TypeScript loading. */
const SMIG_COPY = fileURLToPath(new URL('../bin/smig-copy.cjs', import.meta.url));

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '256' },
    files: { type: 'string', default: '3000' },
    rate: { type: 'string', default: '8M' },
    partitions: { type: 'string', default: '1,2,4,8' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const totalMiB = Number(values.mib);
const smallFiles = Number(values.files);
const counts = values.partitions.split(',').map(Number);

interface Plan { readonly cuts: string[]; readonly partitions: { bytes: number; entries: number }[]; readonly totals: { bytes: number; entries: number } }
interface Summary { readonly bytes: number; readonly files: number }

/** Runs smig-copy with `args`; its JSON lines, and how it exited. */
function smigCopy(args: readonly string[], onStart?: (pid: number) => void): Promise<{ code: number | null; signal: string | null; lines: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SMIG_COPY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) onStart?.(child.pid);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 && signal === null) process.stderr.write(`smig-copy ${args.join(' ')} exited ${code}: ${err.slice(-2000)}\n`);
      const lines = out.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, signal, lines });
    });
  });
}

/** A rate as --bwlimit takes it: bytes per second, with an optional K, M or G (powers of 1,024). */
function parseRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(text);
  if (match === null) throw new Error(`--rate must be like 24M, got ${text}`);
  return Number(match[1]) * 1024 ** ' KMG'.indexOf((match[2] || ' ').toUpperCase());
}

function summaryOf(lines: Record<string, unknown>[]): Summary {
  const summary = lines.find((line) => line['type'] === 'summary') as Summary | undefined;
  if (summary === undefined) throw new Error('smig-copy printed no summary');
  return summary;
}

/**
 * The skewed tree, scaled: one folder holding half the files (a folder that must be split by name)
 * beside many small folders of 20 files each, file sizes from 16 KiB to about 2 MiB spread over both, so the
 * plan cuts inside the big folder and between small ones. Data is incompressible bytes (none sparse): every
 * byte is read.
 */
async function makeTree(root: string): Promise<void> {
  const block = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  const files = smallFiles;
  const target = totalMiB * 1024 * 1024;
  // Sizes cycle through a fixed spread whose mean makes the total.
  const shape = [1, 1, 2, 2, 3, 4, 6, 8, 12, 24, 64, 128];
  const unit = target / files / (shape.reduce((a, b) => a + b, 0) / shape.length);
  const contentOf = (i: number): Buffer => {
    // Both halves get the same spread of sizes (by i / 2, not by i, whose parity picks the half).
    const size = Math.max(1, Math.round(unit * shape[(Math.floor(i / 2) * 7) % shape.length]!));
    const offset = (i * 4099) % (block.length - size);
    const content = Buffer.from(block.subarray(offset, offset + size));
    content.writeUInt32LE(i, 0);
    return content;
  };
  await mkdir(path.join(root, 'many'), { recursive: true });
  for (let i = 0; i < files; i++) {
    const inBig = i % 2 === 0;
    const dir = inBig ? path.join(root, 'many') : path.join(root, 'folders', `d${String(Math.floor(i / 40)).padStart(5, '0')}`);
    if (!inBig && i % 40 === 1) await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `f-${String(i).padStart(7, '0')}`), contentOf(i));
  }
}

/** One partitioned copy as the workflow runs it; `kill` stops partition 0's task once after `killAfterMs` and runs it again. */
async function partitionedCopy(source: string, destination: string, count: number, kill?: { afterMs: number }): Promise<{ seconds: number; copySeconds: number; copied: number; plan: Plan }> {
  const started = performance.now();
  const planned = await smigCopy(['plan', '--partitions', String(count), source]);
  const plan = planned.lines[0] as unknown as Plan;
  const cuts = plan.cuts.flatMap((cut) => ['--cut', cut]);
  if ((await smigCopy(['prepare', ...cuts, source, destination])).code !== 0) throw new Error('prepare failed');
  const copyStarted = performance.now();
  const runs = plan.partitions.map(async (_, index) => {
    const range = [...(index > 0 ? ['--partition-from', plan.cuts[index - 1]!] : []), ...(index < plan.cuts.length ? ['--partition-to', plan.cuts[index]!] : [])];
    const args = ['--bwlimit', values.rate, '--no-state', ...range, source, destination];
    let copied = 0;
    if (kill !== undefined && index === 0) {
      let pid = 0;
      const timer = setTimeout(() => process.kill(pid, 'SIGKILL'), kill.afterMs);
      const first = await smigCopy(args, (p) => { pid = p; });
      clearTimeout(timer);
      if (first.signal !== 'SIGKILL') throw new Error(`partition 0 ended before it was killed (${first.code}); give it more data`);
      // What the killed run wrote is in no summary; its reads from the source were capped at the rate, so it
      // copied at most rate x its time: an upper bound, which the total below then includes.
      copied += Math.min(plan.partitions[0]!.bytes, (parseRate(values.rate) * kill.afterMs) / 1000);
    }
    const run = await smigCopy(args);
    if (run.code !== 0) throw new Error(`partition ${index} failed`);
    return copied + summaryOf(run.lines).bytes;
  });
  const copied = (await Promise.all(runs)).reduce((sum, bytes) => sum + bytes, 0);
  const copySeconds = (performance.now() - copyStarted) / 1000;
  if ((await smigCopy(['seal', ...cuts, source, destination])).code !== 0) throw new Error('seal failed');
  return { seconds: (performance.now() - started) / 1000, copySeconds, copied, plan };
}

const work = values.dir ?? await mkdtemp(path.join(tmpdir(), 'smig-bench-partitions-'));
const source = path.join(work, 'src');
try {
  process.stderr.write(`building the tree (${totalMiB} MiB, ${smallFiles} files) in ${source}\n`);
  await makeTree(source);
  const expected = await describeTree(source);
  const rows: string[] = [];
  let oneTask = 0;
  let oneTaskCopy = 0;
  for (const count of counts) {
    const destination = path.join(work, `dst-${count}`);
    const { seconds, copySeconds, plan } = await partitionedCopy(source, destination, count);
    if (JSON.stringify(await describeTree(destination)) !== JSON.stringify(expected)) throw new Error(`the copy in ${count} partitions differs from the source`);
    if (count === 1) {
      oneTask = seconds;
      oneTaskCopy = copySeconds;
    }
    const mean = { bytes: plan.totals.bytes / plan.partitions.length, entries: plan.totals.entries / plan.partitions.length };
    const largest = (key: 'bytes' | 'entries') => (Math.max(...plan.partitions.map((p) => p[key])) / mean[key]).toFixed(2);
    const ratio = (one: number, this_: number) => (one > 0 ? (one / this_).toFixed(2) : '-');
    rows.push(`| ${count} | ${plan.partitions.length} | ${seconds.toFixed(1)} | ${ratio(oneTask, seconds)} | ${copySeconds.toFixed(1)} | ${ratio(oneTaskCopy, copySeconds)} | ${largest('bytes')} | ${largest('entries')} |`);
    await rm(destination, { recursive: true, force: true });
  }
  process.stdout.write(`Partitioned copy, each task capped at ${values.rate.replace(/([KMG])$/i, ' $1iB')}/s (${totalMiB} MiB in ${smallFiles} files: half in one folder, half in folders of 20)\n\n`);
  process.stdout.write('| partitions asked | planned | seconds (plan, prepare, copy, seal) | speed-up over 1 | copy seconds | copy speed-up | largest/mean bytes | largest/mean entries |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n');
  process.stdout.write(`${rows.join('\n')}\n\n`);

  // Resume: partition 0 of 4 killed a third of the way into the copy, run again.
  const destination = path.join(work, 'dst-resume');
  const fourTasks = oneTaskCopy > 0 ? oneTaskCopy / 4 : 4;
  const { copied, plan } = await partitionedCopy(source, destination, 4, { afterMs: Math.max(500, (fourTasks * 1000) / 3) });
  if (JSON.stringify(await describeTree(destination)) !== JSON.stringify(expected)) throw new Error('the resumed copy differs from the source');
  process.stdout.write(`Resume: partition 0 of ${plan.partitions.length} killed (SIGKILL) mid-copy and run again: bytes copied in total ${(copied / plan.totals.bytes).toFixed(3)} x the tree\n`);
} finally {
  if (!values.keep && values.dir === undefined) await rm(work, { recursive: true, force: true });
}
