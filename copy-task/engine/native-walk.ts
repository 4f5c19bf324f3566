import { CopyAbortedError } from './errors.ts';
import { COPY_AS_ROOT, COPY_VERIFY, COPY_VERIFY_STORAGE, LEAVE_OUT_OWNERS, leaveOutFlags, type FolderCalls } from '../native/index.ts';
import {
  FOLDER_CREATED,
  FOLDER_ON_DEST,
  FOLDER_SETTLED,
  PAIR_CHECKSUM,
  PAIR_COMPARE_OWNER,
  PAIR_COPY,
  packPaths,
  packStarts,
  packTokens,
  parseCounts,
  parseNotes,
  parseRecords,
  SYNC_STABLE,
  SYNC_WRITE_BACK,
  type WalkCounts,
  type WalkRecords,
} from './native-folder.ts';
import { keyOf, parentOf } from './paths.ts';
import { LinkRegistry, planCopy } from './plan.ts';
import { copyEntries, prepareFolders, removeEntries } from './planned-entries.ts';
import { planOptions, PortableWalk, surveyFolder, type Folder } from './portable-walk.ts';
import { CONTROL_FOUND_BYTES, CONTROL_FOUND_FILES, type RunState, type Survey, type TreeWalk } from './run-state.ts';
import { mapMode, movedFolder, readEntry } from './scan.ts';
import type { TreeEntry } from './types.ts';

/** How often the survey's findings so far become progress. */
const SURVEY_POLL_MS = 200;

interface Start {
  readonly rel: Buffer;
  readonly flags: number;
}

/**
 * Both walks in the addon (src/smig_walk.c): every folder listed, paired and worked on in C by the
 * run's threads, so JavaScript handles neither files nor folders, only what the walk hands back:
 * entries that need the whole tree or special care (hard links, an entry of another type in the
 * way, FIFOs, sockets and devices, what cannot be copied), planned and done as the portable walk does them;
 * extras; leftovers; failures; and the folders the walk went through. The walk gives each folder
 * its attributes once everything below it is done (deepest first, src/smig_walk.c); the run's own
 * finishing pass redoes only those it changes afterwards, the root, and any the walk could not settle.
 *
 * The survey also tells which folders have work; the copying walk then goes only into those and the
 * folders on the way to them (and into the folders it makes), so a pass over a tree where little
 * changed lists little twice.
 */
export class NativeWalk implements TreeWalk {
  readonly #state: RunState;
  readonly #calls: FolderCalls;
  /** Folders with work of their own and every folder on the way to them, by key; undefined: every folder. */
  #needed: Set<string> | undefined;
  /** Files the survey found equal in the walk's own part (the copying walk does not visit them all). */
  #equalFiles = 0;

  constructor(state: RunState, calls: FolderCalls) {
    this.#state = state;
    this.#calls = calls;
  }

  async survey(): Promise<Survey> {
    const state = this.#state;
    const survey: Survey = { files: 0, bytes: 0, unchanged: 0, work: false, failures: [], links: new LinkRegistry(state.isStaleTemp) };
    const found = { files: 0n, bytes: 0n };
    const poll = () => {
      const files = state.control[CONTROL_FOUND_FILES] as bigint;
      const bytes = state.control[CONTROL_FOUND_BYTES] as bigint;
      state.tracker.found(Number(files - found.files), Number(bytes - found.bytes));
      found.files = files;
      found.bytes = bytes;
    };
    // A partitioned pass walks its boundary folders in JavaScript (names checked one by one) and the
    // folders below them, wholly its own, here: the addon's walk is told nothing of partitions.
    let starts: Start[] = [{ rel: Buffer.alloc(0), flags: FOLDER_ON_DEST }];
    if (state.partition) {
      const inside: Folder[] = [];
      await new PortableWalk(state, (folder) => inside.push(folder)).surveyFolders(survey);
      starts = inside.map((folder) => ({ rel: folder.rel, flags: folder.onDestination ? FOLDER_ON_DEST : 0 }));
      this.#needed = new Set();
      if (starts.length === 0) return this.#sealSurvey(survey);
    }
    const timer = setInterval(poll, SURVEY_POLL_MS).unref();
    let walked;
    try {
      walked = await this.#walkTree(starts, 'survey');
    } finally {
      clearInterval(timer);
    }
    poll();
    const { counts, records } = walked;
    if (counts.stopped || state.settings.signal?.aborted) throw new CopyAbortedError(state.settings.signal?.reason ?? 'stopped');
    survey.failures.push(...records.failures);
    for (const entry of records.stale) state.leftovers.add(keyOf(entry.rel));
    survey.files += counts.copyFiles;
    survey.bytes += counts.copyBytes;
    survey.unchanged += counts.equalFiles;
    this.#equalFiles = counts.equalFiles;
    survey.work ||= counts.work;
    state.noteSourceCtime(counts.sourceCtimeMaxNs);
    for (const [source, destination] of this.#handedOverByFolder(records)) surveyFolder(state, survey, source, destination);
    // A folder that changed under the survey: its parent is listed again by the copying walk, which
    // copies what is there now (in a final pass, a change of the read-only source fails the run).
    for (const { rel, note } of records.moved) state.noteMovedFolder(rel, note, 'survey');
    this.#needed = neededFolders([...records.work.map((folder) => folder.rel), ...records.moved.map((folder) => parentOf(folder.rel))]);
    return this.#sealSurvey(survey);
  }

  #sealSurvey(survey: Survey): Survey {
    survey.links.seal();
    // Further names of files are settled only against the whole tree's groups: the copying walk does that.
    survey.work ||= survey.links.size > 0;
    return survey;
  }

