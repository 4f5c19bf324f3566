import { randomBytes } from 'node:crypto';
import { lstat, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopyFailedError, copyTree, nativeStatus, type CopyOptions } from '../../../copy-task/engine/index.ts';
import { compareTrees } from '../fidelity/checks.ts';
import { listTree, tempFilesUnder, useTempDirs, WALKS, writeTree } from '../helpers.ts';

const MIB = 1024 * 1024;

/**
 * A bulk pass runs while users work on the share: a folder may become a symbolic link (or a file)
 * between the moment its parent is listed and the moment the copy goes into it. That is a change
 * like any other, noted and left to the next pass, never a failure, and the link is never followed.
 */
describe.skipIf(!nativeStatus.loaded)('Function: copyTree (a folder replaced while it is copied)', () => {
  const tempDir = useTempDirs();

  /**
   * A source whose root holds a file slow to copy (`first.bin`, read at 2 MiB/s on one thread: the
   * root's own work is done before its subfolders are listed) and a folder `b`; and a folder elsewhere
   * that `b` is replaced with a link to.
   */
  async function prepare() {
    const dir = await tempDir();
    const src = join(dir, 'src');
    await writeTree(src, { 'b/inside.txt': 'inside', 'b/deeper/more.txt': 'more', 'c/kept.txt': 'kept' });
    await writeFile(join(src, 'first.bin'), randomBytes(3 * MIB));
    await writeTree(join(dir, 'elsewhere'), { 'secret.txt': 'not part of the share' });
    return { src, dst: join(dir, 'dst'), elsewhere: join(dir, 'elsewhere') };
  }

  /** Options that replace `b` with a link once `first.bin` is being copied: from its hook (portable walk) or at the first bytes copied (native walk). */
  function swappingOptions(walk: CopyOptions, src: string, elsewhere: string): { options: CopyOptions; swapped: () => boolean } {
    let done = false;
    let swapping: Promise<void> | undefined;
    const swap = async () => {
      await rm(join(src, 'b'), { recursive: true });
      await symlink(elsewhere, join(src, 'b'));
      done = true;
    };
    const options: CopyOptions = walk.hooks
      ? { hooks: { afterCopy: async (file) => (file.path === 'first.bin' && !swapping ? (swapping = swap()) : undefined) } }
      : {
          progressIntervalMs: 0,
          onProgress: (progress) => {
            if (progress.phase === 'copying' && progress.bytes_done > 0 && !swapping) swapping = swap();
          },
        };
    return { options: { ...options, concurrency: 1, bytesPerSecond: 2 * MIB }, swapped: () => done };
  }

  it.each(WALKS)('with %s, notes a new folder that became a link as changed, copies the rest, and the next pass copies the link as a link', async (_walk, walk) => {
    // Prepare
    const { src, dst, elsewhere } = await prepare();
    const { options, swapped } = swappingOptions(walk, src, elsewhere);

    // Act
    const first = await copyTree(src, dst, options).catch((error: unknown) => error);
    const afterFirst = await listTree(dst);
    const next = await copyTree(src, dst, walk);

    // Assess
    expect(swapped()).toBe(true);
    if (first instanceof CopyFailedError) expect.fail(`the pass failed: ${first.message}`);
    expect(first).toMatchObject({ changed: 1, changedPaths: ['b'] });
    expect(afterFirst).toEqual(['c', 'c/kept.txt', 'first.bin']);
    expect(next).toMatchObject({ symlinks: 1 });
    expect((await lstat(join(dst, 'b'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(dst, 'b'))).toBe(elsewhere);
    expect(compareTrees(src, dst).differences).toEqual([]);
    expect(await tempFilesUnder(dst)).toEqual([]);
  });

  it.each(WALKS)('with %s, leaves a copied folder that became a link as it was, noted as changed, and the next pass replaces it with the link', async (_walk, walk) => {
    // Prepare: a copy of everything, then first.bin to copy again, and work in b (so that the copying walk goes there)
    const { src, dst, elsewhere } = await prepare();
    await copyTree(src, dst);
    await utimes(join(src, 'first.bin'), new Date(), new Date(Date.now() + 10_000));
    await utimes(join(src, 'b/inside.txt'), new Date(), new Date(Date.now() + 10_000));
    const { options, swapped } = swappingOptions(walk, src, elsewhere);

    // Act
    const first = await copyTree(src, dst, options).catch((error: unknown) => error);
    const between = await listTree(dst);
    const next = await copyTree(src, dst, walk);

    // Assess
    expect(swapped()).toBe(true);
    if (first instanceof CopyFailedError) expect.fail(`the pass failed: ${first.message}`);
    expect(first).toMatchObject({ files: 1, changed: 1, changedPaths: ['b'] });
    expect(between).toEqual(['b', 'b/deeper', 'b/deeper/more.txt', 'b/inside.txt', 'c', 'c/kept.txt', 'first.bin']);
    expect(next).toMatchObject({ symlinks: 1 });
    expect(await readlink(join(dst, 'b'))).toBe(elsewhere);
    expect(compareTrees(src, dst).differences).toEqual([]);
  });

  it.each(WALKS)('with %s, fails the final pass when a folder becomes a link, since the source should be read-only', async (_walk, walk) => {
    // Prepare
    const { src, dst, elsewhere } = await prepare();
    const { options } = swappingOptions(walk, src, elsewhere);

    // Act
    const error = await copyTree(src, dst, { ...options, pass: 'final' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CopyFailedError);
    expect((error as CopyFailedError).failures).toEqual([{ path: 'b', reason: 'changed on the source while being copied, though the source should be read-only' }]);
    expect(await listTree(dst)).toEqual(['c', 'c/kept.txt', 'first.bin']);
  });
});
