import { chmod, lstat, mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyTree } from '../../../copy-task/engine/index.ts';
import { isRoot, tempFilesUnder, useTempDirs } from '../helpers.ts';
import { runSmigCopy, summaryOf } from '../smig-copy-process.ts';
import { compareTrees, differencesBetween, requireCheckTools } from './checks.ts';
import { buildEveryCaseTree, bytesPath, makedev, MIB, NAMES, nativeOrThrow } from './every-case-tree.ts';

/**
 * Issue 3's fidelity acceptance: a tree with every case is copied, and two independent checks (rsync
 * -aHAX --checksum in dry-run mode, and a Python walk of lstat fields, xattrs, content and hard-link
 * groups) find no difference.
 */
describe('Function: copyTree (fidelity)', () => {
  const tempDir = useTempDirs();
  beforeAll(() => requireCheckTools());

  async function everyCase() {
    const dir = await tempDir();
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await buildEveryCaseTree(src);
    return { dir, src, dst };
  }

  it('copies a tree with every case so that neither rsync nor an lstat/xattr walk finds a difference', async () => {
    // Prepare
    const { src, dst } = await everyCase();

    // Act
    const summary = await copyTree(src, dst);

    // Assess
    expect(differencesBetween(src, dst, { linkAtime: true })).toEqual({ python: [], rsync: [] });
    const { counts } = compareTrees(src, dst);
    expect(counts).toMatchObject({ fifo: 1, symlink: isRoot ? 7 : 5, sparse: 1, 'hardlink-groups': 2, 'special-bits': 4, user: 7, 'system.posix_acl_access': 3, 'system.posix_acl_default': 1 });
    if (isRoot) expect(counts).toMatchObject({ chardev: 1, blockdev: 1, trusted: 2, security: 1 });
    expect(summary).toMatchObject({ hardlinks: 3, specials: isRoot ? 3 : 1, verified: true, limitations: [], changed: 0, vanished: 0 });
    expect(await tempFilesUnder(dst)).toEqual([]);
  });

  it('keeps a sparse file sparse: the copy allocates no more blocks than the source', async () => {
    // Prepare
    const { src, dst } = await everyCase();

    // Act
    await copyTree(src, dst);

    // Assess
    const [source, copy] = await Promise.all([lstat(join(src, 'data/sparse.img')), lstat(join(dst, 'data/sparse.img'))]);
    expect(copy.size).toBe(16 * MIB);
    expect(source.blocks * 512).toBeLessThan(MIB);
    expect(copy.blocks).toBeLessThanOrEqual(source.blocks);
  });

  it('keeps names byte for byte: spaces, newlines, leading dashes, NFC beside NFD, bytes that are not UTF-8, 255 bytes', async () => {
    // Prepare
    const { src, dst } = await everyCase();

    // Act
    await copyTree(src, dst);

    // Assess
    for (const name of Object.values(NAMES)) {
      expect((await readFile(bytesPath(dst, 'names', name))).equals(await readFile(bytesPath(src, 'names', name))), Buffer.from(name).toString('hex')).toBe(true);
    }
    expect(Buffer.from(NAMES.longMultibyte).length).toBe(255);
  });

  it('leaves a tree it copied alone on the next pass: nothing copied, linked, created or fixed', async () => {
    // Prepare
    const { src, dst } = await everyCase();
    await copyTree(src, dst);

    // Act
    const second = await copyTree(src, dst);

    // Assess
    expect(second).toMatchObject({ files: 0, dirs: 0, symlinks: 0, hardlinks: 0, specials: 0, fixed: 0, deleted: 0 });
    expect(differencesBetween(src, dst)).toEqual({ python: [], rsync: [] });
  });

  it('finds a content change that kept size and mtime only with --checksum, and copies it', async () => {
    // Prepare: same size, mtime put back to the nanosecond
    const { src, dst } = await everyCase();
    await copyTree(src, dst);
    const path = join(src, 'data/text.txt');
    const before = await lstat(path, { bigint: true });
    await writeFile(path, 'y'.repeat(5000));
    nativeOrThrow().utimens(Buffer.from(path), before.atimeNs, before.mtimeNs, false);

    // Act
    const plain = await copyTree(src, dst);
    const checksum = await copyTree(src, dst, { checksum: true });

    // Assess
    expect(plain.files).toBe(0);
    expect(checksum).toMatchObject({ files: 1, bytes: 5000 });
    expect(differencesBetween(src, dst)).toEqual({ python: [], rsync: [] }); // content compared there too
  });

  it('repairs a destination whose metadata drifted: mode, times, xattrs, ACL, a split hard link', async () => {
    // Prepare
    const { src, dst } = await everyCase();
    await copyTree(src, dst);
    const fs = nativeOrThrow();
    await chmod(join(dst, 'modes/setuid'), 0o755);
    fs.utimens(Buffer.from(join(dst, 'data/random.bin')), 1n, 2n, false);
    fs.setXattr(Buffer.from(join(dst, 'xattrs/file')), Buffer.from('user.plain'), Buffer.from('drifted'));
    fs.setXattr(Buffer.from(join(dst, 'xattrs/file')), Buffer.from('user.extra'), Buffer.from('not on the source'));
    fs.removeXattr(Buffer.from(join(dst, 'acl/file')), Buffer.from('system.posix_acl_access'));
    await writeFile(join(dst, 'hard/pair-b.tmp'), 'two names');
    await rename(join(dst, 'hard/pair-b.tmp'), join(dst, 'hard/pair-b'));
    expect(differencesBetween(src, dst).python.length).toBeGreaterThan(0);

    // Act
    const summary = await copyTree(src, dst);

    // Assess
    expect(differencesBetween(src, dst)).toEqual({ python: [], rsync: [] });
    expect(summary).toMatchObject({ hardlinks: 1 });
  });

  it.runIf(isRoot)('as another user, fails on device nodes it may not create, listing them, and copies nothing', async () => {
    // Prepare: a tree nobody can read, with a device node; a destination folder nobody can write
    const dir = await tempDir();
    await chmod(dir, 0o755);
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src/readable.txt'), 'r');
    nativeOrThrow().mknod(Buffer.from(join(dir, 'src/null-like')), 0o020000 | 0o666, makedev(1, 3));
    await mkdir(join(dir, 'out'), { mode: 0o777 });
    await chmod(join(dir, 'out'), 0o777);

    // Act
    const run = await runSmigCopy([join(dir, 'src'), join(dir, 'out/dst')], { uid: 65534, gid: 65534 });

    // Assess
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stderr)).toMatchObject({
      failures: [{ path: 'null-like', reason: 'cannot copy character device: creating a device node needs root (CAP_MKNOD)' }],
    });
    await expect(lstat(join(dir, 'out/dst/readable.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('copies the same way through the CLI', async () => {
    // Prepare
    const { src, dst } = await everyCase();

    // Act
    const run = await runSmigCopy([src, dst]);

    // Assess
    expect(summaryOf(run)).toMatchObject({ type: 'summary', verified: true, limitations: [] });
    expect(differencesBetween(src, dst, { linkAtime: true })).toEqual({ python: [], rsync: [] });
  });

  it('copies zeros that were written (not holes) as data', async () => {
    // Prepare: zeros written as data (not a hole) must be copied as data
    const dir = await tempDir();
    await mkdir(join(dir, 'src'));
    const handle = await open(join(dir, 'src/zeros'), 'w');
    await handle.write(Buffer.alloc(256 * 1024), 0, 256 * 1024, 0);
    await handle.close();

    // Act
    await copyTree(join(dir, 'src'), join(dir, 'dst'));

    // Assess
    expect(compareTrees(join(dir, 'src'), join(dir, 'dst')).differences).toEqual([]);
  });
});
