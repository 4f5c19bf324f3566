import { chmod, chown, lchown, lstat, lutimes, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyTree } from '../../../copy-task/engine/index.ts';
import { isRoot, listTree, mtimeMicros, readText, setTimes, tempFilesUnder, useTempDirs, writeTree } from '../helpers.ts';

describe('Function: copyTree', () => {
  const tempDir = useTempDirs();

  async function roots() {
    const dir = await tempDir();
    return { src: join(dir, 'src'), dst: join(dir, 'dst'), dir };
  }

  describe('content and structure', () => {
    it('copies files, empty files and empty folders into a destination it creates', async () => {
      // Prepare
      const { src, dst } = await roots();
      await writeTree(src, { 'a.txt': 'alpha', 'empty.txt': '', 'nested/deep/b.bin': 'x'.repeat(3_000_000), 'hollow/': '' });

      // Act
      const summary = await copyTree(src, dst);

      // Assess
      expect(await listTree(dst)).toEqual(['a.txt', 'empty.txt', 'hollow', 'nested', 'nested/deep', 'nested/deep/b.bin']);
      expect(await readText(join(dst, 'a.txt'))).toBe('alpha');
      expect(await readText(join(dst, 'empty.txt'))).toBe('');
      expect((await readFile(join(dst, 'nested/deep/b.bin'))).equals(await readFile(join(src, 'nested/deep/b.bin')))).toBe(true);
      expect(summary).toMatchObject({ files: 3, bytes: 3_000_005, dirs: 3, symlinks: 0, deleted: 0, verified: true, unchanged: 0 });
      expect(await tempFilesUnder(dst)).toEqual([]);
    });

    it('copies a few hundred files across folders with any concurrency', async () => {
      // Prepare
      const { src, dst } = await roots();
      const spec: Record<string, string> = {};
      for (let d = 0; d < 10; d += 1) for (let f = 0; f < 25; f += 1) spec[`d${d}/f${f}.txt`] = `${d}-${f}`;
      await writeTree(src, spec);

      // Act
      const summary = await copyTree(src, dst, { concurrency: 3 });

      // Assess
      expect(summary.files).toBe(250);
      expect(await readText(join(dst, 'd7/f13.txt'))).toBe('7-13');
      expect((await listTree(dst)).length).toBe(260);
    });

    it('copies names that are not valid UTF-8 byte for byte', async () => {
      // Prepare
      const { src, dst } = await roots();
      await mkdir(src);
      const name = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x74]);
      await writeFile(Buffer.concat([Buffer.from(`${src}/`), name]), 'bytes');

      // Act
      await copyTree(src, dst);

      // Assess
      const names = await readdir(dst, { encoding: 'buffer' });
      expect(names).toHaveLength(1);
      expect(names[0]?.equals(name)).toBe(true);
      expect(await readFile(Buffer.concat([Buffer.from(`${dst}/`), name]), 'utf8')).toBe('bytes');
    });
  });

  describe('symbolic links', () => {
    it('copies links as links with their exact targets: relative, absolute, dangling, to a folder', async () => {
      // Prepare
      const { src, dst } = await roots();
      await writeTree(src, { 'real.txt': 'real', 'folder/inside.txt': 'in' });
      await symlink('real.txt', join(src, 'relative'));
      await symlink('/etc/hostname', join(src, 'absolute'));
      await symlink('../nowhere/at/all', join(src, 'dangling'));
      await symlink('folder', join(src, 'to-folder'));

      // Act
      const summary = await copyTree(src, dst);

      // Assess
      expect(await readlink(join(dst, 'relative'))).toBe('real.txt');
      expect(await readlink(join(dst, 'absolute'))).toBe('/etc/hostname');
      expect(await readlink(join(dst, 'dangling'))).toBe('../nowhere/at/all');
      expect(await readlink(join(dst, 'to-folder'))).toBe('folder');
      expect((await lstat(join(dst, 'to-folder'))).isSymbolicLink()).toBe(true);
      expect(summary.symlinks).toBe(4);
      expect(summary.files).toBe(2); // the link to a folder was not followed
    });

    it('keeps a link\'s mtime', async () => {
      // Prepare
      const { src, dst } = await roots();
      await mkdir(src);
      await symlink('target', join(src, 'link'));
      await lutimes(join(src, 'link'), new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'));

      // Act
      await copyTree(src, dst);

      // Assess
      expect(await mtimeMicros(join(dst, 'link'))).toBe(await mtimeMicros(join(src, 'link')));
    });
  });

  describe('metadata', () => {
    it('keeps mode bits, including setuid, setgid and sticky', async () => {
      // Prepare
      const { src, dst } = await roots();
      await writeTree(src, { 'exec.sh': '#!/bin/sh', 'secret': 's', 'suid': 'u', 'shared/': '', 'readonly/x': 'x' });
      await chmod(join(src, 'exec.sh'), 0o755);
      await chmod(join(src, 'secret'), 0o400);
      await chmod(join(src, 'suid'), 0o6711);
      await chmod(join(src, 'shared'), 0o1777);
      await chmod(join(src, 'readonly'), 0o555);

      // Act
      await copyTree(src, dst);

      // Assess
      const mode = async (path: string) => (await lstat(join(dst, path))).mode & 0o7777;
      expect(await mode('exec.sh')).toBe(0o755);
      expect(await mode('secret')).toBe(0o400);
      expect(await mode('suid')).toBe(0o6711);
      expect(await mode('shared')).toBe(0o1777);
      expect(await mode('readonly')).toBe(0o555);
      expect(await readText(join(dst, 'readonly/x'))).toBe('x');
    });

    it('keeps file and folder times to the microsecond, folders set after their children', async () => {
      // Prepare
      const { src, dst } = await roots();
      await writeTree(src, { 'old/file.txt': 'f', 'old/sub/inner.txt': 'i' });
      await setTimes(join(src, 'old/file.txt'), new Date('2010-01-01T00:00:00.123Z'));
      await setTimes(join(src, 'old/sub'), new Date('2011-01-01T00:00:00Z'));
      await setTimes(join(src, 'old'), new Date('2012-06-01T12:00:00.5Z'));
      await setTimes(src, new Date('2013-01-01T00:00:00Z'));

      // Act
      await copyTree(src, dst);

      // Assess
      for (const path of ['old/file.txt', 'old/sub/inner.txt', 'old/sub', 'old', '']) {
        expect(await mtimeMicros(join(dst, path)), path).toBe(await mtimeMicros(join(src, path)));
      }
      const atime = async (root: string) => (await lstat(join(root, 'old/file.txt'), { bigint: true })).atimeNs / 1000n;
      expect(await atime(dst)).toBe(await atime(src));
    });

    it('keeps owner and group as root, and leaves them to the running user otherwise', async () => {
      // Prepare
      const { src, dst } = await roots();
      await writeTree(src, { 'owned.txt': 'o', 'folder/': '' });
      await symlink('owned.txt', join(src, 'link'));
      if (isRoot) {
        await chown(join(src, 'owned.txt'), 1234, 5678);
        await chown(join(src, 'folder'), 2345, 6789);
        await lchown(join(src, 'link'), 3456, 7890);
      }
      const expected = async (path: string) => {
        const stats = await lstat(join(src, path));
        return isRoot ? [stats.uid, stats.gid] : [process.getuid?.(), process.getgid?.()];
      };

      // Act
      await copyTree(src, dst);

      // Assess
      for (const path of ['owned.txt', 'folder', 'link']) {
        const stats = await lstat(join(dst, path));
        expect([stats.uid, stats.gid], path).toEqual(await expected(path));
      }
    });
  });
});
