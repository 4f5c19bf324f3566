/**
 * The partition order and a partition: the contract between the planner (which cuts a tree into
 * partitions) and the engine (which copies one partition), so that N copy tasks on N disjoint
 * partitions leave the destination as one unpartitioned pass would.
 *
 * - A path is relative to the share root: a Buffer of components joined by '/', no leading '/', and
 *   '' for the root itself.
 * - The order compares paths component by component, each component bytewise, a path that is a prefix
 *   (in components) of another coming first: 'a' < 'a/x' < 'a/y' < 'a0' < 'b'. It is the order of a
 *   depth-first walk that visits each folder's names sorted bytewise, so a folder precedes what is in it
 *   and its subtree is contiguous. (Not plain byte order of the joined paths: there 'a-' < 'a/x'.)
 * - A partition is a half-open range [from, to) of that order; an absent end is open.
 * - Its boundary folders are the root and every proper ancestor of `from` and of `to`: the only folders
 *   whose subtree holds entries of more than one partition. The subtree of any other folder lies wholly
 *   inside one partition (the one that owns the folder itself), so a walk checks names only in
 *   boundary folders.
 */

/**
 * The container's environment names for a partition's ends (base64, absent: open); the same names as
 * CopyTaskEnv.PARTITION_FROM / PARTITION_TO (lambdas/core/workflow.ts), here so that the engine and the
 * planner need nothing of the workflow.
 */
export const PARTITION_FROM_ENV = 'SMIG_PARTITION_FROM';
export const PARTITION_TO_ENV = 'SMIG_PARTITION_TO';

/** A half-open range of the partition order: from <= path < to. An absent end is open. */
export interface PartitionRange {
  readonly from?: Buffer;
  readonly to?: Buffer;
}

/** Where a folder's subtree lies with respect to a partition (classifyFolder). */
export type FolderClass = 'inside' | 'outside' | 'boundary';

const SLASH = 0x2f;

export class PartitionRangeError extends RangeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PartitionRangeError';
  }
}

/**
 * Compares two paths in the partition order (negative, zero, positive, as Buffer.compare). Equal to
 * bytewise comparison with '/' taken as lower than every byte a name may hold (names hold neither '/'
 * nor NUL), the end of a path lower still.
 */
export function comparePartitionPaths(a: Buffer, b: Buffer): number {
  const length = Math.min(a.length, b.length);
  let at = 0;
  while (at < length && a[at] === b[at]) at += 1;
  if (at === length) return a.length - b.length;
  const x = a[at] as number;
  const y = b[at] as number;
  if (x === SLASH) return -1;
  if (y === SLASH) return 1;
  return x - y;
}

/** Whether the range bounds anything (a range with neither end is the whole tree: no partition). */
export function isPartial(range: PartitionRange | undefined): range is PartitionRange {
  return range !== undefined && (range.from !== undefined || range.to !== undefined);
}

/** Whether the partition owns the entry at `path` (of either side). */
export function inPartition(path: Buffer, range: PartitionRange): boolean {
  return (range.from === undefined || comparePartitionPaths(range.from, path) <= 0) && (range.to === undefined || comparePartitionPaths(path, range.to) < 0);
}

/** Whether `ancestor` is a proper ancestor of `path` in components ('' is every non-root path's). */
export function isProperAncestor(ancestor: Buffer, path: Buffer): boolean {
  if (ancestor.length === 0) return path.length > 0;
  return path.length > ancestor.length && path[ancestor.length] === SLASH && path.subarray(0, ancestor.length).equals(ancestor);
}

/** The root and every proper ancestor of either end of a partial range; nothing for the whole tree. */
export function isBoundaryFolder(path: Buffer, range: PartitionRange): boolean {
  if (!isPartial(range)) return false;
  if (path.length === 0) return true;
  return (range.from !== undefined && isProperAncestor(path, range.from)) || (range.to !== undefined && isProperAncestor(path, range.to));
}

/**
 * A folder's subtree with respect to the partition: `boundary` (its children are checked one by one),
 * else `inside` (the whole subtree is owned: no check below it) or `outside` (skipped whole).
 */
export function classifyFolder(path: Buffer, range: PartitionRange): FolderClass {
  if (isBoundaryFolder(path, range)) return 'boundary';
  return inPartition(path, range) ? 'inside' : 'outside';
}

