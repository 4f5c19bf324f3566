import { stat } from 'node:fs/promises';
import { wallClockNs } from './clock.ts';
import { currentBoot } from './durability.ts';
import { isLocal } from './file-systems.ts';
import type { PassMarks, TimeGranularity } from './pass-marks.ts';
import { StateFolderRecordStore, type PassRecordStore } from './pass-record-store.ts';
import { codeOf } from './scan.ts';

export type { PassMarks, TimeGranularity } from './pass-marks.ts';

/**
 * What the engine remembers of the last complete pass between two roots, kept outside both (a state
 * folder of the machine that runs the copy, or a copy task's store beside the migration's progress:
 * pass-record-store.ts), so that the next pass need not read the extended attributes of entries that
 * cannot have changed since:
 *
 * - an entry's attributes (xattrs and ACLs among them) change only with its inode's ctime, which no
 *   one can set back, and which the clock of the file system's own machine sets (an NFS server's);
 * - the last pass made every pair equal, or found it so, between its start (S) and its end (E);
 * - so a source entry whose ctime is before S and a destination entry whose ctime is before E still
 *   hold what that pass compared: their xattrs are not read again (their size, mtime, mode and owner
 *   still are, by lstat).
 *
 * S and E must be read on the clock that sets each side's ctimes. Two ways to know them:
 *
 * - Local (the stronger, kept where it holds): both roots on local file systems, the record taken in
 *   this boot, and the wall clock moved exactly as the monotonic one since E. Then this machine's
 *   clock set every ctime, and S and E as it read them are the bounds.
 * - Portable (a fresh container over NFS/EFS, another machine, another boot): marks from the file
 *   systems' own clocks, which is what sets their ctimes.
 *   - Destination: E is the ctime of a probe made in the destination root once the pass changed all it
 *     changes there (pass-marks.ts): everything the pass did bears a ctime at or before it, anything
 *     done later one after. What the pass still does after it (the folders' last times) only makes
 *     those folders' xattrs read again. Sanity: the next pass makes a probe too; a ctime below E means
 *     the server's clock went back, and the record is not trusted.
 *   - Source: the run may not write there (in the final pass the source is read-only), so no probe.
 *     Every ctime the survey of a pass observes on the source was set before the server's "now" then,
 *     so the largest of them (M) is at most the end of that pass, which is before the next pass
 *     starts. The record of pass N keeps its M and hands on the M of pass N-1 (taken from the record
 *     it found) as its S: M(N-1) <= E(N-1) <= S(N). A pass with no record before it (the bulk pass)
 *     records only E and M: the pass after it reads every source entry's xattrs, the one after that
 *     skips those unchanged.
 *   The identity of a root across mounts is its path and inode (and birth time where the file system
 *   gives one): a device number is only this mount's.
 *   Left to the servers: their clocks do not step back by more than the margin and then return past
 *   E unseen between two passes (NFS servers keep time by NTP, which slews).
 *
 * Either way it also takes that nothing else wrote the destination while the last pass ran, which
 * mirroring assumes anyway. A margin of two seconds on both sides covers clocks (and ctimes) that tick
 * coarsely. A pass that compares by content, follows a crash, or maps source modes reads everything,
 * and so does one without a record.
 */
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
  /** E on the destination's clock: the end probe's ctime (portable marks; absent: none taken). */
  readonly destinationMarkNs?: string;
  /** S on the source's clock: the largest source ctime the pass before this one observed (absent: none known). */
  readonly sourceMarkNs?: string;
  /** The largest source ctime this pass observed: S of the next pass's record. */
  readonly sourceCtimeMaxNs?: string;
}

/** A root: its path, and the folder there (an inode number is soon reused; its birth time tells them apart). */
interface Identity {
  readonly path: string;
  readonly dev: string;
  readonly ino: string;
  readonly born: string;
}

/** What a pass that got through tells its record. */
export interface PassFacts {
  /** The wall clock when it started. */
  readonly startedNs: bigint;
  readonly timeGranularity: TimeGranularity;
  /** The destination's clock once it changed all it changes there (pass-marks.ts destinationNow); undefined: not taken. */
  readonly destinationMarkNs?: bigint | undefined;
  /** The largest ctime its survey observed on the source. */
  readonly sourceCtimeMaxNs?: bigint | undefined;
}

const MARGIN_NS = 2_000_000_000n;
/** How far the wall clock and the monotonic one may drift apart between two passes and count as not stepped. */
const CLOCK_TOLERANCE_NS = 1_000_000_000n;

export class PassRecords {
  readonly #store: PassRecordStore;
  readonly #marginNs: bigint;
  readonly #scope: string | undefined;
  /** The record found for these roots (whatever its marks are worth), read once. */
  #found: Promise<RecordFile | undefined> | undefined;

  /**
   * `store`: a state folder's path, or a store (pass-record-store.ts).
   * `marginNs`: how far either side of a pass's bounds an entry's ctime must lie (tests shorten it).
   * `scope`: a partitioned pass's partitionKey (partition-range.ts): each partition between the same roots
   * keeps a record of its own, which no other partition's overwrites.
   */
  constructor(store: string | PassRecordStore, marginNs: bigint = MARGIN_NS, scope?: string) {
    this.#store = typeof store === 'string' ? new StateFolderRecordStore(store) : store;
    this.#marginNs = marginNs;
    this.#scope = scope;
  }

