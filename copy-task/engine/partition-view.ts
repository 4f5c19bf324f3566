import { baseName, keyOf } from './paths.ts';
import { classifyFolder, inPartition, isBoundaryFolder, isProperAncestor, type FolderClass, type PartitionRange } from './partition-range.ts';
import type { TreeEntry } from './types.ts';

/** A name the engine makes up: `.smig-tmp-<token>…` (temp files, hidden folders) or a journal's. */
const ENGINE_NAME = /^\.smig-tmp-(?:[0-9a-f]{16}|journal)/;

/** One boundary folder's listings cut to what a partition sees (PartitionView.cut). */
export interface PartitionListing {
  readonly source: TreeEntry[];
  readonly destination: TreeEntry[];
  /**
   * Boundary folders the destination has as folders where the source has none: their own entry is not
   * the partition's to remove (it is a boundary folder), but what the partition owns below them is, so
   * the walk goes into them on the destination side only.
   */
  readonly destinationOnly: Buffer[];
}

/**
 * What one partition (CopyOptions.partition) sees of the trees, for both walks. Only boundary folders
 * need a look at each name: below any other folder, all is owned or nothing is (partition-range.ts).
 *
 * In a boundary folder:
 * - a source entry is seen when the partition owns its path, and a boundary folder when it is a folder;
 * - a destination entry is seen when the partition owns its path, or it stands where the source has a
 *   boundary folder (a non-folder there is replaced; simplest safe rule, as the whole tree's pass would);
 *   a folder at a boundary path where the source has none is gone into, on the destination side only,
 *   by every partition but the owner of a non-folder the source has there (which replaces it);
 * - a name the engine makes up (`.smig-tmp-<token>…`, a journal) that the source lacks is seen only when
 *   it is a leftover of this partition's earlier runs (its token in this partition's journal): other
 *   partitions make their temp files and journals in boundary folders at names anywhere in the order,
 *   while they run, and only they may remove them.
 */
export class PartitionView {
  readonly range: PartitionRange;
  readonly #isStaleTemp: (name: Buffer) => boolean;

  constructor(range: PartitionRange, isStaleTemp: (name: Buffer) => boolean) {
    this.range = range;
    this.#isStaleTemp = isStaleTemp;
  }

  classify(folder: Buffer): FolderClass {
    return classifyFolder(folder, this.range);
  }

  isBoundary(path: Buffer): boolean {
    return isBoundaryFolder(path, this.range);
  }

  /**
   * The entries of a boundary folder's listing that `cut` may need (ListOptions.keep): on either side,
   * what the partition owns and what stands at a boundary path; on the destination, also names the
   * engine makes up (their source counterpart, if any, is then not listed: such a name is taken for a
   * leftover of this partition only when its token is in this partition's journal). The rest is never built.
   */
  readonly keepSource = (rel: Buffer): boolean => inPartition(rel, this.range) || this.isBoundary(rel);
  readonly keepDestination = (rel: Buffer): boolean =>
    inPartition(rel, this.range) || this.isBoundary(rel) || ENGINE_NAME.test(baseName(rel).toString('latin1'));

  /**
   * The names `keep*` may keep in the boundary folder `folder`, as the addon's listings take them
   * (src/smig_listing.h, name_range), so that it lstats no other: the children of `folder` from
   * `from`'s component below it on (that child is owned, or a boundary folder when `from` lies deeper)
   * and before `to`'s (or at it, when `to` lies deeper: that child is a boundary folder). Names the
   * engine makes up are always listed. Packed: u8 flags (1 a lower bound, 2 inclusive, 4 an upper bound, 8 inclusive),
   * u32 length and bytes of each bound. Undefined: no bound (every name).
   */
  nameRange(folder: Buffer): Buffer | undefined {
    const lower = boundBelow(folder, this.range.from);
    const upper = boundBelow(folder, this.range.to);
    if (!lower && !upper) return undefined;
    const lo = lower?.name ?? Buffer.alloc(0);
    const hi = upper?.name ?? Buffer.alloc(0);
    const packed = Buffer.alloc(9 + lo.length + hi.length);
    // The lower bound is inclusive when `from` is the child itself, or lies below it (the child is a
    // boundary folder then, kept); the upper bound is inclusive only when `to` lies below the child.
    packed[0] = (lower ? 1 | 2 : 0) | (upper ? 4 | (upper.deeper ? 8 : 0) : 0);
    packed.writeUInt32LE(lo.length, 1);
    lo.copy(packed, 5);
    packed.writeUInt32LE(hi.length, 5 + lo.length);
    hi.copy(packed, 9 + lo.length);
    return packed;
  }

  /** A boundary folder's two listings (sorted by name), cut to what this partition sees. */
  cut(source: readonly TreeEntry[], destination: readonly TreeEntry[]): PartitionListing {
    const seenSource: TreeEntry[] = [];
    const sourceKinds = new Map<string, TreeEntry['kind']>();
    for (const entry of source) {
      sourceKinds.set(keyOf(entry.rel), entry.kind);
      // At a boundary path the source may have a non-folder now (the plan is older than the tree): its owner copies it.
      if ((this.isBoundary(entry.rel) && entry.kind === 'dir') || inPartition(entry.rel, this.range)) seenSource.push(entry);
    }
    const seenDestination: TreeEntry[] = [];
    const destinationOnly: Buffer[] = [];
    for (const entry of destination) {
      const sourceKind = sourceKinds.get(keyOf(entry.rel));
      if (this.isBoundary(entry.rel)) {
        // The boundary folder itself (or what is in its way); the owner of a non-folder the source has there,
        // or of an extra non-folder; else a folder the partition goes into for what it owns below.
        const mine = sourceKind === 'dir' || (inPartition(entry.rel, this.range) && (sourceKind !== undefined || entry.kind !== 'dir'));
        if (mine) seenDestination.push(entry);
        else if (entry.kind === 'dir') destinationOnly.push(entry.rel);
        continue;
      }
      if (sourceKind === undefined && ENGINE_NAME.test(baseName(entry.rel).toString('latin1'))) {
        if (this.#isStaleTemp(baseName(entry.rel))) seenDestination.push(entry);
        continue;
      }
      if (inPartition(entry.rel, this.range)) seenDestination.push(entry);
    }
    return { source: seenSource, destination: seenDestination, destinationOnly };
  }
}

/** The component of `end` right below `folder`, if `end` lies below it, and whether `end` lies deeper still. */
function boundBelow(folder: Buffer, end: Buffer | undefined): { name: Buffer; deeper: boolean } | undefined {
  if (end === undefined || !isProperAncestor(folder, end)) return undefined;
  const start = folder.length === 0 ? 0 : folder.length + 1;
  const slash = end.indexOf(0x2f, start);
  return slash < 0 ? { name: end.subarray(start), deeper: false } : { name: end.subarray(start, slash), deeper: true };
}
