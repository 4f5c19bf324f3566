/**
 * The partition order of paths (relative to the share root, components joined by '/'), and the
 * shortest cut between two neighbours in it.
 *
 * LOCAL COPY: the shared definition is `comparePartitionPaths` in copy-task/engine/partition-range.ts
 * (the engine's side of the contract, written at the same time). Once it lands, this function is
 * replaced by a re-export of that one; nothing else here depends on how it is written.
 */

const SLASH = 0x2f;

/**
 * Component by component, each compared bytewise; a path that is a prefix of another in components
 * comes first ('a' < 'a/x' < 'a0'): the order of a depth-first walk that sorts each folder's names by
 * their bytes. Since a name holds neither '/' nor NUL, that is byte order with '/' below every byte.
 */
export function comparePartitionPaths(a: Buffer, b: Buffer): number {
  const length = Math.min(a.length, b.length);
  for (let at = 0; at < length; at += 1) {
    const x = a[at] as number;
    const y = b[at] as number;
    if (x !== y) return x === SLASH ? -1 : y === SLASH ? 1 : x - y;
  }
  return a.length - b.length;
}

/**
 * The shortest path `s` with `previous` < s <= `next` in the partition order, among the ancestors of
 * `next` (and `next` itself): a cut there splits the walk between the two exactly as a cut at `next`
 * does, and a cut between deep neighbours ('a/b/c/x1' | 'a/b/d/y') stays short ('a/b/d'), which keeps the
 * plan small. Whole components are kept, so a cut always reads as a path of the share.
 */
export function shortestCut(previous: Buffer, next: Buffer): Buffer {
  if (comparePartitionPaths(previous, next) >= 0) {
    throw new RangeError(`paths must come in partition order: '${previous.toString()}' is not before '${next.toString()}'`);
  }
  let at = 0;
  const length = Math.min(previous.length, next.length);
  while (at < length && previous[at] === next[at]) at += 1;
  // `previous` is an ancestor of `next`: the cut needs the next component of `next` too.
  if (at === previous.length && next[at] === SLASH) at += 1;
  const end = next.indexOf(SLASH, at);
  return Buffer.from(end < 0 ? next : next.subarray(0, end));
}
