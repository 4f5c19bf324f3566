import { chmod, link, lstat, mkdir, readdir, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyTree, type CopyOptions } from '../../../copy-task/engine/index.ts';
import type { PartitionRange } from '../../../copy-task/engine/partition-range.ts';
import { prepareBoundaries, sealPartitions } from '../../../copy-task/engine/partition-seal.ts';
import { describeTree } from '../../../local/tree-digest.ts';
import { useTempDirs, WALKS } from '../helpers.ts';

/** Cuts chosen to fall everywhere: between folders, inside a huge folder, on paths that do not exist, deep. */
const CUTS: Readonly<Record<number, readonly string[]>> = {
  1: ['big/f150'],
  2: ['a/y', 'big/f100'],
  4: ['a/x/2.txt', 'b', 'big/f050', 'big/f200'],
  7: ['a', 'a/q/nothing', 'a/y/deep', 'big', 'big/f100', 'big/f2', 'd'],
};

/** The ranges of a plan with these cuts: [, c1), [c1, c2), ... [cn, ). */
function rangesOf(cuts: readonly string[]): PartitionRange[] {
  const ends = cuts.map((cut) => Buffer.from(cut));
  return [undefined, ...ends].map((from, i) => ({ ...(from ? { from } : {}), ...(ends[i] ? { to: ends[i] } : {}) }));
}

const OLD = new Date('2020-01-02T03:04:05Z');

/** Nested folders, a huge folder, symlinks, hard links (in one partition), odd modes, old times. */
async function buildTree(root: string): Promise<void> {
  await mkdir(join(root, 'a/x'), { recursive: true });
  await mkdir(join(root, 'a/y/deep'), { recursive: true });
  await mkdir(join(root, 'big'));
  await mkdir(join(root, 'b'));
  await mkdir(join(root, 'c'));
  await mkdir(join(root, 'empty'));
  await writeFile(join(root, 'a/x/1.txt'), 'one\n');
  await writeFile(join(root, 'a/x/2.txt'), 'two\n');
  await writeFile(join(root, 'a/y/deep/z.txt'), 'zed\n'.repeat(1000));
  await writeFile(join(root, 'a-'), 'sorts after a/ in bytes, before it in the partition order\n');
  for (let i = 0; i < 300; i += 1) await writeFile(join(root, 'big', `f${String(i).padStart(3, '0')}`), `file ${i}\n`.repeat(i % 7));
  await symlink('../a/x/1.txt', join(root, 'b/link'));
  await symlink('nowhere', join(root, 'b/dangling'));
  await writeFile(join(root, 'c/h1'), 'linked\n');
  await link(join(root, 'c/h1'), join(root, 'c/h2'));
  await writeFile(join(root, 'r1.txt'), 'root file\n');
  await chmod(join(root, 'a/y'), 0o750);
  await chmod(join(root, 'big/f007'), 0o600);
  await settleTimes(root);
}

/** Every folder and file at an old time (folders last, deepest first), so that times are compared for real. */
async function settleTimes(root: string): Promise<void> {
  const tree = await describeTree(root);
  const paths = Object.keys(tree).sort((x, y) => y.split('/').length - x.split('/').length);
  for (const rel of paths) if (tree[rel]?.kind !== 'symlink') await utimes(join(root, rel), OLD, OLD);
  await utimes(root, OLD, OLD);
}

/** Adds, deletes, renames across partitions, a folder moved from one partition to another, type changes. */
async function changeTree(root: string): Promise<void> {
  await writeFile(join(root, 'big/f301'), 'new\n');
  await writeFile(join(root, 'a/x/3.txt'), 'three\n');
  await rm(join(root, 'big/f120'));
  await rm(join(root, 'big/f000'));
  await rename(join(root, 'big/f010'), join(root, 'c/from-big'));
  await rename(join(root, 'a/y'), join(root, 'moved-y'));
  // A boundary folder of some plans (above 'a/y/deep') is a file now: its owner replaces the destination's folder.
  await writeFile(join(root, 'a/y'), 'a file where a cut\'s folder was\n');
  await rm(join(root, 'r1.txt'));
  await mkdir(join(root, 'r1.txt'));
  await writeFile(join(root, 'r1.txt/inside'), 'was a file\n');
  await rm(join(root, 'b/link'));
  await mkdir(join(root, 'b/link'));
  await rm(join(root, 'empty'), { recursive: true });
  await writeFile(join(root, 'empty'), 'now a file\n');
  await settleTimes(root);
}

/** prepare, every partition at once, seal: one pass of a partitioned copy. */
async function partitionedPass(source: string, destination: string, cuts: readonly string[], walk: CopyOptions): Promise<void> {
  const cutPaths = cuts.map((cut) => Buffer.from(cut));
  await prepareBoundaries(source, destination, cutPaths);
  await Promise.all(rangesOf(cuts).map((partition) => copyTree(source, destination, { ...walk, partition, concurrency: 2 })));
  await sealPartitions(source, destination, cutPaths);
}

