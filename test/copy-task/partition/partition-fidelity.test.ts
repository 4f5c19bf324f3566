import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyTree, nativeStatus } from '../../../copy-task/engine/index.ts';
import type { PartitionRange } from '../../../copy-task/engine/partition-range.ts';
import { prepareBoundaries, sealPartitions } from '../../../copy-task/engine/partition-seal.ts';
import { differencesBetween, requireCheckTools } from '../fidelity/checks.ts';
import { buildEveryCaseTree } from '../fidelity/every-case-tree.ts';
import { tempFilesUnder, useTempDirs, WALKS } from '../helpers.ts';

/**
 * Cuts through the fidelity tree's folders (boundary folders with ACLs, a default ACL, xattrs, odd
 * modes), none between the names of one hard-linked file (hard/one and nested/three: see the README's
 * known limitation).
 */
const CUTS = ['acl/dir/m', 'data/m', 'hard', 'nested/zzz', 'owners/dir', 'xattrs/dir/m'].map((cut) => Buffer.from(cut));

function rangesOf(cuts: readonly Buffer[]): PartitionRange[] {
  return [undefined, ...cuts].map((from, i) => ({ ...(from ? { from } : {}), ...(cuts[i] ? { to: cuts[i] } : {}) }));
}

describe.skipIf(!nativeStatus.loaded)('Function: copyTree (partitions, fidelity)', () => {
  const tempDir = useTempDirs();
  beforeAll(() => requireCheckTools());

  it.each(WALKS)('copies the tree with every case in 7 partitions at once so that neither rsync nor an lstat/xattr walk finds a difference, with %s', async (_walk, walk) => {
    // Prepare
    const dir = await tempDir();
    const [src, dst] = [join(dir, 'src'), join(dir, 'dst')];
    await buildEveryCaseTree(src);

    // Act
    await prepareBoundaries(src, dst, CUTS);
    const summaries = await Promise.all(rangesOf(CUTS).map((partition) => copyTree(src, dst, { ...walk, partition, concurrency: 2 })));
    await sealPartitions(src, dst, CUTS);

    // Assess
    expect(differencesBetween(src, dst, { linkAtime: true })).toEqual({ python: [], rsync: [] });
    expect(summaries.reduce((sum, summary) => sum + summary.hardlinks, 0)).toBe(3);
    expect(await tempFilesUnder(dst)).toEqual([]);
  });
});
