import { baseName, depthOf, display, keyOf, parentOf } from './paths.ts';
import { MICROSECOND, sameTime } from './times.ts';
import type { CopyFailure, CopyMode, TreeEntry } from './types.ts';
import { sameXattrs } from './xattrs.ts';

/** A further name of a file that has several in the source tree: made a hard link to `leader`'s copy. */
export interface HardLink {
  readonly entry: TreeEntry;
  /** The group's first path, whose data is copied. */
  readonly leader: TreeEntry;
  /** The destination already links this name to the leader's copy; only a new copy of the leader calls for a new link. */
  readonly linked: boolean;
}

/** What a run has to do to make the destination equal the source. Computed without touching disks. */
export interface CopyPlan {
  /** Destination entries in the way of a source entry of another type; removed first. */
  readonly replace: readonly TreeEntry[];
  /** Leftover temp files and hidden folders of an interrupted run (PlanOptions.isStaleTemp); removed whatever the mode. */
  readonly staleTemps: readonly TreeEntry[];
  /** Source folders missing on the destination, grouped by depth (parents first). */
  readonly createDirs: readonly (readonly TreeEntry[])[];
  /** Existing destination folders their owner cannot write into (mode without u+rwx). */
  readonly lockedDirs: readonly TreeEntry[];
  /** Source regular files whose data must be copied (of a file with several names, only the leader). */
  readonly copyFiles: readonly TreeEntry[];
  readonly bytesToCopy: number;
  /** Files whose size and mtime match, to compare by content (checksum mode); copied if they differ. */
  readonly compareFiles: readonly TreeEntry[];
  /** Files, FIFOs, sockets and device nodes whose data matches but whose mode, owner, times or attributes do not. */
  readonly fixFiles: readonly TreeEntry[];
  readonly unchangedFiles: number;
  /** Source symbolic links to create or replace. */
  readonly links: readonly TreeEntry[];
  /** Source FIFOs, sockets and device nodes to create or replace. */
  readonly specials: readonly TreeEntry[];
  /** Every further name of a file with several, in path order. */
  readonly hardLinks: readonly HardLink[];
  /** Destination entries the source does not have (only the topmost of a subtree); removed in mirror mode. */
  readonly extras: readonly TreeEntry[];
  /** Every source folder, deepest first: their metadata is applied last, after their children. */
  readonly finishDirs: readonly (readonly TreeEntry[])[];
  /** Keys (keyOf) of folders whose destination attributes already match: left alone unless a pass changes what is in them. */
  readonly settledDirs: ReadonlySet<string>;
  /** Source entries that cannot be copied at all. */
  readonly unsupported: readonly CopyFailure[];
}

export interface PlanOptions {
  readonly mode: CopyMode;
  /** Owner and group count as a difference (only when they can be set, i.e. as root). */
  readonly compareOwner: boolean;
  /** How finely the destination keeps times (see time-granularity.ts). @default 1000n (microseconds) */
  readonly timeGranularityNs?: bigint;
  /** Compare the content of files whose size and mtime match. @default false */
  readonly checksum?: boolean;
  /**
   * Destination files with a ctime at or after this (ns) were placed by a run that did not finish
   * writing back (see durability.ts): their size and mtime prove nothing, so they are compared by
   * content. @default none
   */
  readonly suspectSinceNs?: bigint;
  /** Why a FIFO, socket or device node cannot be created here. @default they all can */
  readonly cannotCreate?: (entry: TreeEntry) => string | undefined;
  /**
   * Which files are one file under several names, across the whole tree: for planning one folder
   * at a time (a LinkRegistry the run filled in its survey). `linked` in the plan's hard links then
   * assumes no leader elsewhere is copied by the run; the run corrects that. @default the groups
   * found in `source` and `destination`
   */
  readonly links?: LinkIndex;
  /**
   * Whether a destination name the source does not have is a leftover of an earlier run of the engine
   * (paths.ts, staleTempMatcher: its temp names carry the run's token, which its journal records).
   * @default none is: every name is the share's
   */
  readonly isStaleTemp?: (name: Buffer) => boolean;
  /**
   * Boundary folders of a partitioned pass (partition-view.ts): made where missing, gone through, but
   * never finished (their attributes are the seal's: partition-seal.ts) nor counted as work of their own.
   * @default none
   */
  readonly isBoundary?: (rel: Buffer) => boolean;
}

