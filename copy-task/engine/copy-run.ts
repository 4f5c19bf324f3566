import { chmod, mkdir } from 'node:fs/promises';
import { BandwidthLimiter } from './bandwidth.ts';
import type { IoContext } from './context.ts';
import { copyRegularFile } from './copy-file.ts';
import { copySymlink } from './copy-symlink.ts';
import { CopyAbortedError, CopyFailedError, isAbort } from './errors.ts';
import { RunLedger } from './ledger.ts';
import { applyAttributes, isRunningAsRoot } from './metadata.ts';
import { display, resolveUnder } from './paths.ts';
import { planCopy, type CopyPlan } from './plan.ts';
import { forEachConcurrent } from './pool.ts';
import { ProgressTracker } from './progress.ts';
import { removeTree } from './remove.ts';
import type { Roots } from './roots.ts';
import { failureOf, scanTree } from './scan.ts';
import type { CopySettings } from './settings.ts';
import type { CopySummary, TreeEntry } from './types.ts';
import { verifyFile, type CopiedFile } from './verify-file.ts';

/** One run of the engine over resolved roots: the phases in order, sharing a ledger and a tracker. */
export class CopyRun {
  readonly #settings: CopySettings;
  readonly #context: IoContext;
  readonly #ledger: RunLedger;
  readonly #tracker: ProgressTracker;
  readonly #started = performance.now();

