import { monotonicMs } from './clock.ts';
import type { IoContext, SourceState } from './context.ts';
import type { WriteBackJournal } from './durability.ts';
import type { PassMarks } from './pass-marks.ts';
import { CopyAbortedError, isAbort, VerificationError } from './errors.ts';
import { RunLedger } from './ledger.ts';
import { comparesOwners, isRunningAsRoot } from './metadata.ts';
import { display, keyOf, parentOf, resolveUnder } from './paths.ts';
import type { HardLink, LinkRegistry } from './plan.ts';
import type { PartitionView } from './partition-view.ts';
import type { Platform } from './platform.ts';
import { forEachConcurrent, type Slots } from './pool.ts';
import { ProgressTracker } from './progress.ts';
import type { Roots } from './roots.ts';
import { failureOf } from './scan.ts';
import type { CopySettings } from './settings.ts';
import type { CopyFailure, TreeEntry } from './types.ts';

/** How a file's copy ended in this run, for the names linked to it. */
export type CopyOutcome = SourceState | 'failed';

/** Slots of the block shared with the addon's work (see src/smig_util.h). */
export const CONTROL_BYTES = 0;
export const CONTROL_STOP = 1;
export const CONTROL_FILES = 2;
export const CONTROL_RATE = 3;
export const CONTROL_FOUND_FILES = 5;
export const CONTROL_FOUND_BYTES = 6;
export const CONTROL_SLOTS = 8;

/** What the survey (the first walk) found: totals for progress, and whether there is anything to do. */
export interface Survey {
  files: number;
  bytes: number;
  unchanged: number;
  work: boolean;
  readonly failures: CopyFailure[];
  readonly links: LinkRegistry;
}

/** The two walks over both trees: one implementation with the addon's folder calls, one portable. */
export interface TreeWalk {
  /** Counts, hard-link groups, and what cannot be copied, before anything is written. */
  survey(): Promise<Survey>;
  /** Makes every folder's entries like the source's; hard links, extras and folder attributes are left to the run. */
  copy(links: LinkRegistry): Promise<void>;
}

/**
 * What one run's phases and walks share: settings, the ledger and progress, and what the copying
 * walk leaves for the phases after it (hard links, extras, folders to finish).
 */
export class RunState {
  readonly settings: CopySettings;
  readonly roots: Roots;
  readonly platform: Platform;
  readonly isRoot = isRunningAsRoot();
  readonly ledger: RunLedger;
  readonly tracker: ProgressTracker;
  readonly started = monotonicMs();
  /** Keys of destination folders whose content this run changed: their times must be set again. */
  readonly touched = new Set<string>();
  /** How each leader of a hard-link group copied in this run ended (by key), for its further names. */
  readonly outcomes = new Map<string, CopyOutcome>();
  /** Every source folder met while copying, for its attributes at the end; and those already right. */
  readonly folders: TreeEntry[] = [];
  readonly settled = new Set<string>();
  /** Keys of folders the run leaves as they are (their source changed under the walk): not finished. */
  readonly unfinished = new Set<string>();
  readonly hardLinks: HardLink[] = [];
  readonly extras: TreeEntry[] = [];
  /** Bytes and files done by the addon, its stop flag and its rate limit (see CONTROL_*). */
  readonly control = new BigInt64Array(CONTROL_SLOTS);
  #drained = { bytes: 0n, files: 0n };
  /** Set once the destination's time granularity is probed and the journal opened. */
  context!: IoContext;
  slots!: Slots;
  journal!: WriteBackJournal;
  /** Whether a destination name the source lacks is a leftover of an earlier run (PlanOptions.isStaleTemp). */
  isStaleTemp: (name: Buffer) => boolean = () => false;
  /** What a partitioned pass sees of the trees (CopyOptions.partition); undefined: the whole tree. Set with isStaleTemp. */
  partition: PartitionView | undefined;
  /**
   * Keys of leftovers of earlier runs the survey found (temp files, hidden folders), until removed; and
   * of hidden folders of this run it could not rename. Any left at the end keep the journal, whose
   * tokens name them.
   */
  readonly leftovers = new Set<string>();
  timeGranularityNs = 1n;
  /** From the last complete pass between these roots: which entries' xattrs need reading (none: all). */
  marks: PassMarks | undefined;
  /**
   * The largest ctime (ns) of a source entry the survey saw, on the source's own clock: the next pass's
   * record hands it on as a lower bound of when the pass after starts (pass-marks.ts). undefined: none seen.
   */
  sourceCtimeMaxNs: bigint | undefined;

