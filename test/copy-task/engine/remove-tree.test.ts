import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeTree } from '../../../copy-task/engine/remove.ts';
import { useTempDirs } from '../helpers.ts';

describe('Function: removeTree', () => {
  const tempDir = useTempDirs();

  it('removes a folder and everything in it, counting the entries', async () => {
    // Prepare
    const dir = await tempDir();
    await mkdir(join(dir, 'f/g'), { recursive: true });
    await writeFile(join(dir, 'f/g/x'), 'x');
    await writeFile(join(dir, 'f/y'), 'y');

    // Act
    const removed = await removeTree(Buffer.from(join(dir, 'f')), { isRoot: false });

    // Assess
    expect(removed).toBe(4);
    expect(await readdir(dir)).toEqual([]);
  });

  it('counts an entry already gone as removed by someone else: absent, or below a folder that is now a file (ENOTDIR)', async () => {
    // Prepare: what a partition of the same pass leaves when it replaced the folder 'a' by the source's file 'a'
    const dir = await tempDir();
    await writeFile(join(dir, 'a'), 'a file where a folder was');

    // Act / Assess: the other partition's removal of 'a/deep' finds nothing to do, and fails nothing
    expect(await removeTree(Buffer.from(join(dir, 'a/deep')), { isRoot: false })).toBe(0);
    expect(await removeTree(Buffer.from(join(dir, 'missing')), { isRoot: false })).toBe(0);
    expect(await readdir(dir)).toEqual(['a']);
  });
});