  constructor(roots: Roots, settings: CopySettings) {
    this.#settings = settings;
    this.#context = {
      ...roots,
      isRoot: isRunningAsRoot(),
      signal: settings.signal,
      limiter: settings.bytesPerSecond === undefined ? undefined : new BandwidthLimiter(settings.bytesPerSecond),
      sourceModes: settings.sourceModes,
    };
    this.#ledger = new RunLedger(settings.stableSource);
    this.#tracker = new ProgressTracker({
      pass: settings.pass,
      intervalMs: settings.progressIntervalMs,
      now: () => performance.now(),
      emit: settings.onProgress,
    });
  }

  async run(): Promise<CopySummary> {
    const plan = await this.#scan();
    await this.#prepareFolders(plan);
    const copied = await this.#copy(plan);
    const copySeconds = this.#seconds();
    if (this.#settings.verify) await this.#verify(copied);
    // Extras go only once everything else is in place, and not at all if anything failed.
    if (this.#ledger.failures.length === 0) await this.#remove('deleting', plan.extras);
    await this.#finishFolders(plan);

    const summary = this.#ledger.summary(this.#settings.verify, this.#seconds());
    if (this.#ledger.failures.length > 0) throw new CopyFailedError(this.#ledger.failures, summary);
    this.#tracker.finish({ files: summary.files, bytes: summary.bytes, seconds: copySeconds });
    return summary;
  }

  /** Scans both trees and plans; fails before touching anything if the source holds what cannot be copied. */
  async #scan(): Promise<CopyPlan> {
    this.#tracker.startPhase('scanning');
    const options = { concurrency: this.#settings.concurrency, signal: this.#settings.signal };
    const [source, destination] = await Promise.all([
      scanTree(this.#context.sourceRoot, {
        ...options,
        modeOf: this.#settings.sourceModes,
        onEntry: (e) => (e.kind === 'file' ? this.#tracker.found(1, e.size) : undefined),
      }),
      scanTree(this.#context.destinationRoot, options),
    ]);
    const plan = planCopy(source.entries, destination.entries, { mode: this.#settings.mode, compareOwner: this.#context.isRoot });
    const blocking = [...source.failures, ...destination.failures, ...plan.unsupported];
    if (blocking.length > 0) throw new CopyFailedError(blocking, this.#ledger.summary(false, this.#seconds()));
    this.#ledger.unchanged = plan.unchangedFiles;
    return plan;
  }

  /** Clears what stands in the way, then creates missing folders, parents first (mode 0700 until finished). */
  async #prepareFolders(plan: CopyPlan): Promise<void> {
    this.#tracker.startPhase('copying', { files: plan.copyFiles.length, bytes: plan.bytesToCopy });
    await this.#remove('copying', [...plan.replace, ...plan.staleTemps]);
    if (!this.#context.isRoot) {
      await this.#each(plan.lockedDirs, (dir) =>
        this.#attempt(dir.rel, 'cannot open up folder', () => chmod(this.#destination(dir.rel), dir.mode | 0o700)),
      );
    }
    for (const level of plan.createDirs) {
      await this.#each(level, (dir) =>
        this.#attempt(dir.rel, 'cannot create folder', async () => {
          await mkdir(this.#destination(dir.rel), 0o700);
          this.#ledger.dirs += 1;
        }),
      );
    }
  }

  /** Regular files, links and attribute fixes through one pool. Returns the files to verify. */
  async #copy(plan: CopyPlan): Promise<CopiedFile[]> {
    const copied: CopiedFile[] = [];
    const copyFile = (entry: TreeEntry) =>
      this.#attempt(entry.rel, 'cannot copy', async () => {
        const result = await copyRegularFile(this.#context, entry, (bytes) => this.#tracker.add(0, bytes));
        this.#tracker.adjustTotal(result.bytes - entry.size);
        this.#tracker.add(1, 0);
        if (!this.#ledger.noteSource(entry, result.state)) return;
        this.#ledger.files += 1;
        this.#ledger.bytes += result.bytes;
        if (result.state !== 'changed') copied.push({ entry, size: result.size, mtimeNs: result.mtimeNs });
        await this.#settings.hooks?.afterCopy?.({
          path: display(entry.rel),
          source: resolveUnder(this.#context.sourceRoot, entry.rel).toString(),
          destination: this.#destination(entry.rel).toString(),
        });
      });
    const copyLink = (entry: TreeEntry) =>
      this.#attempt(entry.rel, 'cannot copy link', async () => {
        if (this.#ledger.noteSource(entry, await copySymlink(this.#context, entry))) this.#ledger.symlinks += 1;
      });
    const fixFile = (entry: TreeEntry) =>
      this.#attempt(entry.rel, 'cannot set attributes', () => applyAttributes(this.#destination(entry.rel), entry, this.#context.isRoot));

    const steps: (() => Promise<void>)[] = [
      ...plan.copyFiles.map((entry) => () => copyFile(entry)),
      ...plan.links.map((entry) => () => copyLink(entry)),
      ...plan.fixFiles.map((entry) => () => fixFile(entry)),
    ];
    await this.#each(steps, (step) => step());
    return copied;
  }

  async #verify(copied: readonly CopiedFile[]): Promise<void> {
    if (copied.length === 0) return;
    this.#tracker.startPhase('verifying', { files: copied.length, bytes: copied.reduce((sum, file) => sum + file.size, 0) });
    await this.#each(copied, (file) =>
      this.#attempt(file.entry.rel, 'cannot verify', async () => {
        const result = await verifyFile(this.#context, file, (bytes) => this.#tracker.add(0, bytes));
        this.#tracker.add(1, 0);
        if (result.outcome === 'match') {
          this.#ledger.verifiedFiles += 1;
        } else if (result.outcome === 'mismatch') {
          this.#ledger.fail({
            path: display(file.entry.rel),
            reason: `checksum mismatch after copy (source sha256 ${result.source}, destination sha256 ${result.destination}); the destination file was removed`,
          });
        } else {
          this.#ledger.noteSource(file.entry, result.outcome);
        }
      }),
    );
  }

  async #remove(phase: 'copying' | 'deleting', entries: readonly TreeEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (phase === 'deleting') this.#tracker.startPhase('deleting', { files: entries.length, bytes: 0 });
    await this.#each(entries, (entry) =>
      this.#attempt(entry.rel, 'cannot remove from the destination', async () => {
        const removed = await removeTree(this.#destination(entry.rel), this.#context);
        this.#ledger.deleted += removed;
        if (phase === 'deleting') this.#tracker.add(1, 0);
      }),
    );
  }

  /** Owner, mode and times of every folder, deepest first, once nothing more changes inside them. */
  async #finishFolders(plan: CopyPlan): Promise<void> {
    for (const level of plan.finishDirs) {
      await this.#each(level, (dir) =>
        this.#attempt(dir.rel, 'cannot set folder attributes', () => applyAttributes(this.#destination(dir.rel), dir, this.#context.isRoot)),
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
      this.#ledger.fail(failureOf(rel, error, what));
    }
  }

  #each<T>(items: Iterable<T>, work: (item: T) => Promise<void>): Promise<void> {
    return forEachConcurrent(items, this.#settings.concurrency, this.#settings.signal, work);
  }

  #destination(rel: Buffer): Buffer {
    return resolveUnder(this.#context.destinationRoot, rel);
  }

  #seconds(): number {
    return (performance.now() - this.#started) / 1000;
  }
}
