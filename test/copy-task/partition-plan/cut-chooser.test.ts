import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CutChooser, type ChosenPartition } from '../../../copy-task/partition/cut-chooser.ts';
import { comparePartitionPaths, shortestCut } from '../../../copy-task/partition/order.ts';
import { planFromListing } from '../../../copy-task/partition/plan.ts';
import { syntheticListing } from '../../../copy-task/partition/synthetic.ts';

interface Listed {
  readonly path: Buffer;
  readonly bytes: number;
}

/** Names that tell the partition order from plain byte order ('a' < 'a/x' < 'a-' would be wrong, 'a-' < 'a/x' in bytes). */
const NAMES = ['a', 'a-', 'a0', 'ab', 'b'];

/** A random tree as a listing in partition order: every ancestor present, folders weigh 0, files 0 to 10^6 bytes. */
const listings = fc
  .array(fc.tuple(fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }), fc.nat({ max: 1_000_000 })), { minLength: 1, maxLength: 40 })
  .map((drawn) => {
    const weights = new Map<string, number>();
    const folders = new Set<string>();
    for (const [components, bytes] of drawn) {
      for (let depth = 1; depth < components.length; depth += 1) folders.add(components.slice(0, depth).join('/'));
      weights.set(components.join('/'), bytes);
    }
    const paths = [...new Set([...folders, ...weights.keys()])].map((path) => Buffer.from(path));
    paths.sort(comparePartitionPaths);
    return paths.map((path): Listed => ({ path, bytes: folders.has(path.toString()) ? 0 : (weights.get(path.toString()) ?? 0) }));
  });

/** The partition owning each entry, by the ranges alone (not by the chooser's counts). */
function owners(listing: readonly Listed[], partitions: readonly ChosenPartition[]): number[][] {
  return listing.map(({ path }) =>
    partitions.flatMap((partition, index) =>
      (partition.from === undefined || comparePartitionPaths(partition.from, path) <= 0) && (partition.to === undefined || comparePartitionPaths(path, partition.to) < 0) ? [index] : [],
    ),
  );
}

/** max(bytes share, entries share) of the largest partition. */
function largestCost(partitions: readonly { bytes: number; entries: number }[], totals: { bytes: number; entries: number }): number {
  return Math.max(...partitions.map(({ bytes, entries }) => Math.max(totals.bytes > 0 ? bytes / totals.bytes : 0, entries / totals.entries)));
}

/** The best largest cost over every split of the listing into at most `parts` non-empty contiguous parts (dynamic programming). */
function optimalCost(listing: readonly Listed[], parts: number): number {
  const bytes = [0];
  for (const entry of listing) bytes.push((bytes.at(-1) as number) + entry.bytes);
  const totalBytes = bytes.at(-1) as number;
  const cost = (from: number, to: number) => Math.max(totalBytes > 0 ? ((bytes[to] as number) - (bytes[from] as number)) / totalBytes : 0, (to - from) / listing.length);
  let best = listing.map((_, end) => cost(0, end + 1));
  for (let part = 2; part <= parts; part += 1) {
    best = listing.map((_, end) => {
      let found = cost(0, end + 1);
      for (let split = 1; split <= end; split += 1) found = Math.min(found, Math.max(best[split - 1] as number, cost(split, end + 1)));
      return found;
    });
  }
  return best.at(-1) as number;
}

function chooseFor(listing: readonly Listed[], partitions: number, candidates: number): { chooser: CutChooser; chosen: ChosenPartition[] } {
  const chooser = new CutChooser({ candidates });
  for (const { path, bytes } of listing) chooser.add(path, bytes);
  return { chooser, chosen: chooser.choose(partitions) };
}

describe('Function: comparePartitionPaths', () => {
  it('orders paths as a depth-first walk that sorts each folder by name bytes', () => {
    fc.assert(
      fc.property(listings, (listing) => {
        // Prepare: the same paths, ordered by their components, each compared bytewise
        const byComponents = listing.map(({ path }) => path).sort((a, b) => {
          const [x, y] = [a.toString().split('/'), b.toString().split('/')];
          for (let at = 0; at < Math.min(x.length, y.length); at += 1) {
            const order = Buffer.compare(Buffer.from(x[at] as string), Buffer.from(y[at] as string));
            if (order !== 0) return order;
          }
          return x.length - y.length;
        });

        // Assess
        expect(listing.map(({ path }) => path.toString())).toEqual(byComponents.map(String));
      }),
    );
  });
});

describe('Function: shortestCut', () => {
  it('lies after the previous path and at or before the next, as an ancestor of the next or the next itself', () => {
    fc.assert(
      fc.property(
        listings.filter((listing) => listing.length >= 2),
        fc.nat(),
        (listing, pick) => {
          // Prepare
          const at = 1 + (pick % (listing.length - 1));
          const previous = (listing[at - 1] as Listed).path;
          const next = (listing[at] as Listed).path;

          // Act
          const cut = shortestCut(previous, next);

          // Assess
          expect(comparePartitionPaths(previous, cut)).toBeLessThan(0);
          expect(comparePartitionPaths(cut, next)).toBeLessThanOrEqual(0);
          expect(cut.equals(next) || next.subarray(0, cut.length + 1).equals(Buffer.concat([cut, Buffer.from('/')]))).toBe(true);
        },
      ),
    );
  });

  it('keeps whole components: a cut between deep neighbours is the first component where they part', () => {
    // Act / Assess
    expect(shortestCut(Buffer.from('a/b/c/x1'), Buffer.from('a/b/d/y')).toString()).toBe('a/b/d');
    expect(shortestCut(Buffer.from('a'), Buffer.from('a/x/y')).toString()).toBe('a/x');
    expect(shortestCut(Buffer.from('a/z'), Buffer.from('a-')).toString()).toBe('a-');
    expect(() => shortestCut(Buffer.from('a-'), Buffer.from('a/z'))).toThrow(RangeError);
  });
});

