import { chmod, mkdir } from 'node:fs/promises';
import { BandwidthLimiter } from './bandwidth.ts';
import { contentDigest } from './checksum.ts';
import type { IoContext, SourceState } from './context.ts';
import { BATCH_FILE_BYTES, BATCH_FILES, canBatch, copyBatch, copyRegularFile, type FileCopyResult } from './copy-file.ts';
import { copySpecial } from './copy-special.ts';
import { copySymlink } from './copy-symlink.ts';
import { JOURNAL_NAME, WriteBackJournal } from './durability.ts';
import { CopyAbortedError, CopyFailedError, isAbort, throwIfAborted, VerificationError } from './errors.ts';
import { RunLedger } from './ledger.ts';
import { linkFile } from './link-file.ts';
import { applyAttributes, isRunningAsRoot, verifyAttributes } from './metadata.ts';
import { depthOf, display, keyOf, parentOf, resolveUnder } from './paths.ts';
import { LinkRegistry, planCopy, type CopyPlan, type HardLink, type LinkIndex } from './plan.ts';
import { createPlatform, type Platform } from './platform.ts';
import { forEachConcurrent, runQueue, Slots } from './pool.ts';
import { ProgressTracker } from './progress.ts';
import { removeTree } from './remove.ts';
import type { Roots } from './roots.ts';
import { PAIR_COMPARE_OWNER, SCAN_XATTRS_ALL, SCAN_XATTRS_FOLDERS, SCAN_XATTRS_NONE } from '../native/index.ts';
import { failureOf, listFolder, listFolderPair, readEntry, type FolderListing, type ListOptions, type SameFiles } from './scan.ts';
import type { CopySettings } from './settings.ts';
import { probeTimeGranularity } from './time-granularity.ts';
import type { CopyFailure, CopySummary, TreeEntry } from './types.ts';

/** How a file's copy ended in this run, for the names linked to it. */
type CopyOutcome = SourceState | 'failed';

/** How often a long copy writes back what it placed (see durability.ts). */
const CHECKPOINT_MS = 30_000;
/**
 * ... and every this many bytes copied: the disk then writes while the run copies on, instead of
 * all at the end (small files get no write-back of their own, see copy_data in smig_async.c).
 */
const CHECKPOINT_BYTES = 128n * 1024n * 1024n;
/** How often bytes copied inside the addon become progress while a long file is copied. */
const PROGRESS_POLL_MS = 200;
/** How long a stopped run waits for the write-back that lets it remove its journal. */
const STOP_WRITE_BACK_MS = 1000;
/** Folders listed (and, while copying, worked on) at once; their files share the run's `concurrency`. */
const FOLDERS_AT_ONCE = 4;

/** A folder of the walk: its path, and whether the destination has it as a folder to list. */
interface Folder {
  readonly rel: Buffer;
  readonly onDestination: boolean;
}

/** What the survey (the first walk) found: totals for progress, and whether there is anything to do. */
interface Survey {
  files: number;
  bytes: number;
  unchanged: number;
  work: boolean;
  readonly failures: CopyFailure[];
  readonly links: LinkRegistry;
}

