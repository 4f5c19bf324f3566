import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  boundaryFolders,
  classifyFolder,
  comparePartitionPaths,
  decodePartitionPath,
  encodePartitionPath,
  inPartition,
  isBoundaryFolder,
  parsePartitionRange,
  partitionKey,
  PartitionRangeError,
} from '../../../copy-task/engine/partition-range.ts';

const p = (text: string) => Buffer.from(text, 'latin1');

/** A name a Linux file can have: any bytes but '/' and NUL (a few of them, to make shared prefixes likely). */
const nameArb = fc.uint8Array({ minLength: 1, maxLength: 3 }).map((bytes) => Buffer.from(bytes.map((b) => (b === 0 || b === 0x2f ? 0x2d : b % 4 === 0 ? 0x2d : 0x61 + (b % 3)))));
/** A tree as nested maps of names, each folder's names distinct. */
type Tree = Map<string, Tree | null>;
const treeArb: fc.Arbitrary<Tree> = fc.letrec((tie) => ({
  tree: fc.array(fc.tuple(nameArb, fc.oneof({ depthSize: 'small' }, fc.constant(null), tie('tree') as fc.Arbitrary<Tree>)), { maxLength: 5 }).map(
    (children) => new Map(children.map(([name, sub]) => [name.toString('latin1'), sub])),
  ),
})).tree;

/** The paths of a tree in depth-first order, each folder's names sorted bytewise: the partition order. */
function depthFirst(tree: Tree, prefix = ''): Buffer[] {
  const out: Buffer[] = [];
  const names = [...tree.keys()].sort((a, b) => Buffer.compare(p(a), p(b)));
  for (const name of names) {
    const path = prefix === '' ? name : `${prefix}/${name}`;
    out.push(p(path));
    const sub = tree.get(name);
    if (sub) out.push(...depthFirst(sub, path));
  }
  return out;
}

describe('Module: partition-range', () => {
  describe('Function: comparePartitionPaths', () => {
    it('orders component by component, a folder before its contents', () => {
      // Prepare
      const paths = ['b', 'a0', 'a/y', 'a-', 'a', 'a/x', ''].map(p);

      // Act
      const sorted = [...paths].sort(comparePartitionPaths).map((path) => path.toString());

      // Assess: not byte order of the joined paths ('a-' < 'a/x' there)
      expect(sorted).toEqual(['', 'a', 'a/x', 'a/y', 'a-', 'a0', 'b']);
    });

    it('sorts any tree\'s paths into its depth-first order', () => {
      fc.assert(
        fc.property(treeArb, (tree) => {
          // Prepare
          const order = depthFirst(tree);
          const shuffled = [...order].reverse();

          // Act
          const sorted = shuffled.sort(comparePartitionPaths);

          // Assess
          expect(sorted.map((path) => path.toString('latin1'))).toEqual(order.map((path) => path.toString('latin1')));
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('Function: classifyFolder', () => {
    it('tells boundary folders from folders wholly inside or outside', () => {
      // Prepare
      const range = { from: p('a/m/k'), to: p('c/d') };

      // Act / Assess
      expect(['', 'a', 'a/m', 'c'].map((path) => classifyFolder(p(path), range))).toEqual(['boundary', 'boundary', 'boundary', 'boundary']);
      expect(['a/m/k', 'a/m/z', 'a/n', 'b', 'c/a', 'a/m/k/deeper'].map((path) => classifyFolder(p(path), range))).toEqual(Array(6).fill('inside'));
      expect(['a/a', 'a/m/j', 'c/d', 'c/e', 'd', 'a-'].map((path) => classifyFolder(p(path), range))).toEqual(['outside', 'outside', 'outside', 'outside', 'outside', 'inside']);
      expect(isBoundaryFolder(p(''), {})).toBe(false);
    });

    it('classifies so that every path below a non-boundary folder is in the partition exactly when the folder is', () => {
      fc.assert(
        fc.property(treeArb, fc.nat(), fc.nat(), (tree, i, j) => {
          // Prepare: a range whose ends are paths of the tree (or open)
          const order = depthFirst(tree);
          if (order.length === 0) return;
          const [a, b] = [order[i % order.length] as Buffer, order[j % order.length] as Buffer].sort(comparePartitionPaths);
          const range = { ...(i % 5 === 0 ? {} : { from: a }), ...(j % 7 === 0 || (a as Buffer).equals(b as Buffer) ? {} : { to: b }) };

          // Act / Assess
          for (const folder of order) {
            const kind = classifyFolder(folder, range);
            if (kind === 'boundary') continue;
            for (const path of order) {
              const below = path.length > folder.length && path[folder.length] === 0x2f && path.subarray(0, folder.length).equals(folder);
              if (below) expect(inPartition(path, range)).toBe(kind === 'inside');
            }
          }
        }),
        { numRuns: 200 },
      );
    });

    it('lists a plan\'s boundary folders, the root first', () => {
      expect(boundaryFolders([p('a/b/c'), p('a/d'), p('e')]).map((path) => path.toString())).toEqual(['', 'a', 'a/b']);
    });
  });

  describe('Function: decodePartitionPath', () => {
    it('round-trips any path through base64', () => {
      fc.assert(
        fc.property(fc.array(nameArb, { minLength: 1, maxLength: 4 }), (names) => {
          const path = Buffer.concat(names.flatMap((name, i) => (i === 0 ? [name] : [p('/'), name])));
          expect(decodePartitionPath(encodePartitionPath(path)).equals(path)).toBe(true);
        }),
      );
    });

    it('refuses what is not canonical base64 of a relative path', () => {
      for (const bad of ['a', '!!!!', encodePartitionPath(p('/abs')), encodePartitionPath(p('a//b')), encodePartitionPath(p('a/../b'))]) {
        expect(() => decodePartitionPath(bad), bad).toThrow(PartitionRangeError);
      }
    });
  });

  describe('Function: parsePartitionRange', () => {
    it('reads open ends as absent and refuses a range whose start is not before its end', () => {
      expect(parsePartitionRange({})).toBeUndefined();
      expect(parsePartitionRange({ from: '', to: encodePartitionPath(p('b')) })).toEqual({ to: p('b') });
      expect(() => parsePartitionRange({ from: encodePartitionPath(p('b')), to: encodePartitionPath(p('a/z')) })).toThrow(/must come before/);
    });
  });

  describe('Function: partitionKey', () => {
    it('gives different ranges different keys', () => {
      const keys = [{}, { from: p('a') }, { to: p('a') }, { from: p('a'), to: p('b') }, { from: p('a/b') }].map(partitionKey);
      expect(new Set(keys).size).toBe(keys.length);
    });
  });
});