/** What a plan needs to know about hard links (see LinkGroups). */
export interface LinkIndex {
  leaderOf(entry: TreeEntry): TreeEntry | undefined;
  linkedOnDestination(leader: TreeEntry, current: TreeEntry | undefined): boolean;
  sharedWithOthers(entry: TreeEntry, current: TreeEntry | undefined): boolean;
}

/** `source` and `destination` are scans sorted by path (parents before children). */
export function planCopy(source: readonly TreeEntry[], destination: readonly TreeEntry[], options: PlanOptions): CopyPlan {
  const granularity = options.timeGranularityNs ?? MICROSECOND;
  const same = (a: bigint, b: bigint) => sameTime(a, b, granularity);
  const destinationByKey = new Map(destination.map((entry) => [keyOf(entry.rel), entry]));
  const isStaleTemp = options.isStaleTemp ?? (() => false);
  const links = options.links ?? new LinkGroups(source, destination, isStaleTemp);
  const sourceKeys = new Set<string>();
  const replace: TreeEntry[] = [];
  const createDirs: TreeEntry[] = [];
  const copyFiles: TreeEntry[] = [];
  const compareFiles: TreeEntry[] = [];
  const fixFiles: TreeEntry[] = [];
  const symlinks: TreeEntry[] = [];
  const specials: TreeEntry[] = [];
  const hardLinks: HardLink[] = [];
  const dirs: TreeEntry[] = [];
  const settledDirs = new Set<string>();
  const lockedDirs: TreeEntry[] = [];
  const unsupported: CopyFailure[] = [];
  const leaderCopied = new Set<string>();
  let unchangedFiles = 0;
  let bytesToCopy = 0;

  const sameAttributes = (a: TreeEntry, b: TreeEntry, withAtime: boolean): boolean =>
    a.mode === b.mode &&
    (!options.compareOwner || (a.uid === b.uid && a.gid === b.gid)) &&
    same(a.mtimeNs, b.mtimeNs) &&
    (!withAtime || same(a.atimeNs, b.atimeNs)) &&
    sameXattrs(a.xattrs, b.xattrs);

  for (const entry of source) {
    const key = keyOf(entry.rel);
    sourceKeys.add(key);
    const existing = destinationByKey.get(key);
    if (existing && existing.kind !== entry.kind) replace.push(existing);
    const current = existing?.kind === entry.kind ? existing : undefined;

    switch (entry.kind) {
      case 'dir':
        if (options.isBoundary?.(entry.rel)) {
          // Another partition may make it too, and the seal gives it its attributes.
          if (!current) createDirs.push(entry);
          else if ((current.mode & 0o700) !== 0o700) lockedDirs.push(current);
          settledDirs.add(key);
          break;
        }
        dirs.push(entry);
        if (!current) createDirs.push(entry);
        else {
          if ((current.mode & 0o700) !== 0o700) lockedDirs.push(current);
          // A folder's atime changes whenever it is listed, so it is set but not compared.
          if (sameAttributes(current, entry, false)) settledDirs.add(key);
        }
        break;
      case 'file': {
        const leader = links.leaderOf(entry);
        if (leader) {
          const linked = !leaderCopied.has(keyOf(leader.rel)) && links.linkedOnDestination(leader, current);
          hardLinks.push({ entry, leader, linked });
          if (linked) unchangedFiles += 1;
          break;
        }
        const upToDate = current !== undefined && current.size === entry.size && same(current.mtimeNs, entry.mtimeNs);
        if (!upToDate || links.sharedWithOthers(entry, current)) {
          copyFiles.push(entry);
          leaderCopied.add(key);
          bytesToCopy += entry.size;
          break;
        }
        unchangedFiles += 1;
        if (options.checksum || isSuspect(current, options.suspectSinceNs)) compareFiles.push(entry);
        if (!sameAttributes(current, entry, true)) fixFiles.push(entry);
        break;
      }
      case 'symlink':
        if (!current || !sameLink(current, entry, options.compareOwner, same)) symlinks.push(entry);
        break;
      case 'special': {
        const reason = options.cannotCreate?.(entry);
        if (reason) unsupported.push({ path: display(entry.rel), reason: `cannot copy ${entry.typeName}: ${reason}` });
        else if (!current || current.format !== entry.format || current.rdev !== entry.rdev) specials.push(entry);
        else if (!sameAttributes(current, entry, true)) fixFiles.push(entry);
        break;
      }
      case 'unsupported':
        unsupported.push({ path: display(entry.rel), reason: `unsupported file type: ${entry.typeName}` });
        break;
    }
  }

  const { extras, staleTemps } = findExtras(destination, sourceKeys, new Set(replace.map((e) => keyOf(e.rel))), isStaleTemp);
  const byDepth = groupByDepth(dirs);
  return {
    replace,
    staleTemps,
    createDirs: groupByDepth(createDirs),
    lockedDirs,
    copyFiles,
    bytesToCopy,
    compareFiles,
    fixFiles,
    unchangedFiles,
    links: symlinks,
    specials,
    hardLinks,
    extras: options.mode === 'mirror' ? extras : [],
    finishDirs: byDepth.reverse(),
    settledDirs,
    unsupported,
  };
}

