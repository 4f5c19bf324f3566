/**
 * Chooses where to cut a stream of entries (in partition order) into N partitions balanced by bytes
 * and by entry count, in memory bounded by a number of candidate cut points, not by the tree.
 *
 * As entries arrive, the chooser keeps candidate cut points: the cumulative (bytes, entries) before an
 * entry, and the shortest cut path there (order.ts). A candidate is kept once the weight since the last
 * one reaches a threshold, measured as max(bytes / total bytes, entries / total entries) with the totals
 * so far; the threshold starts at 0 (every entry is a candidate) and, whenever the candidates fill their
 * capacity, doubles and the kept ones are thinned to it (about half go). So candidates spread over the
 * tree by weight, a run of tiny files and one huge file alike, and two neighbours are never further
 * apart than about twice the final threshold (4 to 5 / capacity of the totals) plus one entry.
 *
 * Then `choose` takes, among the candidates, the N-1 cuts that minimise the largest partition's cost,
 * max(bytes / total bytes, entries / total entries): bisection on that cost, each step a greedy pass
 * (the fewest partitions of at most a given cost, packed left to right, is optimal for a contiguous
 * split), and the parts it leaves, if fewer than N, split where the larger half is smallest. Last,
 * each cut moves to where the larger of its two neighbours is smallest (`smooth`), so the partitions the
 * largest does not constrain come out even rather than packed to the limit with a remainder at the end.
 */
import { shortestCut } from './order.ts';

/** A partition the chooser settled on: [from, to) of the partition order (absent: open end). */
export interface ChosenPartition {
  readonly from?: Buffer;
  readonly to?: Buffer;
  readonly bytes: number;
  readonly entries: number;
}

export interface CutChooserOptions {
  /**
   * How many candidate cut points to keep at most (memory: two numbers and one short path each).
   * @default 65,536: a cut lands within about 1/13,000 of the totals of where it would best be, under
   * a tenth of a partition at 1,000 partitions.
   */
  readonly candidates?: number;
}

export const DEFAULT_CANDIDATES = 65_536;
const MIN_CANDIDATES = 4;
/** Sweeps of `smooth`: enough to even out neighbours, bounded for 1,000 partitions (each sweep: a binary search a cut). */
const SMOOTHING_SWEEPS = 64;

export class CutChooser {
  private readonly capacity: number;
  /** Cumulative bytes and entries before each candidate, and its cut path; `count` of them in use. */
  private cumulativeBytes: Float64Array;
  private cumulativeEntries: Float64Array;
  private paths: Buffer[] = [];
  private count = 0;
  private threshold = 0;
  private bytes = 0;
  private entries = 0;
  private previous: Buffer | undefined;

  constructor(options: CutChooserOptions = {}) {
    const capacity = options.candidates ?? DEFAULT_CANDIDATES;
    if (!Number.isInteger(capacity) || capacity < MIN_CANDIDATES) throw new RangeError(`candidates must be an integer of at least ${MIN_CANDIDATES}, got ${capacity}`);
    this.capacity = capacity;
    this.cumulativeBytes = new Float64Array(capacity);
    this.cumulativeEntries = new Float64Array(capacity);
  }

  /** The next entry of the tree, after every one before it in the partition order (else RangeError). */
  add(path: Buffer, bytes: number): void {
    if (this.previous !== undefined && this.farEnoughFromLast()) {
      if (this.count === this.capacity) this.thin();
      if (this.farEnoughFromLast()) this.keep(shortestCut(this.previous, path));
    }
    this.previous = path;
    this.bytes += bytes;
    this.entries += 1;
  }

  get totals(): { readonly bytes: number; readonly entries: number } {
    return { bytes: this.bytes, entries: this.entries };
  }

  /** Candidates kept (for tests and the benchmark). */
  get candidates(): number {
    return this.count;
  }

  /**
   * The largest cost (see the module's comment, by the final totals) between two neighbouring
   * candidates, or the start or end: how far a chosen cut can be from the best one.
   */
  largestGap(): number {
    let largest = 0;
    for (let at = 0; at <= this.count; at += 1) largest = Math.max(largest, this.cost(at, at + 1));
    return largest;
  }

  /**
   * `partitions` partitions (fewer when the tree has fewer entries), contiguous, covering the tree,
   * with the largest cost as small as the candidates allow.
   */
  choose(partitions: number): ChosenPartition[] {
    if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
    const wanted = Math.min(partitions, this.count + 1);
    // Positions 0 (the start), 1..count (the candidates), count + 1 (the end).
    const end = this.count + 1;
    let low = this.largestGap();
    let high = 1;
    if (this.parts(low) > wanted) {
      for (let step = 0; step < 100 && high - low > 1e-12 * high; step += 1) {
        const middle = (low + high) / 2;
        if (this.parts(middle) <= wanted) high = middle;
        else low = middle;
      }
    } else high = low;
    const bounds = this.greedy(high);
    while (bounds.length - 1 < wanted) this.splitLargest(bounds);
    this.smooth(bounds);
    const result: ChosenPartition[] = [];
    for (let at = 0; at + 1 < bounds.length; at += 1) {
      const from = bounds[at] as number;
      const to = bounds[at + 1] as number;
      result.push({
        ...(from === 0 ? {} : { from: this.paths[from - 1] as Buffer }),
        ...(to === end ? {} : { to: this.paths[to - 1] as Buffer }),
        bytes: this.bytesAt(to) - this.bytesAt(from),
        entries: this.entriesAt(to) - this.entriesAt(from),
      });
    }
    return result;
  }

