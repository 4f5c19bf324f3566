import { BandwidthLimiter } from './bandwidth.ts';
import { wallClockNs } from './clock.ts';
import { WriteBackJournal } from './durability.ts';
import { exists } from './journal-file.ts';
import { CopyFailedError, isAbort } from './errors.ts';
import { NativeWalk } from './native-walk.ts';
import { destinationNow } from './pass-marks.ts';
import { PassRecords } from './pass-record.ts';
import { partitionKey } from './partition-range.ts';
import { PartitionView } from './partition-view.ts';
import { staleTempMatcher } from './paths.ts';
import { LeftOutMetadata, probeRefusedKinds } from './left-out-metadata.ts';
import { finishFolders, linkHardLinks, readSourceRoot, removeEntries } from './planned-entries.ts';
import { createPlatform, type Platform } from './platform.ts';
import { Slots } from './pool.ts';
import { PortableWalk } from './portable-walk.ts';
import type { Roots } from './roots.ts';
import { RunState, type TreeWalk } from './run-state.ts';
import type { CopySettings } from './settings.ts';
import { probeTimeGranularity } from './time-granularity.ts';
import type { CopySummary } from './types.ts';

/** How often a long copy that must be durable writes back what it placed (see durability.ts). */
const CHECKPOINT_MS = 30_000;
/**
 * ... and every this many bytes copied: the disk then writes while the run copies on, instead of
 * all at the end.
 */
const CHECKPOINT_BYTES = 128n * 1024n * 1024n;
/** How often bytes copied inside the addon become progress while a long file is copied. */
const PROGRESS_POLL_MS = 200;
/** How long a stopped run waits for the write-back that lets it remove its journal. */
const STOP_WRITE_BACK_MS = 1000;

/**
 * One run of the engine over resolved roots: probe → scanning (the survey: a first walk of both
 * trees that counts, gathers hard-link groups, and fails before anything is written if the source
 * holds what cannot be copied; a tree already in sync ends here) → copying (the second walk) →
 * linking → deleting → write-back → folder attributes, deepest first.
 *
 * The walks go one folder at a time, so memory holds a few folders and not the tree (only hard-link
 * groups and the folders' own attributes grow with it). With the addon they run in C, folder by
 * folder (native-walk.ts); without it, or when hooks must see each file, in JavaScript (portable-walk.ts).
 */
export class CopyRun {
  readonly #state: RunState;

  constructor(roots: Roots, settings: CopySettings, platform: Platform = createPlatform()) {
    this.#state = new RunState(roots, settings, platform);
  }

  async run(): Promise<CopySummary> {
    const state = this.#state;
    const stop = () => state.stop();
    state.settings.signal?.addEventListener('abort', stop);
    const timers: NodeJS.Timeout[] = [];
    try {
      return await this.#run(timers);
    } catch (error) {
      await this.#endJournal(isAbort(state.settings.signal, error) ? 'stopped' : 'failed').catch(() => undefined);
      throw error;
    } finally {
      for (const timer of timers) clearInterval(timer);
      state.settings.signal?.removeEventListener('abort', stop);
    }
  }

  async #run(timers: NodeJS.Timeout[]): Promise<CopySummary> {
    const state = this.#state;
    const { settings, platform, roots, ledger, tracker } = state;
    const startedNs = wallClockNs();
    tracker.startPhase('scanning');
    const fast = platform.fast;
    // Without the addon files are fsynced one by one (no syncfs); the journal still records the run's token.
    // A partition keeps a journal (and a pass record) of its own: partitions run at once on one destination.
    const scope = settings.partition ? partitionKey(settings.partition) : undefined;
    state.journal = await WriteBackJournal.open(roots, {
      ...(fast ? { syncfs: (path: Buffer) => fast.syncfs(path) } : {}),
      ...(scope ? { partitionKey: scope } : {}),
    });
    state.isStaleTemp = staleTempMatcher(state.journal.staleTokens);
    if (settings.partition) state.partition = new PartitionView(settings.partition, state.isStaleTemp);
    const store = settings.passRecords ?? settings.stateFolder;
    const records = store === undefined ? undefined : new PassRecords(store, undefined, scope);
    // A probe is a temp file in the destination root: the journal records the run's token first (a
    // root the run cannot write yet, opened up later, gets no probe: the platform's best is assumed).
    const canProbe = async () => state.journal.begin().then(() => true, () => false);
    // The destination's clock, where the record's marks come from it (pass-record.ts): the probe came and went in the root.
    const clockProbe = async () => {
      if (!(await canProbe())) return undefined;
      const now = await destinationNow(roots.destinationRoot);
      state.touch(Buffer.alloc(0));
      return now;
    };
    // A content compare, a run after a crash, or mapped modes look at everything.
    if (records && !settings.checksum && !settings.sourceModes && state.journal.suspectSinceNs === undefined) {
      state.marks = await records.marks(roots.sourceRoot, roots.destinationRoot, clockProbe);
    }
    // The same destination, set from the same platform, keeps times as the remembered pass found: no
    // probe (nor the root's times to restore after it).
    const remembered = state.marks?.timeGranularity;
    if (remembered !== undefined && remembered.platformNs === platform.timeGranularityNs) {
      state.timeGranularityNs = remembered.destinationNs;
    } else {
      state.timeGranularityNs = (await canProbe()) ? await probeTimeGranularity(platform, roots.destinationRoot) : platform.timeGranularityNs;
      state.touch(Buffer.alloc(0)); // the probe came and went in the root
    }
    if (!settings.preserveMetadata) {
      // Metadata need not be preserved: what the destination refuses of xattrs and ACLs is left out, not a failure.
      ledger.leftOut = new LeftOutMetadata((await canProbe()) ? await probeRefusedKinds(platform, roots.destinationRoot) : 0);
      state.touch(Buffer.alloc(0));
    }
    state.slots = new Slots(settings.concurrency);
    state.context = {
      ...roots,
      isRoot: state.isRoot,
      signal: settings.signal,
      // The addon paces its own reads (the run's control block); Node's fs path is paced here.
      limiter: settings.bytesPerSecond === undefined || fast !== undefined ? undefined : new BandwidthLimiter(settings.bytesPerSecond),
      sourceModes: settings.sourceModes?.modeOf,
      platform,
      verify: settings.verify,
      verifyFrom: settings.verifyFrom,
      timeGranularityNs: state.timeGranularityNs,
      hooks: settings.hooks,
      control: state.controlBuffer,
      syncEachFile: fast === undefined,
      leftOut: ledger.leftOut,
    };
    const walk = this.#walk();