describe('Class: CutChooser', () => {
  describe('Method: choose', () => {
    it('cuts into contiguous partitions, in order, that together hold every entry exactly once', () => {
      fc.assert(
        fc.property(listings, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 4, max: 64 }), (listing, partitions, candidates) => {
          // Act
          const { chooser, chosen } = chooseFor(listing, partitions, candidates);

          // Assess
          expect(chosen.length).toBeGreaterThanOrEqual(1);
          expect(chosen.length).toBeLessThanOrEqual(Math.min(partitions, listing.length));
          expect(chosen[0]?.from).toBeUndefined();
          expect(chosen.at(-1)?.to).toBeUndefined();
          for (let at = 1; at < chosen.length; at += 1) {
            expect((chosen[at - 1] as ChosenPartition).to?.equals((chosen[at] as ChosenPartition).from as Buffer)).toBe(true);
            if (at > 1) expect(comparePartitionPaths((chosen[at - 1] as ChosenPartition).from as Buffer, (chosen[at] as ChosenPartition).from as Buffer)).toBeLessThan(0);
          }
          const owning = owners(listing, chosen);
          expect(owning.every((found) => found.length === 1)).toBe(true);
          chosen.forEach((partition, index) => {
            const mine = listing.filter((_, at) => owning[at]?.[0] === index);
            expect({ bytes: partition.bytes, entries: partition.entries }).toEqual({ bytes: mine.reduce((sum, { bytes }) => sum + bytes, 0), entries: mine.length });
            expect(partition.entries).toBeGreaterThan(0);
          });
          expect(chooser.totals).toEqual({ bytes: listing.reduce((sum, { bytes }) => sum + bytes, 0), entries: listing.length });
        }),
      );
    });

    it('finds the best split there is when every entry can start a partition', () => {
      fc.assert(
        fc.property(listings, fc.integer({ min: 1, max: 8 }), (listing, partitions) => {
          // Act: more candidate places than entries, so none is thinned out
          const { chosen } = chooseFor(listing, partitions, 64);

          // Assess
          expect(chosen).toHaveLength(Math.min(partitions, listing.length));
          expect(largestCost(chosen, totalsOf(listing))).toBeCloseTo(optimalCost(listing, partitions), 9);
        }),
      );
    });

    it('stays within twice its largest gap between candidates of the best split when it must thin them', () => {
      fc.assert(
        fc.property(listings, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 4, max: 12 }), (listing, partitions, candidates) => {
          // Act
          const { chooser, chosen } = chooseFor(listing, partitions, candidates);

          // Assess
          expect(chooser.candidates).toBeLessThanOrEqual(candidates);
          expect(largestCost(chosen, totalsOf(listing))).toBeLessThanOrEqual(optimalCost(listing, partitions) + 2 * chooser.largestGap() + 1e-9);
        }),
      );
    });

    it('evens out the partitions that the largest does not constrain', () => {
      // Prepare: one file holding nearly all the bytes, then 60 empty ones
      const listing: Listed[] = [{ path: Buffer.from('a-huge'), bytes: 1e12 }];
      for (let at = 0; at < 60; at += 1) listing.push({ path: Buffer.from(`b-${String(at).padStart(2, '0')}`), bytes: 0 });

      // Act
      const { chosen } = chooseFor(listing, 4, 64);

      // Assess: the huge file alone, the rest in three parts alike (within an entry or two: each cut moves
      // alone), not packed left to right up to the largest's cost with a remainder at the end
      const [huge, ...rest] = chosen.map(({ entries }) => entries);
      expect(huge).toBe(1);
      expect(Math.max(...rest) - Math.min(...rest)).toBeLessThanOrEqual(2);
    });

    it('keeps its candidates within its capacity on a long listing, spread finely enough for 1,000 partitions', () => {
      // Prepare
      const chooser = new CutChooser({ candidates: 8_192 });

      // Act
      for (const { path, bytes } of syntheticListing({ entries: 300_000, seed: 7 })) chooser.add(path, bytes);
      const chosen = chooser.choose(64);

      // Assess
      expect(chooser.candidates).toBeLessThanOrEqual(8_192);
      expect(chooser.largestGap()).toBeLessThan(5 / 8_192);
      expect(chosen).toHaveLength(64);
      expect(largestCost(chosen, chooser.totals) * 64).toBeLessThanOrEqual(1.25);
    });
  });
});

describe('Function: planFromListing', () => {
  it('balances a synthetic skewed listing within 1.25 times the mean in bytes and entries', async () => {
    for (const partitions of [2, 4, 8, 16]) {
      // Act
      const plan = await planFromListing(syntheticListing({ entries: 50_000, seed: 3, maxFileBytes: 1024 ** 2 }), { partitions });

      // Assess
      expect(plan.partitions).toHaveLength(partitions);
      expect(plan.cuts).toHaveLength(partitions - 1);
      const largest = { bytes: Math.max(...plan.partitions.map((p) => p.bytes)), entries: Math.max(...plan.partitions.map((p) => p.entries)) };
      expect(largest.bytes / (plan.totals.bytes / partitions)).toBeLessThanOrEqual(1.25);
      expect(largest.entries / (plan.totals.entries / partitions)).toBeLessThanOrEqual(1.25);
    }
  });
});

function totalsOf(listing: readonly Listed[]): { bytes: number; entries: number } {
  return { bytes: listing.reduce((sum, { bytes }) => sum + bytes, 0), entries: listing.length };
}
