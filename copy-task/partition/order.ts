/**
 * The shortest cut between two neighbours in the partition order (comparePartitionPaths, the engine's
 * definition in copy-task/engine/partition-range.ts, which the planner and the engine share: a cut means the
 * same range to both).
 */
import { comparePartitionPaths } from '../engine/partition-range.ts';

export { comparePartitionPaths };

const SLASH = 0x2f;

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
