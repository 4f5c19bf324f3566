import { link, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IoContext } from '../../../copy-task/engine/context.ts';
import { linkFile } from '../../../copy-task/engine/link-file.ts';
import { readEntry } from '../../../copy-task/engine/scan.ts';
import { useTempDirs } from '../helpers.ts';

/**
 * Regressions the random-tree fuzz found (random-trees.test.ts, seeds 160024 and 160048): a hard link's
 * leader changed under a bulk pass, which left it to the next pass, so its copy is missing (ENOENT) or
 * is a folder (EPERM from link). Its further names are left too ('changed'), not failures.
 */
describe('Function: linkFile', () => {
  const tempDir = useTempDirs();

  async function prepare(leaderOnDestination: 'missing' | 'folder') {
    const dir = await tempDir();
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await mkdir(src);
    await mkdir(dst);
    await writeFile(join(src, 'leader'), 'one inode');
    await link(join(src, 'leader'), join(src, 'second'));
    if (leaderOnDestination === 'folder') await mkdir(join(dst, 'leader'));
    const options = {};
    const context = { sourceRoot: Buffer.from(src), destinationRoot: Buffer.from(dst), verify: true } as unknown as IoContext;
    const hardLink = {
      leader: await readEntry(Buffer.from(src), Buffer.from('leader'), options),
      entry: await readEntry(Buffer.from(src), Buffer.from('second'), options),
      linked: false,
    };
    return { context, hardLink };
  }

  it.each(['missing', 'folder'] as const)("leaves a further name to the next pass ('changed') when the leader's copy is %s", async (leaderOnDestination) => {
    // Prepare
    const { context, hardLink } = await prepare(leaderOnDestination);

    // Act
    const state = await linkFile(context, hardLink);

    // Assess
    expect(state).toBe('changed');
  });
});
