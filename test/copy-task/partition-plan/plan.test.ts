import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeStatus } from '../../../copy-task/native/index.ts';
import { createPlatform } from '../../../copy-task/engine/platform.ts';
import { PartitionSurveyError, PlanTooLargeError } from '../../../copy-task/partition/errors.ts';
import { nativeLister, portableLister, type ListChildren } from '../../../copy-task/partition/folder-listing.ts';
import { comparePartitionPaths } from '../../../copy-task/partition/order.ts';
import { planPartitions } from '../../../copy-task/partition/plan.ts';
import { makeSkewedTree } from '../../../copy-task/partition/skewed-tree.ts';
import { surveyTree } from '../../../copy-task/partition/survey.ts';
import type { PartitionPlan } from '../../../copy-task/partition/types.ts';
import { useTempDirs } from '../helpers.ts';

const tempDir = useTempDirs();
/** Builds a tree deeper than PATH_MAX (Python's os module, from each folder's descriptor). */
const DEEP_TREE = join(import.meta.dirname, '../fidelity/deep-tree.py');

/** The size of `name` in the folder `bottom` below `root`, however deep (Python, from the folder's descriptor). */
async function lstatDeep(root: string, bottom: string, name: string): Promise<number> {
  const script = 'import os,sys\nfd=os.open(sys.argv[1],os.O_RDONLY)\nfor part in sys.argv[2].split("/"):\n  fd=os.open(part,os.O_RDONLY,dir_fd=fd)\nprint(os.stat(sys.argv[3],dir_fd=fd).st_size)';
  return Number(execFileSync('python3', ['-c', script, root, bottom, name], { encoding: 'utf8' }).trim());
}

/** Both ways of listing a folder: the addon's (when it is built; test/copy-task/native/addon.test.ts fails when not) and Node's fs. */
const LISTERS: [string, () => ListChildren][] = [
  ...(nativeStatus.loaded ? [['native', () => nativeLister(createPlatform().fast as NonNullable<ReturnType<typeof createPlatform>['fast']>)] as [string, () => ListChildren]] : []),
  ['portable', () => portableLister()],
];

/** Every entry below `root` with its size (regular files) as `find` sees it, independently of the planner. */
function findEntries(root: string): { path: Buffer; bytes: number }[] {
  const out = execFileSync('find', [root, '-mindepth', '1', '-printf', '%P\\0%y\\0%s\\0'], { maxBuffer: 256 * 1024 ** 2 });
  const fields = out.toString('latin1').split('\0');
  const entries: { path: Buffer; bytes: number }[] = [];
  for (let at = 0; at + 2 < fields.length; at += 3) entries.push({ path: Buffer.from(fields[at] as string, 'latin1'), bytes: fields[at + 1] === 'f' ? Number(fields[at + 2]) : 0 });
  return entries;
}

const decoded = (text: string | undefined) => (text === undefined ? undefined : Buffer.from(text, 'base64'));

/** The index of each partition of `plan` that owns `path`, by its range alone. */
function owning(plan: PartitionPlan, path: Buffer): number[] {
  return plan.partitions.flatMap((partition, index) => {
    const from = decoded(partition.from);
    const to = decoded(partition.to);
    return (from === undefined || comparePartitionPaths(from, path) <= 0) && (to === undefined || comparePartitionPaths(path, to) < 0) ? [index] : [];
  });
}

function largestOverMean(plan: PartitionPlan): { bytes: number; entries: number } {
  const n = plan.partitions.length;
  return {
    bytes: Math.max(...plan.partitions.map((p) => p.bytes)) / (plan.totals.bytes / n),
    entries: Math.max(...plan.partitions.map((p) => p.entries)) / (plan.totals.entries / n),
  };
}

