/**
 * Timed runs of one copy tool each, with what surrounds them kept out of the timing: the page cache
 * is written back before each run (so no tool pays for the one before it), and old destinations are
 * renamed aside at once and deleted only between rounds (on this machine's disk, creating many files
 * right after deleting many is several times slower).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PageReporting } from './page-reporting.ts';

export interface Tool {
  readonly name: string;
  /** The command line that makes `destination` a copy of `source`. */
  readonly command: (source: string, destination: string) => readonly string[];
}

export interface TimedRun {
  readonly seconds: number;
  /** Peak resident set of the command, in KiB (only when asked for). */
  readonly maxRssKiB?: number;
}

/** Runs a command to completion; rejects with its stderr when it fails. */
export function timed(argv: readonly string[], options: { readonly maxRss?: boolean; readonly env?: NodeJS.ProcessEnv } = {}): Promise<TimedRun> {
  const rssFile = options.maxRss ? join(process.env['SMIG_BENCH_TMP'] ?? '/tmp', `rss-${process.pid}-${Date.now()}.txt`) : undefined;
  const full = rssFile ? ['/usr/bin/time', '-f', '%M', '-o', rssFile, ...argv] : [...argv];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(full[0] as string, full.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...options.env } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) {
        reject(new Error(`${argv.join(' ')} exited with ${code ?? signal}: ${stderr.trim()}`));
        return;
      }
      if (!rssFile) {
        resolve({ seconds });
        return;
      }
      const maxRssKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
      rmSync(rssFile, { force: true });
      resolve({ seconds, maxRssKiB });
    });
  });
}

/** Writes dirty pages back (outside any timed region). */
export function flush(): void {
  spawnSync('sync');
}

/**
 * Reads every file of `root` (outside any timed region) without moving its atime (O_NOATIME), so that
 * each tool starts with the source's data and metadata in the page cache: a round writes many copies,
 * which can push parts of the source out, and the tool that ran after them would pay for reading it
 * from the disk. With `data` false only the metadata is read (lstat): a no-op pass reads nothing else.
 */
export function warm(root: string, data = true): void {
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      lstatSync(path);
      if (entry.isDirectory()) visit(path);
      else if (data && entry.isFile()) {
        const fd = openSync(path, constants.O_RDONLY | constants.O_NOATIME | constants.O_NOFOLLOW);
        try {
          while (readSync(fd, buffer, 0, buffer.length, null) > 0);
        } finally {
          closeSync(fd);
        }
      }
    }
  };
  visit(root);
}

/**
 * Drops the page cache of the files of `root` once they are written back (outside any timed region):
 * a round of large copies would otherwise pile gigabytes of copies into memory, and the tools that
 * ran last would pay for the reclaim.
 */
export function forget(root: string): void {
  spawnSync('sh', ['-c', 'find "$1" -type f -exec dd if={} iflag=nocache count=0 status=none \\;', 'sh', root], { stdio: 'ignore' });
}

/**
 * Memory held touched between timed runs and handed to each run as it starts, so that every tool
 * alike gets pages the VM's host backs (see PageReporting): a tool that gets reported pages for its
 * page cache runs up to five times slower (cp -a on 2 GiB: 0.4 s or 2 s, all system time). The
 * reserve is taken and touched outside the timed region, with reporting paused, and freed right
 * before the run, which then allocates from it; reporting resumes when the run ends (`settle`).
 */
export class MemoryReserve {
  readonly #reporting = new PageReporting();
  #holder: ChildProcess | undefined;
  /** Whether the VM's free page reporting could be paused for the runs (undefined: no run yet). */
  reportingPaused: boolean | undefined;

  /** Takes `bytes` of memory and touches every page of it (outside any timed region). */
  async hold(bytes: number): Promise<void> {
    await this.#free();
    // Paused from before the reserve is touched: pages freed just before (the last run's copy) and
    // still being reported when the pause came in were found reported by the next run (measured:
    // smig-copy --verify on 8 x 256 MiB 2.2 s instead of 0.66 s when paused only at the release).
    this.reportingPaused = this.#reporting.pause();
    const mib = Math.ceil(bytes / (1024 * 1024));
    // Buffer.alloc of a large size is calloc, which an untouched mmap satisfies: fill touches every page.
    const script = `const held = []; for (let left = ${mib}; left > 0; left -= 64) held.push(Buffer.allocUnsafe(Math.min(64, left) * 1048576).fill(90)); process.stdout.write('held\\n'); setInterval(() => held.length, 1 << 30);`;
    const holder = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.#holder = holder;
    await new Promise<void>((resolve, reject) => {
      holder.stdout?.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`the memory reserve exited with ${code}`)));
    });
  }

  /** Frees the reserve for the run that starts next (reporting stays paused until settle()). */
  async release(): Promise<void> {
    await this.#free();
  }

  /** The run is over: the host may take free memory back again. */
  settle(): void {
    this.#reporting.resume();
  }

  /** Resolves once the holder is gone (its memory is free by then). */
  async #free(): Promise<void> {
    const holder = this.#holder;
    this.#holder = undefined;
    if (!holder || holder.exitCode !== null || holder.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
    holder.kill('SIGKILL');
    await gone;
  }
}

/** What copying `root` puts into memory: its page cache, page by page, and an allowance for each inode. */
export function footprint(root: string): number {
  let bytes = 0;
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const stat = lstatSync(path);
      bytes += Math.ceil(stat.size / 4096) * 4096 + 2048;
      if (entry.isDirectory()) visit(path);
    }
  };
  visit(root);
  return bytes;
}

/** Where destinations go once measured, until the round ends. */
export class Trash {
  readonly #dir: string;
  #count = 0;

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  put(path: string): void {
    if (!existsSync(path)) return;
    renameSync(path, join(this.#dir, `${process.pid}-${Date.now()}-${this.#count++}`));
  }

  /**
   * Deletes everything put aside, writes back, and waits for the disk to go quiet (deleting issues
   * discards that keep the device busy for seconds after rm returns), so the next round starts on a
   * quiet disk.
   */
  async empty(): Promise<void> {
    spawnSync('rm', ['-rf', this.#dir]);
    mkdirSync(this.#dir, { recursive: true });
    flush();
    await quietDisk(this.#dir);
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The tools in another order each round, so that none always runs first or last. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** The block device's line in /proc/diskstats for the file system holding `path`, if any. */
function diskStats(path: string): number[] | undefined {
  const dev = statSync(path).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const line = readFileSync('/proc/diskstats', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((fields) => Number(fields[0]) === major && Number(fields[1]) === minor);
  return line?.slice(3).map(Number);
}

/** Waits (at most `limitMs`) until the disk has nothing in flight and its counters stand still for a second. */
export async function quietDisk(path: string, limitMs = 60_000): Promise<void> {
  const started = Date.now();
  let last = diskStats(path)?.join(' ');
  let still = 0;
  while (last !== undefined && Date.now() - started < limitMs && still < 4) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = diskStats(path);
    const text = now?.join(' ');
    still = text === last && now?.[8] === 0 ? still + 1 : 0;
    last = text;
  }
}