/**
 * Which source files are one file under several names, and whether the destination already has
 * them so. Leftover temp names are left out: they are removed before anything is linked.
 */
class LinkGroups implements LinkIndex {
  /** linkKey → the source paths of that file, in path order (the first is the leader). */
  readonly #sourceGroups = new Map<string, TreeEntry[]>();
  /** Keys of every source regular file, with its group's linkKey if it has several names. */
  readonly #sourceFiles = new Map<string, string | undefined>();
  /** Destination linkKey → keys of the destination paths of that file. */
  readonly #destinationGroups = new Map<string, string[]>();

  constructor(source: readonly TreeEntry[], destination: readonly TreeEntry[], isStaleTemp: (name: Buffer) => boolean) {
    for (const entry of source) {
      if (entry.kind !== 'file') continue;
      this.#sourceFiles.set(keyOf(entry.rel), entry.linkKey);
      if (entry.linkKey === undefined) continue;
      const group = this.#sourceGroups.get(entry.linkKey);
      if (group) group.push(entry);
      else this.#sourceGroups.set(entry.linkKey, [entry]);
    }
    for (const entry of destination) {
      if (entry.kind !== 'file' || entry.linkKey === undefined || isStaleTemp(baseName(entry.rel))) continue;
      const group = this.#destinationGroups.get(entry.linkKey);
      if (group) group.push(keyOf(entry.rel));
      else this.#destinationGroups.set(entry.linkKey, [keyOf(entry.rel)]);
    }
  }

  /** The leader of `entry`'s group, when `entry` is a further name; undefined for a leader or a file with one name here. */
  leaderOf(entry: TreeEntry): TreeEntry | undefined {
    const leader = entry.linkKey === undefined ? undefined : this.#sourceGroups.get(entry.linkKey)?.[0];
    return leader === undefined || leader === entry ? undefined : leader;
  }

  /** The destination's copy of `follower` (`current`) is the same file as the leader's copy. */
  linkedOnDestination(leader: TreeEntry, current: TreeEntry | undefined): boolean {
    if (current?.linkKey === undefined) return false;
    return this.#destinationGroups.get(current.linkKey)?.includes(keyOf(leader.rel)) ?? false;
  }