describe('Function: planPartitions', () => {
  // One folder of 20,000 files beside 2,000 small folders of 5, and four large sparse files among them:
  // made once (some 10 s here) for both ways of listing.
  let skewed: string;
  beforeAll(async () => {
    skewed = await mkdtemp(join(tmpdir(), 'smig-plan-skewed-'));
    makeSkewedTree(skewed, { hugeFolderFiles: 20_000, smallFolders: 2_000, filesPerSmallFolder: 5, largeFiles: 4, largeFileBytes: 16 * 1024 ** 2 });
  }, 120_000);
  afterAll(() => rm(skewed, { recursive: true, force: true }));

  describe.each(LISTERS)('listing folders the %s way', (_, lister) => {
    it('cuts in order, and every entry of the tree falls into exactly one partition, counted there', async () => {
      // Prepare: names that sort differently by bytes and by components ('a-' < 'a/x' in bytes), a link, nesting
      const root = await tempDir();
      for (const folder of ['a', 'a/x', 'a/x/deep', 'a-', 'a0', 'b']) await mkdir(join(root, folder));
      for (let at = 0; at < 40; at += 1) await writeFile(join(root, ['a', 'a/x', 'a/x/deep', 'a-', 'a0', 'b'][at % 6] as string, `file-${at}`), 'x'.repeat(at * 10));
      await symlink('a/x', join(root, 'link'));
      await truncate(join(root, 'b/file-5'), 1024 ** 2);

      // Act
      const plan = await planPartitions(root, { partitions: 5, list: lister() });

      // Assess
      const entries = findEntries(root);
      expect(plan.totals).toEqual({ entries: entries.length, bytes: entries.reduce((sum, { bytes }) => sum + bytes, 0) });
      expect(plan.partitions).toHaveLength(5);
      expect(plan.cuts).toEqual(plan.partitions.slice(1).map((partition) => partition.from));
      const cuts = plan.cuts.map((cut) => Buffer.from(cut, 'base64'));
      for (let at = 1; at < cuts.length; at += 1) expect(comparePartitionPaths(cuts[at - 1] as Buffer, cuts[at] as Buffer)).toBeLessThan(0);
      const counted = plan.partitions.map(() => ({ bytes: 0, entries: 0 }));
      for (const { path, bytes } of entries) {
        const found = owning(plan, path);
        expect(found, path.toString()).toHaveLength(1);
        (counted[found[0] as number] as { bytes: number; entries: number }).bytes += bytes;
        (counted[found[0] as number] as { bytes: number; entries: number }).entries += 1;
      }
      expect(plan.partitions.map(({ bytes, entries }) => ({ bytes, entries }))).toEqual(counted);
    });

    it('balances a skewed tree within 1.25 times the mean partition, in bytes and in entries, for 2, 4 and 8 partitions', async () => {
      const cutsAt8: string[] = [];
      for (const partitions of [2, 4, 8]) {
        // Act
        const plan = await planPartitions(skewed, { partitions, list: lister() });

        // Assess
        expect(plan.partitions).toHaveLength(partitions);
        expect(plan.totals.entries).toBe(1 + 20_000 + 2_000 * 6 + 4);
        const ratios = largestOverMean(plan);
        expect(ratios.bytes, `bytes, ${partitions} partitions`).toBeLessThanOrEqual(1.25);
        expect(ratios.entries, `entries, ${partitions} partitions`).toBeLessThanOrEqual(1.25);
        if (partitions === 8) cutsAt8.push(...plan.cuts.map((cut) => Buffer.from(cut, 'base64').toString()));
      }
      // The huge folder is split by name ranges (cuts between its names).
      expect(cutsAt8.filter((cut) => cut.startsWith('huge/')).length).toBeGreaterThanOrEqual(2);
    });

    it('surveys a tree deeper than PATH_MAX, reaching each folder from the one above', async () => {
      // Prepare: 22 folders of 200-byte names, and at the bottom a file, a second name of it, a small file, a link and a FIFO
      const root = join(await tempDir(), 'deep');
      const { bottom } = JSON.parse(execFileSync('python3', [DEEP_TREE, 'build', root, '22'], { encoding: 'utf8' })) as { bottom: string };

      // Act
      const plan = await planPartitions(root, { partitions: 3, list: lister() });

      // Assess: a hard link's two names weigh its size each (the planner does not look for link groups)
      expect(Buffer.byteLength(join(root, bottom))).toBeGreaterThan(4096);
      expect(plan.totals).toEqual({ entries: 22 + 5, bytes: 2 * 300 * 1024 + (await lstatDeep(root, bottom, 'small.txt')) });
      expect(plan.partitions).toHaveLength(3);
    });

    it('skips a folder that vanishes, or turns into a link, before the walk lists it, and goes on', async () => {
      // Prepare
      const root = await tempDir();
      for (const folder of ['a', 'b', 'b/inner', 'c', 'd']) await mkdir(join(root, folder));
      for (const folder of ['a', 'b', 'b/inner', 'c', 'd']) await writeFile(join(root, folder, 'file'), 'data');
      const seen: string[] = [];

      // Act: nothing is listed ahead, so each folder is listed after it is yielded; as 'a' is yielded, 'b' goes and 'c' becomes a link
      for await (const { path } of surveyTree(root, { lookahead: 0, list: lister() })) {
        seen.push(path.toString());
        if (path.toString() === 'a') await rm(join(root, 'b'), { recursive: true });
        if (path.toString() === 'c') {
          await rm(join(root, 'c'), { recursive: true });
          await symlink('a', join(root, 'c'));
        }
      }

      // Assess: 'b' and 'c' were in the root's listing, so each counts as an entry, with nothing below it
      expect(seen).toEqual(['a', 'a/file', 'b', 'c', 'd', 'd/file']);
    });
  });

  it('skips a file that vanishes between its folder\'s listing and its lstat', async () => {
    // Prepare: Node's fs lister, whose lstat removes one file just before it looks
    const root = await tempDir();
    await mkdir(join(root, 'folder'));
    for (const name of ['one', 'two', 'three']) await writeFile(join(root, 'folder', name), 'data');
    const vanishing = (path: Buffer) => (path.toString().endsWith('/two') ? rm(path).then(() => lstat(path)) : lstat(path));

    // Act
    const seen: string[] = [];
    for await (const { path } of surveyTree(root, { list: portableLister(4, vanishing) })) seen.push(path.toString());

    // Assess
    expect(seen).toEqual(['folder', 'folder/one', 'folder/three']);
  });

  it('fails clearly when the source root cannot be listed', async () => {
    // Prepare
    const missing = join(await tempDir(), 'missing');

    // Act / Assess
    await expect(planPartitions(missing)).rejects.toThrow(PartitionSurveyError);
    await expect(planPartitions(missing)).rejects.toThrow(/cannot survey .*missing: ENOENT/);
  });

  it('fails clearly when the plan would not fit a Step Functions state input', async () => {
    // Prepare: 300 folders with 253-byte names (340 in base64, each cut three times in the plan), so 300 partitions take over 300 KB
    const root = await tempDir();
    for (let at = 0; at < 300; at += 1) await mkdir(join(root, `${String(at).padStart(3, '0')}${'n'.repeat(250)}`));

    // Act / Assess
    await expect(planPartitions(root, { partitions: 300 })).rejects.toThrow(PlanTooLargeError);
    await expect(planPartitions(root, { partitions: 300 })).rejects.toThrow(/--max-partitions \d+ or below should fit/);
  });

  it('picks the number of partitions from the totals when not told, within the maximum', async () => {
    // Prepare: 30 entries
    const root = await tempDir();
    for (let at = 0; at < 30; at += 1) await writeFile(join(root, `f${at}`), 'x');

    // Act / Assess
    expect((await planPartitions(root)).partitions).toHaveLength(1);
    expect((await planPartitions(root, { entriesPerPartition: 10 })).partitions).toHaveLength(3);
    expect((await planPartitions(root, { bytesPerPartition: 5 })).partitions).toHaveLength(6);
    expect((await planPartitions(root, { entriesPerPartition: 1, maxPartitions: 4 })).partitions).toHaveLength(4);
    await expect(planPartitions(root, { partitions: 5, maxPartitions: 4 })).rejects.toThrow(RangeError);
    expect((await readdir(root)).length).toBe(30);
  });

  it('plans an empty tree as one partition holding nothing', async () => {
    // Act
    const plan = await planPartitions(await tempDir(), { partitions: 4 });

    // Assess
    expect(plan).toEqual({ version: 1, totals: { bytes: 0, entries: 0 }, partitions: [{ bytes: 0, entries: 0 }], cuts: [] });
  });
});
