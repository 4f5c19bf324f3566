import { chmod, mkdir } from 'node:fs/promises';
import { BandwidthLimiter } from './bandwidth.ts';
import { contentDigest } from './checksum.ts';
import type { IoContext, SourceState } from './context.ts';
import { copyRegularFile } from './copy-file.ts';
import { copySpecial } from './copy-special.ts';
import { copySymlink } from './copy-symlink.ts';
import { JOURNAL_NAME, WriteBackJournal } from './durability.ts';
import { CopyAbortedError, CopyFailedError, isAbort, VerificationError } from './errors.ts';
import { RunLedger } from './ledger.ts';
import { linkFile } from './link-file.ts';
import { applyAttributes, isRunningAsRoot, verifyAttributes } from './metadata.ts';
import { display, keyOf, parentOf, resolveUnder } from './paths.ts';
import { planCopy, type CopyPlan, type HardLink } from './plan.ts';
import { createPlatform, type Platform } from './platform.ts';
import { forEachConcurrent } from './pool.ts';
import { ProgressTracker } from './progress.ts';
import { removeTree } from './remove.ts';
import type { Roots } from './roots.ts';
import { failureOf, scanTree } from './scan.ts';
import type { CopySettings } from './settings.ts';
import { probeTimeGranularity } from './time-granularity.ts';
import type { CopySummary, TreeEntry } from './types.ts';

/** How a file's copy ended in this run, for the names linked to it. */
type CopyOutcome = SourceState | 'failed';

/** How often a long copy writes back what it placed (see durability.ts). */
const CHECKPOINT_MS = 30_000;
/** How often bytes copied inside the addon become progress while a long file is copied. */
const PROGRESS_POLL_MS = 200;
/** How long a stopped run waits for the write-back that lets it remove its journal. */
const STOP_WRITE_BACK_MS = 1000;

/**
 * One run of the engine over resolved roots: scanning → (comparing) → copying → linking → deleting
 * → folder attributes, sharing a ledger and a progress tracker.
 */
export class CopyRun {
  readonly #settings: CopySettings;
  readonly #roots: Roots;
  readonly #platform: Platform;
  readonly #isRoot = isRunningAsRoot();
  readonly #ledger: RunLedger;
  readonly #tracker: ProgressTracker;
  readonly #started = performance.now();
  /** Keys of destination folders whose content this run changed: their times must be set again. */
  readonly #touched = new Set<string>();
  /** How each file copied in this run ended (by key), for its further names. */
  readonly #outcomes = new Map<string, CopyOutcome>();
  #context!: IoContext;
  /** Bytes done by the addon's copies and the stop flag they look at (see IoContext.control). */
  readonly #control = new BigInt64Array(2);
  #controlDrained = 0n;
  #journal: WriteBackJournal | undefined;