  async copy(links: LinkRegistry): Promise<void> {
    const state = this.#state;
    const { ledger, settings } = state;
    const stale: TreeEntry[] = [];
    // The copying walk goes only where there is work: what is equal elsewhere is the survey's count.
    ledger.unchanged += this.#equalFiles;
    let starts: Start[] = [{ rel: Buffer.alloc(0), flags: FOLDER_ON_DEST }];
    if (state.partition) starts = await this.#partitionStarts(links);
    // Folders the planner makes (where the destination had something else) are walked in turn.
    while (starts.length > 0) {
      const { counts, records, notes } = await this.#walkTree(starts, 'copy');
      state.drainProgress();
      ledger.files += counts.files;
      ledger.bytes += counts.bytes;
      ledger.symlinks += counts.links;
      ledger.fixed += counts.fixed;
      ledger.verifiedFiles += counts.verified;
      ledger.readBack.direct += counts.verifiedDirect;
      ledger.readBack.dropped += counts.verifiedDropped;
      ledger.readBack.cache += counts.verified - counts.verifiedDirect - counts.verifiedDropped;
      ledger.dirs += counts.created;
      ledger.unchanged -= counts.differed;
      state.tracker.adjustTotal(counts.adjust);
      for (const failure of [...records.failures, ...notes.failures]) ledger.fail(failure);
      for (const { rel, note } of notes.moved) ledger.noteSource({ rel }, note);
      for (const { rel, note } of records.moved) state.noteMovedFolder(rel, note, 'copy');
      for (const { rel, kinds } of notes.leftOut) ledger.leftOut.note(rel, kinds);
      for (const folder of records.folders) {
        state.folders.push(mapMode(folder.entry, { modeOf: settings.sourceModes?.modeOf }));
        const key = keyOf(folder.entry.rel);
        if (folder.finished) {
          // The walk set its attributes, without what was left out of them.
          ledger.leftOut.noteFolder(folder.entry.rel, (folder.entry.leftOut ?? 0) | (folder.ownerLeftOut ? LEAVE_OUT_OWNERS : 0));
          // Set after everything in it, so after any change made so far: only a later one makes it due again.
          state.touched.delete(key);
          state.settled.add(key);
          continue;
        }
        if (folder.touched || folder.created) state.touch(folder.entry.rel);
        if (folder.settled) state.settled.add(key);
      }
      if (settings.mode === 'mirror') state.extras.push(...records.extras);
      stale.push(...records.stale);
      for (const entry of records.stale) state.leftovers.add(keyOf(entry.rel));
      // A hidden folder left under its temp name: the journal keeps this run's token for the next run.
      for (const rel of records.unrenamed) state.leftovers.add(keyOf(rel));
      if (counts.stopped || settings.signal?.aborted) throw new CopyAbortedError(settings.signal?.reason ?? 'stopped');
      starts = [];
      const linked = (await Promise.all(notes.linked.map((rel) => this.#readLinked(rel)))).filter((entry) => entry !== undefined);
      for (const [source, destination] of this.#handedOverByFolder(records, linked)) {
        const plan = planCopy(source, destination, planOptions(state, links));
        for (const failure of plan.unsupported) ledger.fail(failure);
        ledger.unchanged += plan.unchangedFiles;
        state.hardLinks.push(...plan.hardLinks);
        await prepareFolders(state, plan);
        await copyEntries(state, plan);
        for (const dir of plan.createDirs.flat()) starts.push({ rel: dir.rel, flags: FOLDER_CREATED });
      }
    }
    await removeEntries(state, 'copying', stale);
  }

  /**
   * A partitioned pass's copying walk of its boundary folders, in JavaScript (portable-walk.ts), which
   * hands over the folders below them (wholly the partition's): those are the addon's walk's starts,
   * where the survey found work below them, or their own attributes are off, or the walk just made them.
   */
  async #partitionStarts(links: LinkRegistry): Promise<Start[]> {
    const inside: Folder[] = [];
    await new PortableWalk(this.#state, (folder) => inside.push(folder)).copy(links);
    const needed = this.#needed;
    return inside
      .filter((folder) => !folder.onDestination || !folder.settled || needed === undefined || needed.has(keyOf(folder.rel)))
      .map((folder) => ({ rel: folder.rel, flags: folder.onDestination ? FOLDER_ON_DEST | (folder.settled ? FOLDER_SETTLED : 0) : FOLDER_CREATED }));
  }

  /** A source entry as the portable listing reads it (lstat, link target, xattrs). */
  #readSource(rel: Buffer): Promise<TreeEntry> {
    const state = this.#state;
    return readEntry(state.roots.sourceRoot, rel, { readXattrs: (abs) => state.platform.readXattrs(abs), leaveOut: state.ledger.leftOut.kinds });
  }

  /**
   * A file the walk found to have other names, read again for the planner. Gone or moved since (the
   * source changes during a bulk pass) it is noted as such, left to the next pass, not a failure.
   */
  async #readLinked(rel: Buffer): Promise<TreeEntry | undefined> {
    try {
      return await this.#readSource(rel);
    } catch (error) {
      const moved = movedFolder(rel, error);
      if (!moved) throw error;
      this.#state.ledger.noteSource({ rel }, moved);
      return undefined;
    }
  }

  /** Handed-over entries grouped by folder (source side with the modes the destination must get). */
  #handedOverByFolder(records: WalkRecords, more: readonly TreeEntry[] = []): [TreeEntry[], TreeEntry[]][] {
    const modeOf = this.#state.settings.sourceModes?.modeOf;
    const folders = new Map<string, [TreeEntry[], TreeEntry[]]>();
    const folderOf = (entry: TreeEntry) => {
      const key = keyOf(parentOf(entry.rel));
      let pair = folders.get(key);
      if (!pair) folders.set(key, (pair = [[], []]));
      return pair;
    };
    for (const entry of [...records.deferredSource, ...more]) folderOf(entry)[0].push(mapMode(entry, { modeOf }));
    for (const entry of records.deferredDestination) folderOf(entry)[1].push(entry);
    return [...folders.values()];
  }

