import { baseName, depthOf, display, isTempName, keyOf, parentOf } from './paths.ts';
import { sameMicrosecond } from './times.ts';
import type { CopyFailure, CopyMode, TreeEntry } from './types.ts';

/** What a run has to do to make the destination equal the source. Computed without touching disks. */
export interface CopyPlan {
  /** Destination entries in the way of a source entry of another type; removed first. */
  readonly replace: readonly TreeEntry[];
  /** Leftover temp files of an interrupted run; removed whatever the mode. */
  readonly staleTemps: readonly TreeEntry[];
  /** Source folders missing on the destination, grouped by depth (parents first). */
  readonly createDirs: readonly (readonly TreeEntry[])[];
  /** Existing destination folders their owner cannot write into (mode without u+rwx). */
  readonly lockedDirs: readonly TreeEntry[];
  /** Source regular files whose data must be copied. */
  readonly copyFiles: readonly TreeEntry[];
  readonly bytesToCopy: number;
  /** Regular files whose data matches but whose mode or owner does not. */
  readonly fixFiles: readonly TreeEntry[];
  readonly unchangedFiles: number;
  /** Source symbolic links to create or replace. */
  readonly links: readonly TreeEntry[];
  /** Destination entries the source does not have (only the topmost of a subtree); removed in mirror mode. */
  readonly extras: readonly TreeEntry[];
  /** Every source folder, deepest first: their metadata is applied last, after their children. */
  readonly finishDirs: readonly (readonly TreeEntry[])[];
  /** Source entries that cannot be copied at all. */
  readonly unsupported: readonly CopyFailure[];
}

export interface PlanOptions {
  readonly mode: CopyMode;
  /** Owner and group count as a difference (only when they can be set, i.e. as root). */
  readonly compareOwner: boolean;
}

/** `source` and `destination` are scans sorted by path (parents before children). */
export function planCopy(source: readonly TreeEntry[], destination: readonly TreeEntry[], options: PlanOptions): CopyPlan {
  const destinationByKey = new Map(destination.map((entry) => [keyOf(entry.rel), entry]));
  const sourceKeys = new Set<string>();
  const replace: TreeEntry[] = [];
  const createDirs: TreeEntry[] = [];
  const copyFiles: TreeEntry[] = [];
  const fixFiles: TreeEntry[] = [];
  const links: TreeEntry[] = [];
  const dirs: TreeEntry[] = [];
  const lockedDirs: TreeEntry[] = [];
  const unsupported: CopyFailure[] = [];
  let unchangedFiles = 0;
  let bytesToCopy = 0;

  for (const entry of source) {
    const key = keyOf(entry.rel);
    sourceKeys.add(key);
    const existing = destinationByKey.get(key);
    if (existing && existing.kind !== entry.kind) replace.push(existing);
    const current = existing?.kind === entry.kind ? existing : undefined;

    switch (entry.kind) {
      case 'dir':
        dirs.push(entry);
        if (!current) createDirs.push(entry);
        else if ((current.mode & 0o700) !== 0o700) lockedDirs.push(current);
        break;
      case 'file':
        if (!current || current.size !== entry.size || !sameMicrosecond(current.mtimeNs, entry.mtimeNs)) {
          copyFiles.push(entry);
          bytesToCopy += entry.size;
        } else {
          unchangedFiles += 1;
          if (!sameAttributes(current, entry, options.compareOwner)) fixFiles.push(entry);
        }
        break;
      case 'symlink':
        if (!current || !sameLink(current, entry, options.compareOwner)) links.push(entry);
        break;
      case 'unsupported':
        unsupported.push({ path: display(entry.rel), reason: `unsupported file type: ${entry.typeName}` });
        break;
    }
  }

  const { extras, staleTemps } = findExtras(destination, sourceKeys, new Set(replace.map((e) => keyOf(e.rel))));
  const byDepth = groupByDepth(dirs);
  return {
    replace,
    staleTemps,
    createDirs: groupByDepth(createDirs),
    lockedDirs,
    copyFiles,
    bytesToCopy,
    fixFiles,
    unchangedFiles,
    links,
    extras: options.mode === 'mirror' ? extras : [],
    finishDirs: byDepth.reverse(),
    unsupported,
  };
}

/** Topmost destination entries the source lacks, with leftover temp files apart. */
function findExtras(destination: readonly TreeEntry[], sourceKeys: ReadonlySet<string>, replaced: ReadonlySet<string>) {
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
    if (isTempName(baseName(entry.rel))) staleTemps.push(entry);
    else extras.push(entry);
  }
  return { extras, staleTemps };
}

function sameAttributes(a: TreeEntry, b: TreeEntry, compareOwner: boolean): boolean {
  return a.mode === b.mode && (!compareOwner || (a.uid === b.uid && a.gid === b.gid));
}

function sameLink(a: TreeEntry, b: TreeEntry, compareOwner: boolean): boolean {
  const sameTarget = a.target !== undefined && b.target !== undefined && a.target.equals(b.target);
  return sameTarget && sameMicrosecond(a.mtimeNs, b.mtimeNs) && (!compareOwner || (a.uid === b.uid && a.gid === b.gid));
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
