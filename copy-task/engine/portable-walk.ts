import { rmdir } from './long-paths.ts';
import { keyOf } from './paths.ts';
import { LinkRegistry, planCopy, type CopyPlan, type LinkIndex } from './plan.ts';
import { copyEntries, prepareFolders } from './planned-entries.ts';
import { runQueue } from './pool.ts';
import type { RunState, Survey, TreeWalk } from './run-state.ts';
import { listFolder, listFolderPair, readEntry, type FolderListing, type ListOptions, type SameFiles } from './scan.ts';
import type { CopyFailure, TreeEntry } from './types.ts';
import { leaveOutFlags, PAIR_COMPARE_OWNER, SCAN_XATTRS_ALL, SCAN_XATTRS_FOLDERS, SCAN_XATTRS_NONE } from '../native/index.ts';

/** Folders listed (and, while copying, worked on) at once; their files share the run's `concurrency`. */
const FOLDERS_AT_ONCE = 4;

/** A folder of the walk: its path, and whether the destination has it as a folder to list. */
export interface Folder {
  readonly rel: Buffer;
  readonly onDestination: boolean;
  /** Its attributes matched the source's when its parent was planned (copying walk). */
  readonly settled?: boolean;
  /**
   * A boundary folder of a partitioned pass that the destination has and the source does not: gone
   * through on the destination side only, for the extras the partition owns below it (PartitionView.cut).
   */
  readonly sourceAbsent?: boolean;
}

/**
 * Both walks with listings and plans made in JavaScript, every entry through planned-entries.ts: the
 * engine's way without the addon's folder calls (no addon, or hooks that must see each file). Uses
 * the addon's per-folder listings and per-file copies when it is loaded.
 */
export class PortableWalk implements TreeWalk {
  readonly #state: RunState;
  readonly #handOff: ((folder: Folder) => void) | undefined;

  /**
   * `handOff`: a partitioned pass's folders below the boundary ones (wholly the partition's) are given
   * to it instead of being walked here: the native walk takes them (native-walk.ts). @default all walked here
   */
  constructor(state: RunState, handOff?: (folder: Folder) => void) {
    this.#state = state;
    this.#handOff = handOff;
  }

  /** The first walk: counts, hard-link groups, and what cannot be copied, before anything is written. */
  async survey(): Promise<Survey> {
    const state = this.#state;
    const survey: Survey = { files: 0, bytes: 0, unchanged: 0, work: false, failures: [], links: new LinkRegistry(state.isStaleTemp) };
    await this.surveyFolders(survey);
    survey.links.seal();
    // Further names of files are settled only against the whole tree's groups: the copying walk does that.
    survey.work ||= survey.links.size > 0;
    return survey;
  }