  noteSourceCtime(ns: bigint | undefined): void {
    if (ns !== undefined && (this.sourceCtimeMaxNs === undefined || ns > this.sourceCtimeMaxNs)) this.sourceCtimeMaxNs = ns;
  }

  constructor(roots: Roots, settings: CopySettings, platform: Platform) {
    this.settings = settings;
    this.roots = roots;
    this.platform = platform;
    // Reading copies back from storage takes the addon: without it, they are read back from the cache, as the summary says.
    const fromStorage = settings.verify && settings.verifyFrom === 'storage';
    const limitations =
      fromStorage && !platform.fast
        ? [...platform.limitations, `copies are read back from the page cache, not from storage (the native addon is not loaded: ${platform.nativeProblem})`]
        : platform.limitations;
    this.ledger = new RunLedger(settings.stableSource, limitations, platform.fast ? settings.verifyFrom : 'cache');
    this.tracker = new ProgressTracker({
      pass: settings.pass,
      intervalMs: settings.progressIntervalMs,
      now: monotonicMs,
      emit: settings.onProgress,
    });
    if (settings.bytesPerSecond !== undefined) this.control[CONTROL_RATE] = BigInt(settings.bytesPerSecond);
  }

  /** Whether owners are compared (metadata.ts, comparesOwners): as root, unless the destination refuses them and the run leaves them out. */
  get comparesOwners(): boolean {
    return comparesOwners({ isRoot: this.isRoot, leftOut: this.ledger.leftOut });
  }

  source(rel: Buffer): Buffer {
    return resolveUnder(this.roots.sourceRoot, rel);
  }

  destination(rel: Buffer): Buffer {
    return resolveUnder(this.roots.destinationRoot, rel);
  }

  /**
   * A source folder that was no longer a folder when a walk went into it (a link or a file now, or
   * gone): a change of the share, never a failure in itself. The copying walk notes it (listed among
   * `changed`, or `vanished`; in a final pass, whose source should be read-only, it fails the run) and
   * leaves it to the next pass, which copies what stands there then. The survey notes it only in a
   * final pass: otherwise the copying walk lists its parent again and copies what is there now.
   */
  noteMovedFolder(rel: Buffer, note: 'changed' | 'vanished', walk: 'survey' | 'copy'): void {
    if (walk === 'survey' && !this.settings.stableSource) return;
    this.ledger.noteSource({ rel }, note);
  }

  touch(rel: Buffer): void {
    this.touched.add(keyOf(rel));
  }

  touchParent(rel: Buffer): void {
    this.touched.add(keyOf(parentOf(rel)));
  }

  /** Runs one step; its failure is recorded against `rel` and the run goes on. An abort stops the run. */
  async attempt(rel: Buffer, what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof CopyAbortedError) throw error;
      if (isAbort(this.settings.signal, error)) throw new CopyAbortedError(this.settings.signal?.reason);
      // A failed verification says what it is by itself.
      if (error instanceof VerificationError) this.ledger.fail({ path: display(rel), reason: error.message });
      else this.ledger.fail(failureOf(rel, error, what));
    }
  }

  each<T>(items: Iterable<T>, work: (item: T) => Promise<void>): Promise<void> {
    return forEachConcurrent(items, this.settings.concurrency, this.settings.signal, work);
  }

  /** Turns the bytes and files the addon has done since the last look into progress; the bytes moved. */
  drainProgress(): bigint {
    const bytes = this.control[CONTROL_BYTES] as bigint;
    const files = this.control[CONTROL_FILES] as bigint;
    const moved = bytes - this.#drained.bytes;
    if (moved !== 0n || files !== this.#drained.files) {
      this.tracker.add(Number(files - this.#drained.files), Number(moved));
      this.#drained = { bytes, files };
    }
    return bytes;
  }

  /** The addon's copies stop between chunks once this is set. */
  stop(): void {
    this.control[CONTROL_STOP] = 1n;
  }

  get controlBuffer(): Buffer {
    return Buffer.from(this.control.buffer);
  }

  seconds(): number {
    return (monotonicMs() - this.started) / 1000;
  }
}
