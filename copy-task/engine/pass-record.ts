import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { wallClockNs } from './clock.ts';
import { currentBoot } from './durability.ts';
import { isLocal } from './file-systems.ts';
import { codeOf } from './scan.ts';

/**
 * What the engine remembers of the last complete pass between two roots, kept outside both (in a
 * state folder of the machine that runs the copy), so that the next pass need not read the
 * extended attributes of entries that cannot have changed since:
 *
 * - an entry's attributes (xattrs and ACLs among them) change only with its inode's ctime, which no
 *   one can set back;
 * - the last pass made every pair equal, or found it so, between its start (S) and its end (E);
 * - so a source entry whose ctime is before S and a destination entry whose ctime is before E still
 *   hold what that pass compared: their xattrs are not read again (their size, mtime, mode and owner
 *   still are, by lstat).
 *
 * That holds when both ctimes come from the clock the record was taken with, and the clock did not
 * step since: the record is used only on local file systems (not NFS, whose server keeps the
 * ctimes), in the same boot, when the wall clock moved exactly as the monotonic one since E. And
 * when nothing else wrote the destination while the last pass ran, which mirroring assumes anyway.
 * A margin of two seconds on both sides covers clocks that tick coarsely. A pass that compares by
 * content, follows a crash, or maps source modes reads everything, and so does one without a record.
 */
export interface PassMarks {
  /** Read the source's xattrs of entries with a ctime at or after this (ns since the epoch). */
  readonly sourceXattrsAfterNs: bigint;
  /** The same for the destination. */
  readonly destinationXattrsAfterNs: bigint;
  /** How finely the destination kept times as that pass found it (a record from before it was kept has none). */
  readonly timeGranularity: TimeGranularity | undefined;
}

/** What a pass's probe found (see time-granularity.ts), and how finely the platform it ran on sets times. */
export interface TimeGranularity {
  readonly destinationNs: bigint;
  /** A run on another platform (the addon, or Node's utimes) probes again: the probe's answer depends on both. */
  readonly platformNs: bigint;
}

interface RecordFile {
  readonly version: 1;
  readonly source: Identity;
  readonly destination: Identity;
  readonly startedNs: string;
  readonly endedNs: string;
  readonly monotonicEndedNs: string;
  readonly boot: string;
  /** What the pass's probe found, and the platform's own granularity (absent in older records). */
  readonly timeGranularityNs?: string;
  readonly platformTimeGranularityNs?: string;
}

/** A root: its path, and the folder there (an inode number is soon reused; its birth time tells them apart). */
interface Identity {
  readonly path: string;
  readonly dev: string;
  readonly ino: string;
  readonly born: string;
}

const MARGIN_NS = 2_000_000_000n;
/** How far the wall clock and the monotonic one may drift apart between two passes and count as not stepped. */
const CLOCK_TOLERANCE_NS = 1_000_000_000n;

export class PassRecords {
  readonly #folder: string;
  readonly #marginNs: bigint;
  readonly #scope: string | undefined;

  /**
   * `marginNs`: how far either side of a pass's bounds an entry's ctime must lie (tests shorten it).
   * `scope`: a partitioned pass's partitionKey (partition-range.ts): each partition between the same roots
   * keeps a record of its own, which no other partition's overwrites.
   */
  constructor(stateFolder: string, marginNs: bigint = MARGIN_NS, scope?: string) {
    this.#folder = join(stateFolder, 'passes');
    this.#marginNs = marginNs;
    this.#scope = scope;
  }

  /** The marks of the last complete pass between these roots, if they can be trusted now. */
  async marks(sourceRoot: Buffer, destinationRoot: Buffer): Promise<PassMarks | undefined> {
    let record: RecordFile;
    try {
      record = JSON.parse(await readFile(this.#file(sourceRoot, destinationRoot), 'utf8')) as RecordFile;
    } catch {
      return undefined;
    }
    if (record.version !== 1 || record.boot !== currentBoot()) return undefined;
    const [source, destination] = await Promise.all([identity(sourceRoot), identity(destinationRoot)]);
    if (!source || !destination || !sameIdentity(record.source, source) || !sameIdentity(record.destination, destination)) return undefined;
    if (!(await isLocal(sourceRoot)) || !(await isLocal(destinationRoot))) return undefined;
    const wall = wallClockNs() - BigInt(record.endedNs);
    const monotonic = process.hrtime.bigint() - BigInt(record.monotonicEndedNs);
    if (wall < 0n || monotonic < 0n || (wall > monotonic ? wall - monotonic : monotonic - wall) > CLOCK_TOLERANCE_NS) return undefined;
    return {
      sourceXattrsAfterNs: BigInt(record.startedNs) - this.#marginNs,
      destinationXattrsAfterNs: BigInt(record.endedNs) - this.#marginNs,
      timeGranularity:
        record.timeGranularityNs === undefined || record.platformTimeGranularityNs === undefined
          ? undefined
          : { destinationNs: BigInt(record.timeGranularityNs), platformNs: BigInt(record.platformTimeGranularityNs) },
    };
  }

  /**
   * Records a pass that got through without a failure: it started at `startedNs`, and ends now; its
   * probe found `timeGranularity`. Best effort (a state folder that cannot be written only costs the next pass its shortcut).
   */
  async record(sourceRoot: Buffer, destinationRoot: Buffer, startedNs: bigint, timeGranularity: TimeGranularity): Promise<void> {
    const boot = currentBoot();
    const [source, destination] = await Promise.all([identity(sourceRoot), identity(destinationRoot)]);
    if (!boot || !source || !destination) return;
    const record: RecordFile = {
      version: 1, source, destination, startedNs: String(startedNs), endedNs: String(wallClockNs()),
      monotonicEndedNs: String(process.hrtime.bigint()), boot,
      timeGranularityNs: String(timeGranularity.destinationNs), platformTimeGranularityNs: String(timeGranularity.platformNs),
    };
    const file = this.#file(sourceRoot, destinationRoot);
    const temp = `${file}.${process.pid}`;
    try {
      await mkdir(this.#folder, { recursive: true, mode: 0o700 });
      await writeFile(temp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      await rename(temp, file);
    } catch {
      // Not remembered: the next pass reads every attribute.
    }
  }

  /** Where the record of these roots is kept. */
  fileOf(sourceRoot: Buffer, destinationRoot: Buffer): string {
    return this.#file(sourceRoot, destinationRoot);
  }

  #file(sourceRoot: Buffer, destinationRoot: Buffer): string {
    const name = nameOf(Buffer.concat([sourceRoot, Buffer.from([0]), destinationRoot]));
    return join(this.#folder, this.#scope === undefined ? `${name}.json` : `${name}-p${this.#scope}.json`);
  }
}

/**
 * A file name for two roots: FNV-1a 64 of their bytes, in hex. Not for adversaries: a record is used
 * only if the roots it names are these (and loading crypto to name a file costs a tenth of a pass
 * over a tree in sync).
 */
function nameOf(bytes: Buffer): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return hash.toString(16).padStart(16, '0');
}

async function identity(root: Buffer): Promise<Identity | undefined> {
  try {
    const stats = await stat(root, { bigint: true });
    return { path: root.toString('latin1'), dev: String(stats.dev), ino: String(stats.ino), born: String(stats.birthtimeNs) };
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return a.path === b.path && a.dev === b.dev && a.ino === b.ino && a.born === b.born;
}