  /** The survey's walk, into `survey` (its link registry left open). */
  async surveyFolders(survey: Survey): Promise<void> {
    const state = this.#state;
    // Within one folder's plan, names of one file are recognised; across folders, the registry does it later.
    await this.#walk(async (dir, source, destination, failures, same, moved) => {
      if (moved) {
        state.noteMovedFolder(dir, moved, 'survey');
        return [];
      }
      survey.failures.push(...failures);
      survey.unchanged += same.files;
      if (same.files > 0) state.tracker.found(same.files, same.bytes);
      const plan = surveyFolder(state, survey, source, destination);
      survey.work ||= hasWork(plan, source);
      return subfoldersOf(source, destination);
    }, 'survey');
  }

  /** The second walk: makes each folder's entries like the source's. */
  async copy(links: LinkRegistry): Promise<void> {
    const state = this.#state;
    await this.#walk(async (dir, source, destination, failures, same, moved, folder) => {
      if (moved) {
        await leaveMovedFolder(state, dir, moved, folder?.onDestination ?? true);
        return [];
      }
      for (const failure of failures) state.ledger.fail(failure);
      const plan = planCopy(source, destination, planOptions(state, links));
      for (const failure of plan.unsupported) state.ledger.fail(failure);
      state.ledger.unchanged += plan.unchangedFiles + same.files;
      for (const level of plan.finishDirs) state.folders.push(...level);
      for (const key of plan.settledDirs) state.settled.add(key);
      state.hardLinks.push(...plan.hardLinks);
      state.extras.push(...plan.extras);
      await prepareFolders(state, plan);
      await copyEntries(state, plan);
      const created = new Set(plan.createDirs.flat().map((e) => keyOf(e.rel)));
      const replaced = new Set(plan.replace.map((e) => keyOf(e.rel)));
      return subfoldersOf(source, destination).map((folder) => {
        const key = keyOf(folder.rel);
        // A boundary folder may hold other partitions' entries even when this one just made it: listed.
        const made = (created.has(key) || replaced.has(key)) && !state.partition?.isBoundary(folder.rel);
        return made ? { rel: folder.rel, onDestination: false } : { ...folder, settled: plan.settledDirs.has(key) };
      });
    });
  }

  #listOptions(side: 'source' | 'destination'): ListOptions {
    const state = this.#state;
    const fast = state.platform.fast;
    const modeOf = state.settings.sourceModes?.modeOf;
    // What the destination refuses is left out of both sides: never set, removed nor compared.
    const leaveOut = state.ledger.leftOut.kinds;
    const journal = state.journal.name;
    return {
      readXattrs: (abs) => state.platform.readXattrs(abs),
      leaveOut,
      listDir: fast ? (abs, range) => fast.scanDir(abs, SCAN_XATTRS_ALL, leaveOut, range) : undefined,
      // The run's journal, at a name the source root did not hold when the run began (see CopyRun, #noteSkippedSource).
      skip: (rel: Buffer) => rel.equals(journal),
      ...(side === 'source' ? { mayChange: true } : {}),
      ...(side === 'source' && modeOf ? { modeOf } : {}),
    };
  }

  /**
   * Walks both trees together, one folder at a time (FOLDERS_AT_ONCE at once): `visit` gets a
   * folder's entries on both sides (sorted by name) and returns the subfolders to walk into.
   * The roots come first, as the one "folder" holding both root entries.
   */
  async #walk(
    visit: (
      dir: Buffer, source: TreeEntry[], destination: TreeEntry[], failures: CopyFailure[], same: SameFiles, moved?: FolderListing['moved'], folder?: Folder,
    ) => Promise<Folder[]>,
    /**
     * The survey reads the source's xattrs only to compare them: a folder the destination lacks is
     * listed without them. The copy then needs only the folders' own (set at the end; a file's,
     * link's or special file's are read from it as it is copied).
     */
    pass: 'survey' | 'copy' = 'copy',
  ): Promise<void> {
    const state = this.#state;
    const sourceOptions = this.#listOptions('source');
    const fast = state.platform.fast;
    const unmatched = pass === 'survey' ? SCAN_XATTRS_NONE : SCAN_XATTRS_FOLDERS;
    const bareSourceOptions: ListOptions = fast
      ? { ...sourceOptions, readXattrs: undefined, listDir: (abs, range) => fast.scanDir(abs, unmatched, state.ledger.leftOut.kinds, range) }
      : sourceOptions;
    const destinationOptions = this.#listOptions('destination');
    const here = Buffer.alloc(0);
    const [sourceRoot, destinationRoot] = await Promise.all([
      readEntry(state.roots.sourceRoot, here, sourceOptions),
      readEntry(state.roots.destinationRoot, here, destinationOptions),
    ]);
    const top = await visit(here, [sourceRoot], [destinationRoot], [], { files: 0, bytes: 0 });
    const pair = this.#pairLister();
    const roots = { source: state.roots.sourceRoot, destination: state.roots.destinationRoot };
    const partition = state.partition;
    // In a boundary folder, only what the partition may see is built (PartitionView.keep*).
    const seen = partition
      ? {
          source: { ...sourceOptions, keep: partition.keepSource },
          bareSource: { ...bareSourceOptions, keep: partition.keepSource },
          destination: { ...destinationOptions, keep: partition.keepDestination },
        }
      : undefined;
    await runQueue(top, FOLDERS_AT_ONCE, state.settings.signal, async (folder, push) => {
      // Below the boundary folders, all is the partition's (the walk pushes no folder outside it).
      const boundary = partition?.isBoundary(folder.rel) ?? false;
      if (!boundary && partition && this.#handOff) {
        this.#handOff(folder);
        return;
      }
      const range = boundary ? partition?.nameRange(folder.rel) : undefined;
      const sides =
        boundary && seen
          ? { source: { ...seen.source, range }, bareSource: { ...seen.bareSource, range }, destination: { ...seen.destination, range } }
          : { source: sourceOptions, bareSource: bareSourceOptions, destination: destinationOptions };
      let source: FolderListing;
      let destination: FolderListing;
      let same: SameFiles = { files: 0, bytes: 0 };
      if (folder.sourceAbsent) {
        // Another partition may replace it meanwhile (by a non-folder the source has there): then nothing is left to do.
        [source, destination] = [{ entries: [], failures: [] }, await listFolder(state.roots.destinationRoot, folder.rel, { ...sides.destination, mayChange: true })];
      } else if (pair && folder.onDestination) {
        ({ source, destination, same } = await listFolderPair(roots, folder.rel, { source: sides.source, destination: sides.destination }, pair));
      } else {
        [source, destination] = await Promise.all([
          listFolder(state.roots.sourceRoot, folder.rel, folder.onDestination ? sides.source : sides.bareSource),
          folder.onDestination ? listFolder(state.roots.destinationRoot, folder.rel, sides.destination) : { entries: [], failures: [] },
        ]);
      }
      const failures = [...source.failures, ...destination.failures];
      let destinationOnly: Buffer[] = [];
      if (boundary && partition) {
        const cut = partition.cut(source.entries, destination.entries);
        source = { ...source, entries: cut.source };
        destination = { ...destination, entries: cut.destination };
        destinationOnly = cut.destinationOnly;
      }
      for (const next of await visit(folder.rel, source.entries, destination.entries, failures, same, source.moved, folder)) push(next);
      for (const rel of destinationOnly) push({ rel, onDestination: true, sourceAbsent: true });
    });
  }

  /**
   * Both sides of a folder listed together by the addon, which leaves out files equal on both; not
   * when their content is to be compared anyway (checksum, or an earlier run that did not finish
   * writing back), nor when the source's modes are mapped (the addon compares what lstat shows).
   */
  #pairLister() {
    const state = this.#state;
    const fast = state.platform.fast;
    if (!fast || state.settings.checksum || state.settings.sourceModes || state.journal.suspectSinceNs !== undefined) return undefined;
    const flags = (state.comparesOwners ? PAIR_COMPARE_OWNER : 0) | leaveOutFlags(state.ledger.leftOut.kinds);
    return (source: Buffer, destination: Buffer, range?: Buffer) => fast.scanPair(source, destination, Number(state.timeGranularityNs), flags, range);
  }
}