  constructor(roots: Roots, settings: CopySettings, platform: Platform = createPlatform()) {
    this.#settings = settings;
    this.#roots = roots;
    this.#platform = platform;
    this.#ledger = new RunLedger(settings.stableSource, platform.limitations);
    this.#tracker = new ProgressTracker({
      pass: settings.pass,
      intervalMs: settings.progressIntervalMs,
      now: () => performance.now(),
      emit: settings.onProgress,
    });
  }

  async run(): Promise<CopySummary> {
    const stop = () => (this.#control[1] = 1n);
    this.#settings.signal?.addEventListener('abort', stop);
    const timers: NodeJS.Timeout[] = [];
    try {
      return await this.#run(timers);
    } catch (error) {
      const journal = this.#journal;
      if (journal) await (isAbort(this.#settings.signal, error) ? journal.abandon(STOP_WRITE_BACK_MS) : journal.close()).catch(() => undefined);
      throw error;
    } finally {
      for (const timer of timers) clearInterval(timer);
      this.#settings.signal?.removeEventListener('abort', stop);
    }
  }

  async #run(timers: NodeJS.Timeout[]): Promise<CopySummary> {
    this.#tracker.startPhase('scanning');
    const timeGranularityNs = await probeTimeGranularity(this.#platform, this.#roots.destinationRoot);
    this.#touched.add(''); // the probe came and went in the root
    const fast = this.#platform.fast;
    this.#journal = fast ? await WriteBackJournal.open(this.#roots.destinationRoot, (path) => fast.syncfs(path)) : undefined;
    this.#context = {
      ...this.#roots,
      isRoot: this.#isRoot,
      signal: this.#settings.signal,
      limiter: this.#settings.bytesPerSecond === undefined ? undefined : new BandwidthLimiter(this.#settings.bytesPerSecond),
      sourceModes: this.#settings.sourceModes,
      platform: this.#platform,
      verify: this.#settings.verify,
      timeGranularityNs,
      hooks: this.#settings.hooks,
      control: Buffer.from(this.#control.buffer),
      syncEachFile: this.#journal === undefined,
    };
    const plan = await this.#scan(timeGranularityNs);
    const differing = await this.#compare(plan.compareFiles);
    await this.#prepareFolders(plan, differing);
    timers.push(setInterval(() => this.#drainProgress(), PROGRESS_POLL_MS).unref());
    const journal = this.#journal;
    if (journal) timers.push(setInterval(() => void journal.checkpoint(), CHECKPOINT_MS).unref());
    await this.#copy(plan, differing);
    this.#drainProgress();
    await this.#link(plan.hardLinks);
    // Extras go only once everything else is in place, and not at all if anything failed.
    if (this.#ledger.failures.length === 0) await this.#remove('deleting', plan.extras);
    // What the pass placed is on disk before the journal goes (and so before the folders' last times).
    await this.#journal?.close();
    await this.#finishFolders(plan);
    if (fast) await fast.syncfs(this.#roots.destinationRoot);

    const summary = this.#ledger.summary(this.#settings.verify, this.#seconds());
    if (this.#ledger.failures.length > 0) throw new CopyFailedError(this.#ledger.failures, summary);
    this.#tracker.finish({ files: summary.files, bytes: summary.bytes, seconds: summary.seconds });
    return summary;
  }

  /** Scans both trees and plans; fails before touching anything if the source holds what cannot be copied. */
  async #scan(timeGranularityNs: bigint): Promise<CopyPlan> {
    const readXattrs = (abs: Buffer) => this.#platform.readXattrs(abs);
    const fast = this.#platform.fast;
    const listDir = fast ? (abs: Buffer) => fast.scanDir(abs, true) : undefined;
    const options = { concurrency: this.#settings.concurrency, signal: this.#settings.signal, readXattrs, listDir };
    const [source, destination] = await Promise.all([
      scanTree(this.#roots.sourceRoot, {
        ...options,
        modeOf: this.#settings.sourceModes,
        onEntry: (e) => (e.kind === 'file' ? this.#tracker.found(1, e.size) : undefined),
      }),
      scanTree(this.#roots.destinationRoot, { ...options, skip: (rel) => rel.equals(JOURNAL_NAME) }),
    ]);
    const plan = planCopy(source.entries, destination.entries, {
      mode: this.#settings.mode,
      compareOwner: this.#isRoot,
      timeGranularityNs,
      checksum: this.#settings.checksum,
      suspectSinceNs: this.#journal?.suspectSinceNs,
      cannotCreate: (entry) => this.#platform.cannotMakeSpecial(entry.format ?? 0, this.#isRoot),
    });
    const blocking = [...source.failures, ...destination.failures, ...plan.unsupported];
    if (blocking.length > 0) throw new CopyFailedError(blocking, this.#ledger.summary(false, this.#seconds()));
    this.#ledger.unchanged = plan.unchangedFiles;
    return plan;
  }

  /** Checksum mode: hashes both sides of files whose size and mtime match; returns those whose content differs. */
  async #compare(candidates: readonly TreeEntry[]): Promise<TreeEntry[]> {
    if (candidates.length === 0) return [];
    this.#tracker.startPhase('comparing', { files: candidates.length, bytes: candidates.reduce((sum, e) => sum + e.size, 0) });
    const differing: TreeEntry[] = [];
    await this.#each(candidates, (entry) =>
      this.#attempt(entry.rel, 'cannot compare', async () => {
        const options = { signal: this.#settings.signal, limiter: this.#context.limiter };
        const [source, destination] = await Promise.all([
          contentDigest(this.#platform, this.#source(entry.rel), { ...options, onBytes: (bytes) => this.#tracker.add(0, bytes) }),
          contentDigest(this.#platform, this.#destination(entry.rel), { signal: this.#settings.signal }),
        ]);
        this.#tracker.add(1, 0);
        if (source.digest !== destination.digest || source.size !== destination.size) differing.push(entry);
      }),
    );
    this.#ledger.unchanged -= differing.length;
    return differing;
  }

  /** Clears what stands in the way, then creates missing folders, parents first (mode 0700 until finished). */
  async #prepareFolders(plan: CopyPlan, differing: readonly TreeEntry[]): Promise<void> {
    const bytes = plan.bytesToCopy + differing.reduce((sum, e) => sum + e.size, 0);
    this.#tracker.startPhase('copying', { files: plan.copyFiles.length + differing.length, bytes });
    await this.#remove('copying', [...plan.replace, ...plan.staleTemps]);
    if (!this.#isRoot) {
      await this.#each(plan.lockedDirs, (dir) =>
        this.#attempt(dir.rel, 'cannot open up folder', async () => {
          await chmod(this.#destination(dir.rel), dir.mode | 0o700);
          this.#touched.add(keyOf(dir.rel));
        }),
      );
    }
    for (const level of plan.createDirs) {
      await this.#each(level, (dir) =>
        this.#attempt(dir.rel, 'cannot create folder', async () => {
          await mkdir(this.#destination(dir.rel), 0o700);
          this.#ledger.dirs += 1;
          this.#touched.add(keyOf(dir.rel));
          this.#touchParent(dir.rel);
        }),
      );
    }
  }

  /** File data, symbolic links, FIFOs and devices, and attribute fixes, through one pool. */
  async #copy(plan: CopyPlan, differing: readonly TreeEntry[]): Promise<void> {
    const copyFile = (entry: TreeEntry) => {
      const key = keyOf(entry.rel);
      this.#outcomes.set(key, 'failed');
      return this.#attempt(entry.rel, 'cannot copy', async () => {
        const result = await copyRegularFile(this.#context, entry, (bytes) => this.#tracker.add(0, bytes), this.#settings.stableSource);
        this.#drainProgress();
        this.#tracker.adjustTotal(result.progressed - entry.size);
        this.#tracker.add(1, 0);
        this.#outcomes.set(key, result.state);
        if (!this.#ledger.noteSource(entry, result.state)) return;
        this.#ledger.files += 1;
        this.#ledger.bytes += result.bytes;
        if (this.#settings.verify) this.#ledger.verifiedFiles += 1;
        this.#touchParent(entry.rel);
      });
    };
    const copyLink = (entry: TreeEntry) =>
      this.#attempt(entry.rel, 'cannot copy link', async () => {
        if (!this.#ledger.noteSource(entry, await copySymlink(this.#context, entry))) return;
        this.#ledger.symlinks += 1;
        this.#touchParent(entry.rel);
      });
    const copySpecialFile = (entry: TreeEntry) =>
      this.#attempt(entry.rel, `cannot copy ${entry.typeName}`, async () => {
        if (!this.#ledger.noteSource(entry, await copySpecial(this.#context, entry))) return;
        this.#ledger.specials += 1;
        this.#touchParent(entry.rel);
      });
    const fix = (entry: TreeEntry) =>
      this.#attempt(entry.rel, 'cannot set attributes', async () => {
        const abs = this.#destination(entry.rel);
        await applyAttributes(this.#context, abs, entry);
        await verifyAttributes(this.#context, abs, entry, entry.kind === 'special' ? 'special' : 'file');
        this.#ledger.fixed += 1;
      });

    const recopied = new Set(differing.map((entry) => keyOf(entry.rel)));
    const steps: (() => Promise<void>)[] = [
      ...plan.copyFiles.map((entry) => () => copyFile(entry)),
      ...differing.map((entry) => () => copyFile(entry)),
      ...plan.links.map((entry) => () => copyLink(entry)),
      ...plan.specials.map((entry) => () => copySpecialFile(entry)),
      ...plan.fixFiles.filter((entry) => !recopied.has(keyOf(entry.rel))).map((entry) => () => fix(entry)),
    ];
    await this.#each(steps, (step) => step());
  }

  /** Further names of files with several, once every file they name is in place. */
  async #link(hardLinks: readonly HardLink[]): Promise<void> {
    await this.#each(hardLinks, async (hardLink) => {
      const { entry, leader } = hardLink;
      const outcome = this.#outcomes.get(keyOf(leader.rel));
      if (outcome === undefined && hardLink.linked) return; // the same file already, and its data was not copied again
      if (outcome === 'failed') {
        this.#ledger.fail({ path: display(entry.rel), reason: `not linked: ${display(leader.rel)}, another name of the same file, could not be copied` });
        return;
      }
      if (outcome === 'changed' || outcome === 'vanished') {
        this.#ledger.noteSource(entry, outcome);
        return;
      }
      await this.#attempt(entry.rel, 'cannot link', async () => {
        if (!this.#ledger.noteSource(entry, await linkFile(this.#context, hardLink))) return;
        this.#ledger.hardlinks += 1;
        this.#touchParent(entry.rel);
      });
    });
  }

  async #remove(phase: 'copying' | 'deleting', entries: readonly TreeEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (phase === 'deleting') this.#tracker.startPhase('deleting', { files: entries.length, bytes: 0 });
    await this.#each(entries, (entry) =>
      this.#attempt(entry.rel, 'cannot remove from the destination', async () => {
        const removed = await removeTree(this.#destination(entry.rel), this.#context);
        this.#ledger.deleted += removed;
        this.#touchParent(entry.rel);
        if (phase === 'deleting') this.#tracker.add(1, 0);
      }),
    );
  }

  /**
   * Owner, attributes, mode and times of folders, deepest first, once nothing more changes inside
   * them: those this run created or changed, and those whose attributes differ.
   */
  async #finishFolders(plan: CopyPlan): Promise<void> {
    for (const level of plan.finishDirs) {
      const due = level.filter((dir) => this.#touched.has(keyOf(dir.rel)) || !plan.settledDirs.has(keyOf(dir.rel)));
      await this.#each(due, (dir) =>
        this.#attempt(dir.rel, 'cannot set folder attributes', async () => {
          const abs = this.#destination(dir.rel);
          await applyAttributes(this.#context, abs, dir);
          await verifyAttributes(this.#context, abs, dir, 'dir');
        }),
      );
    }
  }

  /** Runs one step; its failure is recorded against `rel` and the run goes on. An abort stops the run. */
  async #attempt(rel: Buffer, what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (error instanceof CopyAbortedError) throw error;
      if (isAbort(this.#settings.signal, error)) throw new CopyAbortedError(this.#settings.signal?.reason);
      // A failed verification says what it is by itself.
      if (error instanceof VerificationError) this.#ledger.fail({ path: display(rel), reason: error.message });
      else this.#ledger.fail(failureOf(rel, error, what));
    }
  }

  /** Turns the bytes the addon's copies have done since the last look into progress. */
  #drainProgress(): void {
    const done = this.#control[0] as bigint;
    if (done === this.#controlDrained) return;
    this.#tracker.add(0, Number(done - this.#controlDrained));
    this.#controlDrained = done;
  }

  #each<T>(items: Iterable<T>, work: (item: T) => Promise<void>): Promise<void> {
    return forEachConcurrent(items, this.#settings.concurrency, this.#settings.signal, work);
  }

  #touchParent(rel: Buffer): void {
    this.#touched.add(keyOf(parentOf(rel)));
  }

  #source(rel: Buffer): Buffer {
    return resolveUnder(this.#roots.sourceRoot, rel);
  }

  #destination(rel: Buffer): Buffer {
    return resolveUnder(this.#roots.destinationRoot, rel);
  }

  #seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }
}