  async #walkTree(starts: readonly Start[], pass: 'survey' | 'copy'): Promise<{ counts: WalkCounts; records: WalkRecords; notes: ReturnType<typeof parseNotes> }> {
    const state = this.#state;
    const { settings, roots } = state;
    const flags = (state.comparesOwners ? PAIR_COMPARE_OWNER : 0) | (settings.checksum ? PAIR_CHECKSUM : 0) | (pass === 'copy' ? PAIR_COPY : 0);
    const syncFlags =
      (settings.verify ? COPY_VERIFY : 0) | (settings.verifyFrom === 'storage' ? COPY_VERIFY_STORAGE : 0) | (state.isRoot ? COPY_AS_ROOT : 0) |
      (settings.writeBack === 'pass' ? SYNC_WRITE_BACK : 0) | (settings.stableSource ? SYNC_STABLE : 0) | leaveOutFlags(state.ledger.leftOut.kinds);
    const needed = pass === 'copy' && this.#needed ? packPaths([...this.#needed].map((key) => Buffer.from(key, 'latin1'))) : null;
    const result = await this.#calls.walkTree(
      roots.sourceRoot,
      roots.destinationRoot,
      packStarts(starts),
      flags,
      syncFlags,
      Number(state.timeGranularityNs),
      state.journal.suspectSinceNs ?? null,
      settings.sourceModes?.packed() ?? null,
      // The run's journal, at a name the source root did not hold when the run began (see CopyRun, #noteSkippedSource).
      state.journal.name,
      needed,
      settings.concurrency,
      state.controlBuffer,
      state.marks?.sourceXattrsAfterNs ?? null,
      state.marks?.destinationXattrsAfterNs ?? null,
      packTokens(state.journal.staleTokens),
    );
    return {
      counts: parseCounts(result.counts),
      records: parseRecords(result.records, { source: roots.sourceRoot, destination: roots.destinationRoot }),
      notes: parseNotes(result.notes, 'xxh3-128'),
    };
  }
}

/** Folders with work and every folder on the way to each (the root included), by key. */
function neededFolders(work: readonly Buffer[]): Set<string> {
  const needed = new Set<string>();
  for (const rel of work) {
    for (let at: Buffer | undefined = rel; at !== undefined; at = at.length === 0 ? undefined : parentOf(at)) {
      const key = keyOf(at);
      if (needed.has(key)) break;
      needed.add(key);
    }
  }
  return needed;
}