/** What a copy must keep, with the root's own attributes and the hard-link groups. */
async function digest(root: string) {
  const rootStats = await stat(root);
  const [h1, h2] = await Promise.all([lstat(join(root, 'c/h1')), lstat(join(root, 'c/h2'))]);
  return { tree: await describeTree(root), root: { mode: rootStats.mode & 0o7777, mtimeMs: Math.floor(rootStats.mtimeMs) }, linked: h1.ino === h2.ino };
}

describe('Function: copyTree (one partition of the tree)', () => {
  const tempDir = useTempDirs();

  describe.each(WALKS)('with %s', (_walk, walk) => {
    it.each([1, 2, 4, 7])('leaves the destination as one pass would with %i cut(s), partitions running at once, and again after changes', async (count) => {
      // Prepare: a tree, and the same tree copied by one unpartitioned pass
      const dir = await tempDir();
      const source = join(dir, 'src');
      const destination = join(dir, 'dst');
      const whole = join(dir, 'whole');
      await mkdir(source);
      await buildTree(source);
      const cuts = CUTS[count] as readonly string[];

      // Act: a partitioned pass
      await copyTree(source, whole, walk);
      await partitionedPass(source, destination, cuts, walk);

      // Assess: the source's tree, as the whole pass left it
      const expected = await digest(source);
      expect(expected.linked).toBe(true);
      expect(await digest(destination)).toEqual(expected);
      expect(await digest(whole)).toEqual(expected);
      expect((await readdir(destination)).filter((name) => name.startsWith('.smig-tmp-'))).toEqual([]);

      // Act: the source changes (across partitions), a second round
      await changeTree(source);
      await copyTree(source, whole, walk);
      await partitionedPass(source, destination, cuts, walk);

      // Assess: converged the same way
      const changed = await digest(source);
      expect(changed.tree['moved-y/deep/z.txt']?.kind).toBe('file');
      expect(changed.tree['a/y']?.kind).toBe('file');
      expect(await digest(destination)).toEqual(changed);
      expect(await digest(whole)).toEqual(changed);

      // Act: a last change, then a final pass (the source must not change under it; durable, read back from storage)
      await writeFile(join(source, 'big/f299'), 'final\n');
      await utimes(join(source, 'big/f299'), OLD, OLD);
      await utimes(join(source, 'big'), OLD, OLD);
      await partitionedPass(source, destination, cuts, { ...walk, pass: 'final' });

      // Assess
      expect(await digest(destination)).toEqual(await digest(source));
    });

    it('never touches an entry outside its partition, on either side', async () => {
      // Prepare: a source, and a destination with extras inside and outside the partition ['a/y', 'big/f100')
      const dir = await tempDir();
      const source = join(dir, 'src');
      const destination = join(dir, 'dst');
      await mkdir(source);
      await buildTree(source);
      await mkdir(join(destination, 'a/x'), { recursive: true });
      await mkdir(join(destination, 'big'), { recursive: true });
      await writeFile(join(destination, 'a/x/extra-before'), 'outside\n');
      await writeFile(join(destination, 'big/f200'), 'outside, different\n');
      await writeFile(join(destination, 'zz-extra'), 'outside\n');
      await writeFile(join(destination, 'big/f050'), 'inside, different\n');
      await writeFile(join(destination, 'b-extra'), 'inside\n');
      await chmod(join(destination, 'big'), 0o711);
      const partition = { from: Buffer.from('a/y'), to: Buffer.from('big/f100') };

      // Act
      const summary = await copyTree(source, destination, { ...walk, partition });

      // Assess: outside the range all is as planted; inside, as the source
      const after = await describeTree(destination);
      expect(after['a/x/extra-before']?.kind).toBe('file');
      expect(after['a/x/1.txt']).toBeUndefined();
      expect(after['a-']?.kind).toBe('file'); // 'a/y' < 'a-' in the partition order: inside
      expect(after['big/f200']?.size).toBe('outside, different\n'.length);
      expect(after['zz-extra']?.kind).toBe('file');
      expect(after['r1.txt']).toBeUndefined();
      expect(after['b-extra']).toBeUndefined();
      expect(after['big/f050']?.size).toBe('file 50\n'.length);
      expect(after['big/f099']?.kind).toBe('file');
      expect(after['big/f100']).toBeUndefined();
      expect(after['a/y/deep/z.txt']?.size).toBe(4000);
      expect(after['b/link']?.kind).toBe('symlink');
      // The boundary folder 'big' keeps its attributes (the seal's to set)
      expect(after['big']?.mode).toBe(0o711);
      // Counted: only what the partition owns (a/y/deep/z.txt, a-, big/f000..f099)
      expect(summary.files).toBe(102);
      expect(summary.deleted).toBe(1);

      // Act: the same partition again, over what it left in sync
      const again = await copyTree(source, destination, { ...walk, partition });

      // Assess: it counts what it owns, and only that, as unchanged
      expect(again).toMatchObject({ files: 0, deleted: 0, unchanged: 102 });
    });
  });
});