    const survey = await walk.survey();
    // The record's E on the destination's clock, once the pass changed all it changes there but the
    // folders' times (and while the journal still names the run's token, which the probe's name carries).
    let destinationMarkNs: bigint | undefined;
    const markOf = async (of: PassRecords | undefined) =>
      of && (await of.wantsDestinationMark(roots.sourceRoot, roots.destinationRoot)) ? clockProbe() : undefined;
    if (survey.failures.length > 0) throw new CopyFailedError(survey.failures, ledger.summary(false, state.seconds()));
    tracker.startPhase('copying', { files: survey.files, bytes: survey.bytes });
    const durable = settings.writeBack === 'pass';
    if (survey.work) {
      await state.journal.begin();
      timers.push(setInterval(() => this.#poll(), PROGRESS_POLL_MS).unref());
      const journal = state.journal;
      if (durable) timers.push(setInterval(() => void journal.checkpoint(), CHECKPOINT_MS).unref());
      await walk.copy(survey.links);
      await this.#noteSkippedSource();
      this.#poll();
      await linkHardLinks(state);
      // Extras go only once everything else is in place, and not at all if anything failed.
      if (ledger.failures.length === 0) await removeEntries(state, 'deleting', state.extras);
      if (ledger.failures.length === 0) destinationMarkNs = await markOf(records);
      // What the pass placed is on disk (or its journal in place) before the folders' last times.
      await this.#endJournal(ledger.failures.length === 0 ? 'complete' : 'failed');
    } else {
      ledger.unchanged = survey.unchanged;
      await this.#noteSkippedSource();
      destinationMarkNs = await markOf(records);
      // Nothing to copy; a journal a killed run left goes (written back first in a durable pass).
      await state.journal.close(durable);
    }
    await finishFolders(state, () => readSourceRoot(state, settings.sourceModes?.modeOf));
    if (fast && survey.work && durable) await fast.syncfs(roots.destinationRoot);

    const summary = ledger.summary(settings.verify, state.seconds());
    if (ledger.failures.length > 0) throw new CopyFailedError(ledger.failures, summary);
    await records?.record(roots.sourceRoot, roots.destinationRoot, {
      startedNs, timeGranularity: { destinationNs: state.timeGranularityNs, platformNs: platform.timeGranularityNs },
      destinationMarkNs, sourceCtimeMaxNs: state.sourceCtimeMaxNs,
    });
    tracker.finish({ files: summary.files, bytes: summary.bytes, seconds: summary.seconds });
    return summary;
  }

  #walk(): TreeWalk {
    const state = this.#state;
    const folders = state.platform.folders;
    // The addon's threads: as many as the run may keep busy (its per-file calls run there too).
    folders?.setWorkers(state.settings.concurrency);
    // Hooks are called around each file's copy, which only the portable walk makes one at a time.
    if (folders && !state.settings.hooks?.afterCopy) return new NativeWalk(state, folders);
    return new PortableWalk(state);
  }

  /**
   * The journal at the end of a pass: a durable pass writes back and removes it (a stopped one only
   * if that takes at most a second); a pass that leaves write-back to the kernel removes it without
   * waiting. A run that was comparing an earlier boot's suspects and did not get through leaves that
   * journal as it found it, so that the next run compares them all again; one that leaves leftovers
   * of earlier runs (or its own) in place keeps it, so that the next run still knows them.
   */
  async #endJournal(how: 'complete' | 'failed' | 'stopped'): Promise<void> {
    const { journal, settings } = this.#state;
    if (!journal) return;
    if (journal.suspectSinceNs !== undefined && how !== 'complete') return;
    const leftovers = this.#state.leftovers.size > 0;
    if (settings.writeBack === 'deferred') {
      await journal.close(false, leftovers);
      return;
    }
    await (how === 'stopped' ? journal.abandon(STOP_WRITE_BACK_MS, leftovers) : journal.close(true, leftovers));
  }

  /**
   * The journal's name is one the source root did not hold when the run began; both walks leave it out
   * of the root on both sides. A user's file given that name since is left for the next pass (which
   * takes another name for its journal), and counted as changed rather than passed over in silence.
   */
  async #noteSkippedSource(): Promise<void> {
    const { roots, journal, ledger } = this.#state;
    if (await exists(Buffer.concat([roots.sourceRoot, Buffer.from('/'), journal.name]))) ledger.noteSource({ rel: journal.name }, 'changed');
  }

  /** Progress from the addon's counters; in a durable pass, a write-back every CHECKPOINT_BYTES. */
  #poll(): void {
    const state = this.#state;
    const bytes = state.drainProgress();
    if (state.settings.writeBack === 'pass' && bytes - this.#checkpointedAt >= CHECKPOINT_BYTES) {
      this.#checkpointedAt = bytes;
      void state.journal.checkpoint();
    }
  }

  #checkpointedAt = 0n;
}