/**
 * One run of the engine over resolved roots, in two walks of both trees, one folder at a time, so
 * that memory holds a few folders and not the tree (only hard-link groups and the folders' own
 * attributes grow with it):
 *
 * 1. scanning: every folder listed on both sides and planned, to count what is to be copied, to
 *    gather hard-link groups, and to fail before anything is written if the source holds what
 *    cannot be copied. A tree already in sync ends here.
 * 2. copying: every folder listed again and planned with the whole tree's hard-link groups; what
 *    stands in the way goes, missing folders are made, files are compared (checksum), copied and
 *    fixed, links and special files made. Then hard links, then extras (deleting, only if nothing
 *    failed), then folder attributes, deepest first.
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
  /** How each leader of a hard-link group copied in this run ended (by key), for its further names. */
  readonly #outcomes = new Map<string, CopyOutcome>();
  /** Every source folder met while copying, for its attributes at the end; and those already right. */
  readonly #folders: TreeEntry[] = [];
  readonly #settled = new Set<string>();
  readonly #hardLinks: HardLink[] = [];
  readonly #extras: TreeEntry[] = [];
  #context!: IoContext;
  #slots!: Slots;
  /** Bytes done by the addon's copies and the stop flag they look at (see IoContext.control). */
  readonly #control = new BigInt64Array(2);
  #controlDrained = 0n;
  #checkpointedAt = 0n;
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
    this.#slots = new Slots(this.#settings.concurrency);
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

    const survey = await this.#survey(timeGranularityNs);
    if (survey.failures.length > 0) throw new CopyFailedError(survey.failures, this.#ledger.summary(false, this.#seconds()));
    this.#tracker.startPhase('copying', { files: survey.files, bytes: survey.bytes });
    if (survey.work) {
      await this.#journal?.begin();
      timers.push(setInterval(() => this.#drainProgress(), PROGRESS_POLL_MS).unref());
      const journal = this.#journal;
      if (journal) timers.push(setInterval(() => void journal.checkpoint(), CHECKPOINT_MS).unref());
      await this.#copy(timeGranularityNs, survey.links);
      this.#drainProgress();
      await this.#link();
      // Extras go only once everything else is in place, and not at all if anything failed.
      if (this.#ledger.failures.length === 0) await this.#remove('deleting', this.#extras);
      // What the pass placed is on disk before the journal goes (and so before the folders' last times).
      await this.#journal?.close();
    } else {
      this.#ledger.unchanged = survey.unchanged;
    }
    await this.#finishFolders();
    if (fast && survey.work) await fast.syncfs(this.#roots.destinationRoot);

    const summary = this.#ledger.summary(this.#settings.verify, this.#seconds());
    if (this.#ledger.failures.length > 0) throw new CopyFailedError(this.#ledger.failures, summary);
    this.#tracker.finish({ files: summary.files, bytes: summary.bytes, seconds: summary.seconds });
    return summary;
  }

  // ---- the walk ----------------------------------------------------------------------------

  #listOptions(side: 'source' | 'destination'): ListOptions {
    const fast = this.#platform.fast;
    return {
      readXattrs: (abs) => this.#platform.readXattrs(abs),
      listDir: fast ? (abs) => fast.scanDir(abs, SCAN_XATTRS_ALL) : undefined,
      // The journal is the run's own (a source that holds one is a destination mid-run): never copied, never compared.
      skip: (rel: Buffer) => rel.equals(JOURNAL_NAME),
      ...(side === 'source' ? { modeOf: this.#settings.sourceModes } : {}),
    };
  }

  /**
   * Walks both trees together, one folder at a time (FOLDERS_AT_ONCE at once): `visit` gets a
   * folder's entries on both sides (sorted by name) and returns the subfolders to walk into.
   * The roots come first, as the one "folder" holding both root entries.
   */
  async #walk(
    timeGranularityNs: bigint,
    visit: (dir: Buffer, source: TreeEntry[], destination: TreeEntry[], failures: CopyFailure[], same: SameFiles) => Promise<Folder[]>,
    /**
     * The survey reads the source's xattrs only to compare them: a folder the destination lacks is
     * listed without them. The copy then needs only the folders' own (set at the end; a file's,
     * link's or special file's are read from it as it is copied).
     */
    pass: 'survey' | 'copy' = 'copy',
  ): Promise<void> {
    const sourceOptions = this.#listOptions('source');
    const fast = this.#platform.fast;
    const unmatched = pass === 'survey' ? SCAN_XATTRS_NONE : SCAN_XATTRS_FOLDERS;
    const bareSourceOptions: ListOptions = fast
      ? { ...sourceOptions, readXattrs: undefined, listDir: (abs) => fast.scanDir(abs, unmatched) }
      : sourceOptions;
    const destinationOptions = this.#listOptions('destination');
    const here = Buffer.alloc(0);
    const [sourceRoot, destinationRoot] = await Promise.all([
      readEntry(this.#roots.sourceRoot, here, sourceOptions),
      readEntry(this.#roots.destinationRoot, here, destinationOptions),
    ]);
    const top = await visit(here, [sourceRoot], [destinationRoot], [], { files: 0, bytes: 0 });
    const pair = this.#pairLister(timeGranularityNs);
    const roots = { source: this.#roots.sourceRoot, destination: this.#roots.destinationRoot };
    const options = { source: sourceOptions, destination: destinationOptions };
    await runQueue(top, FOLDERS_AT_ONCE, this.#settings.signal, async (folder, push) => {
      let source: FolderListing;
      let destination: FolderListing;
      let same: SameFiles = { files: 0, bytes: 0 };
      if (pair && folder.onDestination) {
        ({ source, destination, same } = await listFolderPair(roots, folder.rel, options, pair));
      } else {
        [source, destination] = await Promise.all([
          listFolder(this.#roots.sourceRoot, folder.rel, folder.onDestination ? sourceOptions : bareSourceOptions),
          folder.onDestination ? listFolder(this.#roots.destinationRoot, folder.rel, destinationOptions) : { entries: [], failures: [] },
        ]);
      }
      const failures = [...source.failures, ...destination.failures];
      for (const next of await visit(folder.rel, source.entries, destination.entries, failures, same)) push(next);
    });
  }

  /**
   * Both sides of a folder listed together by the addon, which leaves out files equal on both; not
   * when their content is to be compared anyway (checksum, or an earlier run that did not finish
   * writing back), nor when the source's modes are mapped (the addon compares what lstat shows).
   */
  #pairLister(timeGranularityNs: bigint) {
    const fast = this.#platform.fast;
    if (!fast || this.#settings.checksum || this.#settings.sourceModes || this.#journal?.suspectSinceNs !== undefined) return undefined;
    const flags = this.#isRoot ? PAIR_COMPARE_OWNER : 0;
    return (source: Buffer, destination: Buffer) => fast.scanPair(source, destination, Number(timeGranularityNs), flags);
  }

  #planOptions(timeGranularityNs: bigint, links?: LinkIndex) {
    return {
      mode: this.#settings.mode,
      compareOwner: this.#isRoot,
      timeGranularityNs,
      checksum: this.#settings.checksum,
      suspectSinceNs: this.#journal?.suspectSinceNs,
      cannotCreate: (entry: TreeEntry) => this.#platform.cannotMakeSpecial(entry.format ?? 0, this.#isRoot),
      ...(links ? { links } : {}),
    };
  }

  /** Subfolders to walk into next: every source folder, listed on the destination when it is a folder there. */
  static #subfolders(source: readonly TreeEntry[], destination: readonly TreeEntry[]): Folder[] {
    const destinationFolders = new Set(destination.filter((e) => e.kind === 'dir').map((e) => keyOf(e.rel)));
    return source.filter((e) => e.kind === 'dir').map((e) => ({ rel: e.rel, onDestination: destinationFolders.has(keyOf(e.rel)) }));
  }

  /** The first walk: counts, hard-link groups, and what cannot be copied, before anything is written. */
  async #survey(timeGranularityNs: bigint): Promise<Survey> {
    const survey: Survey = { files: 0, bytes: 0, unchanged: 0, work: false, failures: [], links: new LinkRegistry() };
    // Within one folder's plan, names of one file are recognised; across folders, the registry does it later.
    await this.#walk(timeGranularityNs, async (_dir, source, destination, failures, same) => {
      survey.failures.push(...failures);
      survey.unchanged += same.files;
      if (same.files > 0) this.#tracker.found(same.files, same.bytes);
      for (const entry of source) if (entry.kind === 'file') this.#tracker.found(1, entry.size);
      survey.links.addFolder(source, destination);
      const plan = planCopy(source, destination, this.#planOptions(timeGranularityNs));
      survey.failures.push(...plan.unsupported);
      survey.files += plan.copyFiles.length;
      survey.bytes += plan.bytesToCopy;
      survey.unchanged += plan.unchangedFiles;
      survey.work ||= hasWork(plan, source);
      return CopyRun.#subfolders(source, destination);
    }, 'survey');
    survey.links.seal();
    // Further names of files are settled only against the whole tree's groups: the copying walk does that.
    survey.work ||= survey.links.size > 0;
    return survey;
  }

  /** The second walk: makes each folder's entries like the source's. */
  async #copy(timeGranularityNs: bigint, links: LinkRegistry): Promise<void> {
    await this.#walk(timeGranularityNs, async (_dir, source, destination, failures, same) => {
      for (const failure of failures) this.#ledger.fail(failure);
      const plan = planCopy(source, destination, this.#planOptions(timeGranularityNs, links));
      for (const failure of plan.unsupported) this.#ledger.fail(failure);
      this.#ledger.unchanged += plan.unchangedFiles + same.files;
      for (const level of plan.finishDirs) this.#folders.push(...level);
      for (const key of plan.settledDirs) this.#settled.add(key);
      this.#hardLinks.push(...plan.hardLinks);
      this.#extras.push(...plan.extras);
      await this.#prepareFolders(plan);
      await this.#copyEntries(plan);
      const created = new Set(plan.createDirs.flat().map((e) => keyOf(e.rel)));
      const replaced = new Set(plan.replace.map((e) => keyOf(e.rel)));
      return CopyRun.#subfolders(source, destination).map((folder) => {
        const key = keyOf(folder.rel);
        return created.has(key) || replaced.has(key) ? { rel: folder.rel, onDestination: false } : folder;
      });
    });
  }

  /** Clears what stands in the way, then creates missing folders (mode 0700 until finished). */
  async #prepareFolders(plan: CopyPlan): Promise<void> {
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

  /** File data, symbolic links, FIFOs and devices, content compares and attribute fixes of one folder. */
  async #copyEntries(plan: CopyPlan): Promise<void> {
    const copyFile = (entry: TreeEntry, first?: Parameters<typeof copyRegularFile>[4]) => {
      const key = keyOf(entry.rel);
      if (entry.linkKey !== undefined) this.#outcomes.set(key, 'failed');
      return this.#attempt(entry.rel, 'cannot copy', async () => {
        const result: FileCopyResult = await copyRegularFile(this.#context, entry, (bytes) => this.#tracker.add(0, bytes), this.#settings.stableSource, first);
        this.#drainProgress();
        this.#tracker.adjustTotal(result.progressed - entry.size);
        this.#tracker.add(1, 0);
        if (entry.linkKey !== undefined) this.#outcomes.set(key, result.state);
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
    const fixKeys = new Set(plan.fixFiles.map((entry) => keyOf(entry.rel)));
    const compareKeys = new Set(plan.compareFiles.map((entry) => keyOf(entry.rel)));
    // A file whose size and mtime match but not its content (checksum, or placed by a run that did
    // not finish writing back) is copied again; one that matches still gets its attributes fixed.
    const compare = async (entry: TreeEntry) => {
      let differs = false;
      await this.#attempt(entry.rel, 'cannot compare', async () => {
        const options = { signal: this.#settings.signal, limiter: this.#context.limiter };
        const [source, destination] = await Promise.all([
          contentDigest(this.#platform, this.#source(entry.rel), options),
          contentDigest(this.#platform, this.#destination(entry.rel), { signal: this.#settings.signal }),
        ]);
        differs = source.digest !== destination.digest || source.size !== destination.size;
      });
      if (differs) {
        this.#ledger.unchanged -= 1;
        this.#tracker.adjustTotal(entry.size);
        await copyFile(entry);
      } else if (fixKeys.has(keyOf(entry.rel))) {
        await fix(entry);
      }
    };

    // Small files several at a time (one trip to the addon's thread pool for a batch), the rest alone.
    const copyFiles = async (batch: readonly TreeEntry[]) => {
      let firsts: Awaited<ReturnType<typeof copyBatch>>;
      try {
        firsts = await copyBatch(this.#context, batch);
      } catch (error) {
        firsts = batch.map(() => (error instanceof Error ? error : new Error(String(error))));
      }
      await Promise.all(batch.map((entry, i) => copyFile(entry, firsts?.[i])));
    };
    const batched = canBatch(this.#context) ? plan.copyFiles.filter((entry) => entry.size <= BATCH_FILE_BYTES) : [];
    const batches: TreeEntry[][] = [];
    for (let i = 0; i < batched.length; i += BATCH_FILES) batches.push(batched.slice(i, i + BATCH_FILES));
    const alone = batched.length === 0 ? plan.copyFiles : plan.copyFiles.filter((entry) => entry.size > BATCH_FILE_BYTES);

    const steps: (() => Promise<void>)[] = [
      ...batches.map((batch) => () => (batch.length === 1 ? copyFile(batch[0] as TreeEntry) : copyFiles(batch))),
      ...alone.map((entry) => () => copyFile(entry)),
      ...plan.compareFiles.map((entry) => () => compare(entry)),
      ...plan.links.map((entry) => () => copyLink(entry)),
      ...plan.specials.map((entry) => () => copySpecialFile(entry)),
      ...plan.fixFiles.filter((entry) => !compareKeys.has(keyOf(entry.rel))).map((entry) => () => fix(entry)),
    ];
    // Every step ends before the folder does (a stopped run leaves nothing in flight behind it).
    const results = await Promise.allSettled(
      steps.map((step) =>
        this.#slots.run(async () => {
          throwIfAborted(this.#settings.signal);
          await step();
        }),
      ),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Further names of files with several, once every file they name is in place. */
  async #link(): Promise<void> {
    await this.#each(this.#hardLinks, async (hardLink) => {
      const { entry, leader } = hardLink;
      const outcome = this.#outcomes.get(keyOf(leader.rel));
      // The plan of one folder could not know whether the leader's copy is made again in this run.
      if (outcome === undefined && hardLink.linked) return; // the same file already, and its data was not copied again
      if (hardLink.linked) this.#ledger.unchanged -= 1;
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
   * them: those this run created or changed, and those whose attributes differ. A run that found
   * nothing to do has only the root to see to (the time probe came and went in it).
   */
  async #finishFolders(): Promise<void> {
    const byDepth: TreeEntry[][] = [];
    for (const dir of this.#folders) {
      const key = keyOf(dir.rel);
      if (!this.#touched.has(key) && this.#settled.has(key)) continue;
      const depth = depthOf(dir.rel);
      while (byDepth.length <= depth) byDepth.push([]);
      byDepth[depth]?.push(dir);
    }
    if (this.#folders.length === 0) byDepth.push([await readEntry(this.#roots.sourceRoot, Buffer.alloc(0), this.#listOptions('source'))]);
    for (const level of byDepth.reverse()) {
      await this.#each(level, (dir) =>
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
    if (this.#journal && done - this.#checkpointedAt >= CHECKPOINT_BYTES) {
      this.#checkpointedAt = done;
      void this.#journal.checkpoint();
    }
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

/** Anything for the copying walk to do in this folder (beyond the folders below it). */
function hasWork(plan: CopyPlan, source: readonly TreeEntry[]): boolean {
  // The root is seen to in any case (the time probe just changed its mtime).
  const dirs = source.filter((e) => e.kind === 'dir' && e.rel.length > 0);
  return (
    plan.replace.length + plan.staleTemps.length + plan.createDirs.length + plan.lockedDirs.length + plan.copyFiles.length +
      plan.compareFiles.length + plan.fixFiles.length + plan.links.length + plan.specials.length + plan.hardLinks.length +
      plan.extras.length > 0 || dirs.some((dir) => !plan.settledDirs.has(keyOf(dir.rel)))
  );
}
