import { chmod, cp, lstat, mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WriteBackJournal } from '../../../copy-task/engine/durability.ts';
import { copyTree } from '../../../copy-task/engine/index.ts';
import { listTree, mtimeMicros, readText, setTimes, useTempDirs, writeTree } from '../helpers.ts';

describe('Function: copyTree (passes over an existing destination)', () => {
  const tempDir = useTempDirs();

  async function copied(spec: Record<string, string>) {
    const dir = await tempDir();
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await writeTree(src, spec);
    await copyTree(src, dst);
    return { dir, src, dst };
  }

  describe('incremental', () => {
    it('copies nothing on a second pass over an unchanged source', async () => {
      // Prepare
      const { src, dst } = await copied({ 'a.txt': 'a', 'sub/b.txt': 'b', 'sub/c.txt': 'c' });

      // Act
      const summary = await copyTree(src, dst);

      // Assess
      expect(summary).toMatchObject({ files: 0, bytes: 0, dirs: 0, symlinks: 0, deleted: 0, unchanged: 3 });
    });

    it('copies only the file that changed since the last pass', async () => {
      // Prepare
      const { src, dst } = await copied({ 'a.txt': 'a', 'sub/b.txt': 'b', 'sub/c.txt': 'c' });
      await writeFile(join(src, 'sub/b.txt'), 'b, edited');
      await setTimes(join(src, 'sub/b.txt'), new Date('2030-01-01T00:00:00Z'));
      const untouched = await lstat(join(dst, 'a.txt'), { bigint: true });

      // Act
      const summary = await copyTree(src, dst);

      // Assess
      expect(summary).toMatchObject({ files: 1, bytes: 'b, edited'.length, unchanged: 2 });
      expect(await readText(join(dst, 'sub/b.txt'))).toBe('b, edited');
      expect((await lstat(join(dst, 'a.txt'), { bigint: true })).ino).toBe(untouched.ino); // not rewritten
      expect(await mtimeMicros(join(dst, 'sub'))).toBe(await mtimeMicros(join(src, 'sub')));
    });

    it('copies a file whose size matches but whose mtime does not', async () => {
      // Prepare
      const { src, dst } = await copied({ 'same-size.txt': 'aaaa' });
      await writeFile(join(src, 'same-size.txt'), 'bbbb');
      await setTimes(join(src, 'same-size.txt'), new Date('2031-01-01T00:00:00Z'));

      // Act
      const summary = await copyTree(src, dst);

      // Assess
      expect(summary.files).toBe(1);
      expect(await readText(join(dst, 'same-size.txt'))).toBe('bbbb');
    });

    it('fixes a mode change without copying the data again', async () => {
      // Prepare
      const { src, dst } = await copied({ 'script.sh': 'echo' });
      await chmod(join(src, 'script.sh'), 0o750);

      // Act
      const summary = await copyTree(src, dst);

      // Assess
      expect(summary.files).toBe(0);
      expect((await lstat(join(dst, 'script.sh'))).mode & 0o7777).toBe(0o750);
    });

    it('replaces a link whose target changed', async () => {
      // Prepare
      const dir = await tempDir();
      const src = join(dir, 'src');
      await mkdir(src);
      await symlink('first', join(src, 'link'));
      await copyTree(src, join(dir, 'dst'));
      await symlink('second', join(src, 'link.new'));
      await rename(join(src, 'link.new'), join(src, 'link'));

      // Act
      const summary = await copyTree(src, join(dir, 'dst'));

      // Assess
      expect(summary.symlinks).toBe(1);
      expect(await readlink(join(dir, 'dst/link'))).toBe('second');
    });
  });

  describe('mirror and merge', () => {
    it('removes destination entries the source does not have (mirror, the default)', async () => {
      // Prepare
      const { src, dst } = await copied({ 'keep.txt': 'k' });
      await writeTree(dst, { 'extra.txt': 'x', 'extra-folder/a/b.txt': 'b' });
      await symlink('/etc', join(dst, 'extra-link'));

      // Act
      const summary = await copyTree(src, dst);

      // Assess
      expect(await listTree(dst)).toEqual(['keep.txt']);
      expect(summary.deleted).toBe(5);
    });

    it('keeps destination extras in merge mode', async () => {
      // Prepare
      const { src, dst } = await copied({ 'keep.txt': 'k' });
      await writeTree(dst, { 'extra.txt': 'x' });

      // Act
      const summary = await copyTree(src, dst, { mode: 'merge' });

      // Assess
      expect(await listTree(dst)).toEqual(['extra.txt', 'keep.txt']);
      expect(summary.deleted).toBe(0);
    });

    it('replaces an entry of another type: folder by file, file by folder, link by folder', async () => {
      // Prepare
      const { dir, src, dst } = await copied({ 'was-folder': 'now a file', 'was-file/inner.txt': 'now a folder', 'was-link/x.txt': 'x' });
      await writeTree(join(dir, 'stale'), { 'was-folder/old.txt': 'old', 'was-file': 'old' });
      await rm(dst, { recursive: true });
      await cp(join(dir, 'stale'), dst, { recursive: true });
      await symlink('/tmp', join(dst, 'was-link'));

      // Act
      await copyTree(src, dst);

      // Assess
      expect(await readText(join(dst, 'was-folder'))).toBe('now a file');
      expect(await readText(join(dst, 'was-file/inner.txt'))).toBe('now a folder');
      expect((await lstat(join(dst, 'was-link'))).isDirectory()).toBe(true);
      expect(await listTree(dst)).toEqual(['was-file', 'was-file/inner.txt', 'was-folder', 'was-link', 'was-link/x.txt']);
    });

    it('never writes through a destination link that points outside the destination', async () => {
      // Prepare
      const dir = await tempDir();
      const src = join(dir, 'src');
      const dst = join(dir, 'dst');
      const outside = join(dir, 'outside');
      await writeTree(src, { 'sub/file.txt': 'inside' });
      await mkdir(dst);
      await mkdir(outside);
      await symlink(outside, join(dst, 'sub'));

      // Act
      await copyTree(src, dst, { mode: 'merge' });

      // Assess
      expect(await listTree(outside)).toEqual([]);
      expect((await lstat(join(dst, 'sub'))).isDirectory()).toBe(true);
      expect(await readText(join(dst, 'sub/file.txt'))).toBe('inside');
    });

    it('removes temp files an interrupted run left behind, even in merge mode, and keeps files that only look like them', async () => {
      // Prepare: the journal a run killed in this boot left, with its token, and what it left in place
      const { src, dst } = await copied({ 'a.txt': 'a' });
      const token = '0123456789abcdef';
      await (await WriteBackJournal.open({ sourceRoot: Buffer.from(src), destinationRoot: Buffer.from(dst) }, { token })).begin();
      await writeTree(dst, { [`.smig-tmp-${token}j1`]: 'partial', [`sub/.smig-tmp-${token}n2a`]: 'partial', '.smig-tmp-ba9876543210': 'not the engine\'s' });
      await writeTree(src, { 'sub/b.txt': 'b' });

      // Act
      const summary = await copyTree(src, dst, { mode: 'merge' });

      // Assess
      expect(await listTree(dst)).toEqual(['.smig-tmp-ba9876543210', 'a.txt', 'sub', 'sub/b.txt']);
      expect(summary.deleted).toBe(2);
    });
  });
});