/**
 * One folder's entries counted into the survey as the copying walk will plan them: what they hold,
 * what is to be copied, hard-link groups, and what cannot be copied.
 */
export function surveyFolder(state: RunState, survey: Survey, source: readonly TreeEntry[], destination: readonly TreeEntry[]): CopyPlan {
  for (const entry of source) {
    if (entry.kind === 'file') state.tracker.found(1, entry.size);
    state.noteSourceCtime(entry.ctimeNs);
  }
  survey.links.addFolder(source, destination);
  const plan = planCopy(source, destination, planOptions(state));
  for (const entry of plan.staleTemps) state.leftovers.add(keyOf(entry.rel));
  survey.failures.push(...plan.unsupported);
  survey.files += plan.copyFiles.length;
  survey.bytes += plan.bytesToCopy;
  survey.unchanged += plan.unchangedFiles;
  return plan;
}

export function planOptions(state: RunState, links?: LinkIndex) {
  return {
    mode: state.settings.mode,
    compareOwner: state.comparesOwners,
    timeGranularityNs: state.timeGranularityNs,
    checksum: state.settings.checksum,
    suspectSinceNs: state.journal.suspectSinceNs,
    isStaleTemp: state.isStaleTemp,
    cannotCreate: (entry: TreeEntry) => state.platform.cannotMakeSpecial(entry.format ?? 0, state.isRoot),
    ...(links ? { links } : {}),
    ...(state.partition ? { isBoundary: (rel: Buffer) => state.partition?.isBoundary(rel) ?? false } : {}),
  };
}

/**
 * A source folder that was no longer one when the copying walk went into it (state.noteMovedFolder):
 * noted, left as it is on the destination for the next pass, and not finished with the attributes it
 * had when listed; the empty folder this walk made for it goes (`made`: not on the destination before).
 */
async function leaveMovedFolder(state: RunState, dir: Buffer, moved: NonNullable<FolderListing['moved']>, onDestination: boolean): Promise<void> {
  state.noteMovedFolder(dir, moved, 'copy');
  state.unfinished.add(keyOf(dir));
  if (onDestination) return;
  await state.attempt(dir, 'cannot remove the folder made for it', async () => {
    await rmdir(state.destination(dir));
    state.ledger.dirs -= 1;
    state.touchParent(dir);
  });
}

/** Subfolders to walk into next: every source folder, listed on the destination when it is a folder there. */
function subfoldersOf(source: readonly TreeEntry[], destination: readonly TreeEntry[]): Folder[] {
  const destinationFolders = new Set(destination.filter((e) => e.kind === 'dir').map((e) => keyOf(e.rel)));
  return source.filter((e) => e.kind === 'dir').map((e) => ({ rel: e.rel, onDestination: destinationFolders.has(keyOf(e.rel)) }));
}

/** Anything for the copying walk to do in this folder (beyond the folders below it). */
export function hasWork(plan: CopyPlan, source: readonly TreeEntry[]): boolean {
  // The root is seen to in any case (the time probe just changed its mtime).
  const dirs = source.filter((e) => e.kind === 'dir' && e.rel.length > 0);
  return (
    plan.replace.length + plan.staleTemps.length + plan.createDirs.length + plan.lockedDirs.length + plan.copyFiles.length +
      plan.compareFiles.length + plan.fixFiles.length + plan.links.length + plan.specials.length + plan.hardLinks.length +
      plan.extras.length > 0 || dirs.some((dir) => !plan.settledDirs.has(keyOf(dir.rel)))
  );
}