  private bytesAt(position: number): number {
    return position === 0 ? 0 : position > this.count ? this.bytes : (this.cumulativeBytes[position - 1] as number);
  }

  private entriesAt(position: number): number {
    return position === 0 ? 0 : position > this.count ? this.entries : (this.cumulativeEntries[position - 1] as number);
  }

  /** The cost of the range between two positions, by the totals so far (a dimension with no total weighs nothing). */
  private cost(from: number, to: number): number {
    const bytes = this.bytes > 0 ? (this.bytesAt(to) - this.bytesAt(from)) / this.bytes : 0;
    const entries = this.entries > 0 ? (this.entriesAt(to) - this.entriesAt(from)) / this.entries : 0;
    return Math.max(bytes, entries);
  }

  /** Whether the weight since the last candidate (or the start) reaches the threshold. */
  private farEnoughFromLast(): boolean {
    return this.cost(this.count, this.count + 1) >= this.threshold;
  }

  private keep(path: Buffer): void {
    // A buffer of its own: a short Buffer is cut from an 8 KiB slab shared with the walk's other
    // buffers, and one kept would keep its whole slab (65,536 slabs: 512 MiB).
    const own = Buffer.allocUnsafeSlow(path.length);
    path.copy(own);
    this.cumulativeBytes[this.count] = this.bytes;
    this.cumulativeEntries[this.count] = this.entries;
    this.paths[this.count] = own;
    this.count += 1;
  }

  /** Doubles the threshold (from 1 / capacity) until at most half the capacity is kept. */
  private thin(): void {
    while (this.count > this.capacity / 2) {
      this.threshold = this.threshold === 0 ? 1 / this.capacity : this.threshold * 2;
      let kept = 0;
      let lastBytes = 0;
      let lastEntries = 0;
      for (let at = 0; at < this.count; at += 1) {
        const bytes = this.cumulativeBytes[at] as number;
        const entries = this.cumulativeEntries[at] as number;
        const gap = Math.max(this.bytes > 0 ? (bytes - lastBytes) / this.bytes : 0, this.entries > 0 ? (entries - lastEntries) / this.entries : 0);
        if (gap < this.threshold) continue;
        this.cumulativeBytes[kept] = bytes;
        this.cumulativeEntries[kept] = entries;
        this.paths[kept] = this.paths[at] as Buffer;
        kept += 1;
        lastBytes = bytes;
        lastEntries = entries;
      }
      this.paths.length = kept;
      this.count = kept;
    }
  }

  /** The fewest parts of cost at most `limit`, packed from the left (Infinity when one gap alone is over it). */
  private parts(limit: number): number {
    const end = this.count + 1;
    let parts = 0;
    for (let from = 0, to = 0; from < end; from = to) {
      to = from + 1;
      if (this.cost(from, to) > limit) return Number.POSITIVE_INFINITY;
      while (to < end && this.cost(from, to + 1) <= limit) to += 1;
      parts += 1;
    }
    return parts;
  }

  /** The positions bounding the parts `parts(limit)` counts: 0, ..., count + 1. */
  private greedy(limit: number): number[] {
    const end = this.count + 1;
    const bounds = [0];
    for (let from = 0, to = 0; from < end; from = to) {
      to = from + 1;
      while (to < end && this.cost(from, to + 1) <= limit) to += 1;
      bounds.push(to);
    }
    return bounds;
  }

  /**
   * Evens out neighbours: moves each cut, in turn, to where the larger of its two parts is smallest,
   * for a few sweeps. The largest part never grows, and the parts that the largest does not constrain
   * (those the greedy pass packs to the limit, or leaves with the remainder) come out alike.
   */
  private smooth(bounds: number[]): void {
    for (let sweep = 0; sweep < SMOOTHING_SWEEPS; sweep += 1) {
      let moved = false;
      for (let at = 1; at + 1 < bounds.length; at += 1) {
        const from = bounds[at - 1] as number;
        const to = bounds[at + 1] as number;
        const current = bounds[at] as number;
        const worst = (cut: number) => Math.max(this.cost(from, cut), this.cost(cut, to));
        // The left part's cost grows with the cut, the right one's shrinks: the first cut where the
        // left is at least the right, or the one before it, is the best.
        let low = from + 1;
        let high = to - 1;
        while (low < high) {
          const middle = (low + high) >>> 1;
          if (this.cost(from, middle) >= this.cost(middle, to)) high = middle;
          else low = middle + 1;
        }
        const best = low > from + 1 && worst(low - 1) <= worst(low) ? low - 1 : low;
        if (worst(best) < worst(current) - 1e-15) {
          bounds[at] = best;
          moved = true;
        }
      }
      if (!moved) return;
    }
  }

  /** Splits the costliest part that has a candidate inside, where the larger of its halves is smallest. */
  private splitLargest(bounds: number[]): void {
    let worst = -1;
    for (let at = 0; at + 1 < bounds.length; at += 1) {
      const from = bounds[at] as number;
      const to = bounds[at + 1] as number;
      if (to - from >= 2 && (worst < 0 || this.cost(from, to) > this.cost(bounds[worst] as number, bounds[worst + 1] as number))) worst = at;
    }
    const from = bounds[worst] as number;
    const to = bounds[worst + 1] as number;
    let best = from + 1;
    for (let middle = from + 1; middle < to; middle += 1) {
      if (Math.max(this.cost(from, middle), this.cost(middle, to)) < Math.max(this.cost(from, best), this.cost(best, to))) best = middle;
    }
    bounds.splice(worst + 1, 0, best);
  }
}
