import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CopyFailedError, copyTree } from '../../../copy-task/engine/index.ts';
import { isRoot, listTree, readText, setTimes, tempFilesUnder, useTempDirs, writeTree } from '../helpers.ts';
import { runSmigCopy } from '../smig-copy-process.ts';

async function failureOf(run: Promise<unknown>): Promise<CopyFailedError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CopyFailedError);
  return error as CopyFailedError;
}

describe('Function: copyTree (failures)', () => {
  const tempDir = useTempDirs();
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function socketAt(path: string): Promise<void> {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
  }

  describe('what cannot be copied', () => {
    it.runIf(isRoot)('as another user, fails before copying anything when the source holds a device node, listing it (a FIFO and a socket beside it are copyable)', async () => {
      // Prepare: a tree anyone may read, with a device node only root may make again
      const dir = await tempDir();
      await chmod(dir, 0o755);
      const src = join(dir, 'src');
      await writeTree(src, { 'fine.txt': 'fine', 'sub/': '' });
      await socketAt(join(src, 'server.sock'));
      execFileSync('mkfifo', [join(src, 'pipe')]);
      execFileSync('mknod', [join(src, 'sub/null'), 'c', '1', '3']);
      await writeTree(join(dir, 'out'), { 'dst/': '' });
      for (const path of ['out', 'out/dst']) await chmod(join(dir, path), 0o777);

      // Act
      const run = await runSmigCopy([src, join(dir, 'out/dst')], { uid: 65534, gid: 65534 });

      // Assess
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stderr)).toMatchObject({
        failures: [{ path: 'sub/null', reason: 'cannot copy character device: creating a device node needs root (CAP_MKNOD)' }],
      });
      expect(await listTree(join(dir, 'out/dst'))).toEqual([]);
    });

    it('fails with the path when the destination cannot be created (its parent is a file)', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/a.txt': 'a', 'not-a-folder': 'file' });
      const destination = join(dir, 'not-a-folder/dst');

      // Act
      const error = await failureOf(copyTree(join(dir, 'src'), destination));

      // Assess
      expect(error.failures).toHaveLength(1);
      expect(error.failures[0]).toMatchObject({ path: destination, code: 'ENOTDIR' });
    });

    it('fails when the source is missing or source and destination overlap', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/a.txt': 'a' });

      // Act
      const missing = await failureOf(copyTree(join(dir, 'nope'), join(dir, 'dst')));
      const inside = await failureOf(copyTree(join(dir, 'src'), join(dir, 'src/dst')));
      const around = await failureOf(copyTree(join(dir, 'src'), dir));

      // Assess
      expect(missing.failures[0]).toMatchObject({ path: join(dir, 'nope'), code: 'ENOENT' });
      expect(inside.failures[0]?.reason).toContain('overlap');
      expect(around.failures[0]?.reason).toContain('overlap');
      expect(await listTree(join(dir, 'src'))).toEqual(['a.txt']); // nothing created inside the source
    });

    it('copies everything else, lists the path that failed, and deletes nothing', async () => {
      // Prepare: once a.txt is copied, the destination folder sub/ is replaced by a file, so
      // sub/b.txt cannot be written (even as root); concurrency 1 copies in path order
      const dir = await tempDir();
      const src = join(dir, 'src');
      const dst = join(dir, 'dst');
      await writeTree(src, { 'a.txt': 'a', 'sub/b.txt': 'b', 'sub2/c.txt': 'c' });
      await writeTree(dst, { 'extra.txt': 'x' });
      const hooks = {
        afterCopy: async (file: { path: string }) => {
          if (file.path !== 'a.txt') return;
          await rm(join(dst, 'sub'), { recursive: true });
          await writeFile(join(dst, 'sub'), 'in the way');
        },
      };

      // Act
      const error = await failureOf(copyTree(src, dst, { concurrency: 1, hooks }));

      // Assess
      expect(error.failures).toHaveLength(1);
      expect(error.failures[0]).toMatchObject({ path: 'sub/b.txt', code: 'ENOTDIR' });
      expect(error.failures[0]?.reason).toMatch(/^cannot copy: ENOTDIR/);
      expect(error.message).toContain('sub/b.txt: cannot copy: ENOTDIR');
      expect(error.summary).toMatchObject({ files: 2, deleted: 0 });
      expect(await listTree(dst)).toEqual(['a.txt', 'extra.txt', 'sub', 'sub2', 'sub2/c.txt']);
      expect(await tempFilesUnder(dst)).toEqual([]);
    });
  });

  describe('verification', () => {
    it('detects a copy corrupted before it takes its final name, copies it once more, then fails without putting it in place', async () => {
      // Prepare: corrupt the copy in place, keeping its size and mtime, so only a checksum can tell
      const dir = await tempDir();
      const src = join(dir, 'src');
      const dst = join(dir, 'dst');
      await writeTree(src, { 'good.txt': 'good', 'data.bin': 'precious data' });
      let attempts = 0;
      const hooks = {
        afterCopy: async (file: { path: string; destination: string }) => {
          if (file.path !== 'data.bin') return;
          attempts += 1;
          const stats = await lstat(file.destination);
          await writeFile(file.destination, 'precious dat4');
          await setTimes(file.destination, stats.mtime);
        },
      };

      // Act
      const error = await failureOf(copyTree(src, dst, { hooks }));

      // Assess
      expect(attempts).toBe(2);
      expect(error.failures).toHaveLength(1);
      expect(error.failures[0]?.path).toBe('data.bin');
      expect(error.failures[0]?.reason).toMatch(/^checksum mismatch after copy \(source sha256 [0-9a-f]{64}, destination sha256 [0-9a-f]{64}\)/);
      expect(await listTree(dst)).toEqual(['good.txt']);
      const retry = await copyTree(src, dst); // the next pass copies it again
      expect(retry.files).toBe(1);
      expect(await readText(join(dst, 'data.bin'))).toBe('precious data');
    });

    it('does not read anything back with verify off', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/a.txt': 'a' });
      const phases: string[] = [];

      // Act
      const summary = await copyTree(join(dir, 'src'), join(dir, 'dst'), { verify: false, progressIntervalMs: 0, onProgress: (p) => phases.push(p.phase) });

      // Assess
      expect(summary.verified).toBe(false);
      expect(phases).not.toContain('verifying');
    });
  });

  describe('a source that changes under the copy', () => {
    it('counts a file changed during a bulk pass and leaves it for the next pass', async () => {
      // Prepare
      const dir = await tempDir();
      const src = join(dir, 'src');
      const dst = join(dir, 'dst');
      await writeTree(src, { 'a.txt': 'a', 'b.txt': 'b', 'gone.txt': 'g' });
      const hooks = {
        afterCopy: async (file: { path: string }) => {
          if (file.path !== 'a.txt') return;
          await rm(join(src, 'gone.txt'));
          await writeFile(join(src, 'b.txt'), 'b, newer');
        },
      };

      // Act
      const summary = await copyTree(src, dst, { concurrency: 1, hooks });

      // Assess
      expect(summary).toMatchObject({ files: 2, vanished: 1 });
      expect(await readText(join(dst, 'b.txt'))).toBe('b, newer');
      expect(await listTree(dst)).toEqual(['a.txt', 'b.txt']);
    });

    it('fails the final pass when the source changes, since it should be read-only', async () => {
      // Prepare
      const dir = await tempDir();
      const src = join(dir, 'src');
      await writeTree(src, { 'a.txt': 'a', 'b.txt': 'b' });
      const hooks = {
        afterCopy: async (file: { path: string }) => {
          if (file.path === 'a.txt') await writeFile(join(src, 'b.txt'), 'b, written too late');
        },
      };

      // Act
      const error = await failureOf(copyTree(src, join(dir, 'dst'), { pass: 'final', concurrency: 1, hooks }));

      // Assess
      expect(error.failures).toEqual([
        { path: 'b.txt', reason: 'changed on the source after the scan, though the source should be read-only' },
      ]);
    });
  });

  describe('options', () => {
    it('rejects an invalid concurrency before touching anything', async () => {
      // Prepare
      const dir = await tempDir();
      await mkdir(join(dir, 'src'));

      // Act
      const run = copyTree(join(dir, 'src'), join(dir, 'dst'), { concurrency: 0 });

      // Assess
      await expect(run).rejects.toThrow(RangeError);
      await expect(readFile(join(dir, 'dst'))).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await tempFilesUnder(dir)).toEqual([]);
    });
  });
});