  /**
   * The marks of the last complete pass between these roots, if they can be trusted now. `probe` gives
   * the destination's clock now (pass-marks.ts destinationNow), asked only when the local rule does not hold.
   */
  async marks(sourceRoot: Buffer, destinationRoot: Buffer, probe?: () => Promise<bigint | undefined>): Promise<PassMarks | undefined> {
    const record = await this.#load(sourceRoot, destinationRoot);
    if (!record) return undefined;
    const timeGranularity =
      record.timeGranularityNs === undefined || record.platformTimeGranularityNs === undefined
        ? undefined
        : { destinationNs: BigInt(record.timeGranularityNs), platformNs: BigInt(record.platformTimeGranularityNs) };
    if (await this.#localRuleHolds(record, sourceRoot, destinationRoot)) {
      return {
        sourceXattrsAfterNs: BigInt(record.startedNs) - this.#marginNs,
        destinationXattrsAfterNs: BigInt(record.endedNs) - this.#marginNs,
        timeGranularity,
      };
    }
    if (record.destinationMarkNs === undefined || !probe) return undefined;
    const mark = BigInt(record.destinationMarkNs);
    const now = await probe();
    // The destination's clock went back since (or it cannot be read): its ctimes say nothing of the record's E.
    if (now === undefined || now < mark) return undefined;
    return {
      sourceXattrsAfterNs: record.sourceMarkNs === undefined ? undefined : BigInt(record.sourceMarkNs) - this.#marginNs,
      destinationXattrsAfterNs: mark - this.#marginNs,
      timeGranularity,
    };
  }

  /**
   * Whether a pass between these roots should take a destination mark for its record: the record may be
   * read where the local rule does not hold (a shared store, or a root on a network file system).
   */
  async wantsDestinationMark(sourceRoot: Buffer, destinationRoot: Buffer): Promise<boolean> {
    if (this.#store.shared) return true;
    const [source, destination] = await Promise.all([isLocal(sourceRoot), isLocal(destinationRoot)]);
    return !source || !destination;
  }

  /**
   * Records a pass that got through without a failure; it ends now. Best effort (a store that cannot be
   * written only costs the next pass its shortcut).
   */
  async record(sourceRoot: Buffer, destinationRoot: Buffer, pass: PassFacts): Promise<void> {
    const boot = currentBoot();
    const [source, destination, previous] = await Promise.all([identity(sourceRoot), identity(destinationRoot), this.#load(sourceRoot, destinationRoot)]);
    if (!boot || !source || !destination) return;
    const record: RecordFile = {
      version: 1, source, destination, startedNs: String(pass.startedNs), endedNs: String(wallClockNs()),
      monotonicEndedNs: String(process.hrtime.bigint()), boot,
      timeGranularityNs: String(pass.timeGranularity.destinationNs), platformTimeGranularityNs: String(pass.timeGranularity.platformNs),
      ...(pass.destinationMarkNs !== undefined ? { destinationMarkNs: String(pass.destinationMarkNs) } : {}),
      // M of the pass before this one: at most its end, so at most this pass's start (see above).
      ...(previous?.sourceCtimeMaxNs !== undefined ? { sourceMarkNs: previous.sourceCtimeMaxNs } : {}),
      ...(pass.sourceCtimeMaxNs !== undefined ? { sourceCtimeMaxNs: String(pass.sourceCtimeMaxNs) } : {}),
    };
    await this.#store.save(this.keyOf(sourceRoot, destinationRoot), `${JSON.stringify(record)}\n`).catch(() => undefined);
    this.#found = undefined;
  }

  /** Where a state folder keeps the record of these roots. */
  fileOf(sourceRoot: Buffer, destinationRoot: Buffer): string {
    if (!(this.#store instanceof StateFolderRecordStore)) throw new TypeError('only a state folder keeps records in files');
    return this.#store.fileOf(this.keyOf(sourceRoot, destinationRoot));
  }

  /** The store's key of the record of these roots (and this partition). */
  keyOf(sourceRoot: Buffer, destinationRoot: Buffer): string {
    const name = nameOf(Buffer.concat([sourceRoot, Buffer.from([0]), destinationRoot]));
    return this.#scope === undefined ? name : `${name}-p${this.#scope}`;
  }

  /** The record of these roots if it names these very folders (by path and inode, not by device: see above). */
  #load(sourceRoot: Buffer, destinationRoot: Buffer): Promise<RecordFile | undefined> {
    this.#found ??= (async () => {
      let record: RecordFile;
      try {
        record = JSON.parse((await this.#store.load(this.keyOf(sourceRoot, destinationRoot))) ?? '') as RecordFile;
      } catch {
        return undefined;
      }
      if (record?.version !== 1) return undefined;
      const [source, destination] = await Promise.all([identity(sourceRoot), identity(destinationRoot)]);
      if (!source || !destination || !sameFolder(record.source, source) || !sameFolder(record.destination, destination)) return undefined;
      return record;
    })();
    return this.#found;
  }

  async #localRuleHolds(record: RecordFile, sourceRoot: Buffer, destinationRoot: Buffer): Promise<boolean> {
    if (record.boot !== currentBoot()) return false;
    const [source, destination] = await Promise.all([identity(sourceRoot), identity(destinationRoot)]);
    if (!source || !destination || record.source.dev !== source.dev || record.destination.dev !== destination.dev) return false;
    if (!(await isLocal(sourceRoot)) || !(await isLocal(destinationRoot))) return false;
    const wall = wallClockNs() - BigInt(record.endedNs);
    const monotonic = process.hrtime.bigint() - BigInt(record.monotonicEndedNs);
    return wall >= 0n && monotonic >= 0n && (wall > monotonic ? wall - monotonic : monotonic - wall) <= CLOCK_TOLERANCE_NS;
  }
}

/**
 * A key for two roots: FNV-1a 64 of their bytes, in hex. Not for adversaries: a record is used
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

/** The same folder, on any mount of its file system. */
function sameFolder(a: Identity, b: Identity): boolean {
  return a.path === b.path && a.ino === b.ino && a.born === b.born;
}
