import { randomBytes } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeStatus, type NativeFs } from '../../../copy-task/native/index.ts';
import { bytesReadFromStorage, isRoot, requireDirectIo, useTempDirs } from '../helpers.ts';
import { makeExt4Image, requireMountTools, runWithPrivateMount } from '../private-mount.ts';

const CHILD = join(import.meta.dirname, '../read-back-child.ts');
const MIB = 1024 * 1024;

function addon(): NativeFs {
  if (!nativeStatus.loaded) throw new Error(`the copy engine's native addon is not loaded: ${nativeStatus.reason}`);
  return nativeStatus.fs;
}

describe('Module: copy-task/native', () => {
  // /var/tmp: a disk's file system, where O_DIRECT reads go to the disk.
  const tempDir = useTempDirs('/var/tmp');

  describe('Method: hashFromStorage', () => {
    it.each([0, 1, 4095, 4096, 4097, MIB + 7])('reads a file of %i bytes back from the disk with O_DIRECT, its tail to the aligned length', async (size) => {
      // Prepare
      const dir = await tempDir();
      await requireDirectIo(dir);
      const path = Buffer.from(join(dir, 'f'));
      await writeFile(path, randomBytes(size));
      const inCache = await addon().hashFile(path);
      const fetchedBefore = bytesReadFromStorage();

      // Act
      const fromStorage = await addon().hashFromStorage(path);

      // Assess
      const fetched = bytesReadFromStorage() - fetchedBefore;
      expect(fromStorage).toEqual({ digest: inCache.digest, size, readBack: 'direct' });
      // The file was in the page cache: what was read came from the disk all the same.
      expect(fetched).toBeGreaterThanOrEqual(size);
    });

    it('reads only the data of a sparse file, hashing its holes as zeros', async () => {
      // Prepare
      const dir = await tempDir();
      await requireDirectIo(dir);
      const path = join(dir, 'sparse');
      const file = await open(path, 'w');
      await file.write(randomBytes(5000), 0, 5000, 3 * MIB);
      await file.truncate(8 * MIB + 3);
      await file.close();
      const inCache = await addon().hashFile(Buffer.from(path));
      const fetchedBefore = bytesReadFromStorage();

      // Act
      const fromStorage = await addon().hashFromStorage(Buffer.from(path));

      // Assess
      const fetched = bytesReadFromStorage() - fetchedBefore;
      expect(fromStorage).toEqual({ digest: inCache.digest, size: 8 * MIB + 3, readBack: 'direct' });
      expect(fetched).toBeGreaterThanOrEqual(5000);
      expect(fetched).toBeLessThan(MIB);
    });

    it('refuses what is not a regular file', async () => {
      // Prepare
      const dir = await tempDir();
      await mkdir(join(dir, 'folder'));

      // Act / Assess
      await expect(addon().hashFromStorage(Buffer.from(join(dir, 'folder')))).rejects.toMatchObject({ code: 'EINVAL' });
    });

    it.runIf(isRoot)('sees what storage holds where the page cache holds other bytes (an ext4 image behind a loop device)', async () => {
      // Prepare
      requireMountTools();
      const dir = await tempDir();
      const image = join(dir, 'disk.img');
      makeExt4Image(image, 16);
      await mkdir(join(dir, 'mnt'));

      // Act: written, then changed in the image behind the mounted file system's cache
      const run = await runWithPrivateMount({ kind: 'image', image }, join(dir, 'mnt'), [process.execPath, CHILD, 'diverge', image, join(dir, 'mnt/f')]);

      // Assess
      expect(run).toMatchObject({ code: 0 });
      const { written, cached, storage } = JSON.parse(run.stdout) as Record<string, { digest: string; readBack?: string }>;
      expect(cached?.digest).toBe(written?.digest); // what a read through the cache sees: what was written
      expect(storage?.readBack).toBe('direct');
      expect(storage?.digest).not.toBe(written?.digest); // what storage holds
    });

    it.runIf(isRoot)('where O_DIRECT is refused (ramfs), drops the file\'s cached pages, reads it through the cache, and says so', async () => {
      // Prepare
      requireMountTools();
      const dir = await tempDir();
      await mkdir(join(dir, 'mnt'));
      const file = join(dir, 'mnt/f');

      // Act
      const run = await runWithPrivateMount({ kind: 'ramfs' }, join(dir, 'mnt'), [
        'sh', '-c', 'head -c 4097 /dev/urandom > "$1" && exec "$2" "$3" hash "$1"', 'sh', file, process.execPath, CHILD,
      ]);

      // Assess
      expect(run).toMatchObject({ code: 0 });
      const { cached, storage } = JSON.parse(run.stdout) as Record<string, { digest: string }>;
      expect(storage).toEqual({ digest: cached?.digest, size: 4097, readBack: 'dropped' });
    });
  });
});