  /**
   * The destination's copy of `entry` is also the destination file of a source path that is not
   * `entry`'s own name: it must be split off (copied to a file of its own) before anything is linked.
   */
  sharedWithOthers(entry: TreeEntry, current: TreeEntry | undefined): boolean {
    if (current?.linkKey === undefined) return false;
    const self = keyOf(entry.rel);
    for (const other of this.#destinationGroups.get(current.linkKey) ?? []) {
      if (other === self || !this.#sourceFiles.has(other)) continue; // a name the source lacks goes anyway
      if (entry.linkKey === undefined || this.#sourceFiles.get(other) !== entry.linkKey) return true;
    }
    return false;
  }
}

/**
 * The hard-link groups of a whole tree, gathered folder by folder (`addFolder`, in any order) and
 * then sealed: a LinkIndex for plans of one folder. Holds only files with several names (and what
 * the source has at the destination's names of such files), so it grows with hard links, not with
 * the tree.
 */
export class LinkRegistry implements LinkIndex {
  readonly #sourceGroups = new Map<string, TreeEntry[]>();
  /** Keys of source files that matter here (with several names, or at a destination name with several), and their linkKey. */
  readonly #sourceFiles = new Map<string, string | undefined>();
  readonly #destinationGroups = new Map<string, string[]>();
  readonly #isStaleTemp: (name: Buffer) => boolean;
  #sealed = false;

  /** `isStaleTemp`: PlanOptions.isStaleTemp (such names are removed before anything is linked). */
  constructor(isStaleTemp: (name: Buffer) => boolean = () => false) {
    this.#isStaleTemp = isStaleTemp;
  }

  /** Adds one folder's entries, source and destination side (sorted by name). */
  addFolder(source: readonly TreeEntry[], destination: readonly TreeEntry[]): void {
    let sourceByKey: Map<string, TreeEntry> | undefined;
    for (const entry of destination) {
      if (entry.kind !== 'file' || entry.linkKey === undefined || this.#isStaleTemp(baseName(entry.rel))) continue;
      const key = keyOf(entry.rel);
      const group = this.#destinationGroups.get(entry.linkKey);
      if (group) group.push(key);
      else this.#destinationGroups.set(entry.linkKey, [key]);
      sourceByKey ??= new Map(source.map((e) => [keyOf(e.rel), e]));
      const there = sourceByKey.get(key);
      if (there?.kind === 'file') this.#sourceFiles.set(key, there.linkKey);
    }
    for (const entry of source) {
      if (entry.kind !== 'file' || entry.linkKey === undefined) continue;
      this.#sourceFiles.set(keyOf(entry.rel), entry.linkKey);
      const group = this.#sourceGroups.get(entry.linkKey);
      if (group) group.push(entry);
      else this.#sourceGroups.set(entry.linkKey, [entry]);
    }
  }

  /** Orders each group by path: its first name is the leader, as in a plan of the whole tree. */
  seal(): void {
    for (const group of this.#sourceGroups.values()) group.sort((a, b) => Buffer.compare(a.rel, b.rel));
    this.#sealed = true;
  }

  get size(): number {
    return this.#sourceGroups.size + this.#destinationGroups.size;
  }

  leaderOf(entry: TreeEntry): TreeEntry | undefined {
    this.#assertSealed();
    const leader = entry.linkKey === undefined ? undefined : this.#sourceGroups.get(entry.linkKey)?.[0];
    return leader === undefined || leader.rel.equals(entry.rel) ? undefined : leader;
  }

  linkedOnDestination(leader: TreeEntry, current: TreeEntry | undefined): boolean {
    if (current?.linkKey === undefined) return false;
    return this.#destinationGroups.get(current.linkKey)?.includes(keyOf(leader.rel)) ?? false;
  }

  sharedWithOthers(entry: TreeEntry, current: TreeEntry | undefined): boolean {
    if (current?.linkKey === undefined) return false;
    const self = keyOf(entry.rel);
    for (const other of this.#destinationGroups.get(current.linkKey) ?? []) {
      if (other === self || !this.#sourceFiles.has(other)) continue;
      if (entry.linkKey === undefined || this.#sourceFiles.get(other) !== entry.linkKey) return true;
    }
    return false;
  }

  #assertSealed(): void {
    if (!this.#sealed) throw new Error('LinkRegistry used before seal()');
  }
}

/** Topmost destination entries the source lacks, with leftover temp files apart. */
function findExtras(destination: readonly TreeEntry[], sourceKeys: ReadonlySet<string>, replaced: ReadonlySet<string>, isStaleTemp: (name: Buffer) => boolean) {
  const removed = new Set(replaced);
  const extras: TreeEntry[] = [];
  const staleTemps: TreeEntry[] = [];
  for (const entry of destination) {
    const key = keyOf(entry.rel);
    if (removed.has(keyOf(parentOf(entry.rel)))) {
      removed.add(key); // goes with its removed parent
      continue;
    }
    if (sourceKeys.has(key)) continue;
    removed.add(key);
    if (isStaleTemp(baseName(entry.rel))) staleTemps.push(entry);
    else extras.push(entry);
  }
  return { extras, staleTemps };
}

function isSuspect(entry: TreeEntry, since: bigint | undefined): boolean {
  return since !== undefined && (entry.ctimeNs === undefined || entry.ctimeNs >= since);
}

function sameLink(a: TreeEntry, b: TreeEntry, compareOwner: boolean, same: (a: bigint, b: bigint) => boolean): boolean {
  const sameTarget = a.target !== undefined && b.target !== undefined && a.target.equals(b.target);
  return sameTarget && same(a.mtimeNs, b.mtimeNs) && (!compareOwner || (a.uid === b.uid && a.gid === b.gid)) && sameXattrs(a.xattrs, b.xattrs);
}

function groupByDepth(entries: readonly TreeEntry[]): TreeEntry[][] {
  const levels: TreeEntry[][] = [];
  for (const entry of entries) {
    const depth = depthOf(entry.rel);
    while (levels.length <= depth) levels.push([]);
    (levels[depth] as TreeEntry[]).push(entry);
  }
  return levels.filter((level) => level.length > 0);
}