/** The boundary folders of a plan's cuts (the root and every proper ancestor of a cut), parents first. */
export function boundaryFolders(cuts: readonly Buffer[]): Buffer[] {
  const seen = new Map<string, Buffer>([['', Buffer.alloc(0)]]);
  for (const cut of cuts) {
    for (let at = cut.indexOf(SLASH); at >= 0; at = cut.indexOf(SLASH, at + 1)) {
      const folder = cut.subarray(0, at);
      seen.set(folder.toString('latin1'), Buffer.from(folder));
    }
  }
  return [...seen.values()].sort(comparePartitionPaths);
}

/**
 * Checks a path of the contract: no leading or trailing '/', no empty component, no '.' or '..'
 * component, no NUL. '' (the root) is allowed.
 */
export function assertPartitionPath(path: Buffer, what: string): Buffer {
  if (path.length === 0) return path;
  if (path.includes(0)) throw new PartitionRangeError(`${what} holds a NUL byte`);
  for (const component of splitComponents(path)) {
    if (component.length === 0) throw new PartitionRangeError(`${what} has an empty component (a leading, trailing or double '/')`);
    if (component.equals(DOT) || component.equals(DOT_DOT)) throw new PartitionRangeError(`${what} has a '.' or '..' component`);
  }
  return path;
}

const DOT = Buffer.from('.');
const DOT_DOT = Buffer.from('..');

function splitComponents(path: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let at = path.indexOf(SLASH); at >= 0; at = path.indexOf(SLASH, start)) {
    parts.push(path.subarray(start, at));
    start = at + 1;
  }
  parts.push(path.subarray(start));
  return parts;
}

/** A path as environment variables and command lines carry it: base64 of its bytes. */
export function encodePartitionPath(path: Buffer): string {
  return path.toString('base64');
}

/** The path a base64 string carries; fails on anything but canonical base64 of a valid path. */
export function decodePartitionPath(text: string): Buffer {
  return decodeAs(text, 'partition path');
}

function decodeAs(text: string, what: string): Buffer {
  const path = Buffer.from(text, 'base64');
  if (path.toString('base64') !== text) throw new PartitionRangeError(`${what} must be base64 of the path's bytes, got '${text}'`);
  return assertPartitionPath(path, what);
}

/**
 * A range from its ends as base64 (absent or empty: open); fails when `from` is not before `to`. An
 * empty `from` is the root, the first path of all: the same as an open lower end.
 */
export function parsePartitionRange(ends: { readonly from?: string; readonly to?: string }): PartitionRange | undefined {
  const from = ends.from === undefined || ends.from === '' ? undefined : decodeAs(ends.from, 'partition start (from)');
  const to = ends.to === undefined || ends.to === '' ? undefined : decodeAs(ends.to, 'partition end (to)');
  if (from !== undefined && to !== undefined && comparePartitionPaths(from, to) >= 0) {
    throw new PartitionRangeError(`the partition start must come before its end: '${from.toString('latin1')}' is not before '${to.toString('latin1')}'`);
  }
  if (from === undefined && to === undefined) return undefined;
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** The range's ends as base64 (absent ends left out). */
export function formatPartitionRange(range: PartitionRange): { from?: string; to?: string } {
  return {
    ...(range.from !== undefined ? { from: encodePartitionPath(range.from) } : {}),
    ...(range.to !== undefined ? { to: encodePartitionPath(range.to) } : {}),
  };
}

/**
 * A short stable name of a range (FNV-1a 64 of its ends, in hex): keys the pass record and the journal
 * of a partitioned pass, so that concurrent partitions never share either. Not for adversaries.
 */
export function partitionKey(range: PartitionRange): string {
  let hash = 0xcbf29ce484222325n;
  const feed = (bytes: Buffer) => {
    for (const byte of bytes) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  };
  // Each end as its length (0: absent, else 1 + bytes) and its bytes: no two ranges feed the same bytes.
  for (const end of [range.from, range.to]) {
    const length = Buffer.alloc(4);
    length.writeUInt32LE(end === undefined ? 0 : end.length + 1);
    feed(length);
    if (end) feed(end);
  }
  return hash.toString(16).padStart(16, '0');
}
