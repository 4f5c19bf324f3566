import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopyFailedError, copyTree, type CopyOptions, type CopySummary } from '../../../copy-task/engine/index.ts';
import { bytesReadFromStorage, isRoot, requireDirectIo, useTempDirs } from '../helpers.ts';
import { makeExt4Image, requireMountTools, runWithPrivateMount } from '../private-mount.ts';
import { runSmigCopy, summaryOf } from '../smig-copy-process.ts';

const CHILD = join(import.meta.dirname, '../read-back-child.ts');
const SMIG_COPY = join(import.meta.dirname, '../../../copy-task/bin/smig-copy.ts');
const MIB = 1024 * 1024;
const SIZES = [0, 1, 4095, 4096, 4097, MIB + 7];

/** Files of every awkward size, a sparse one, and a hard-linked pair (copied by the planner, not the walk). */
async function makeSource(src: string): Promise<{ files: number; dataBytes: number }> {
  await mkdir(join(src, 'sub'), { recursive: true });
  let dataBytes = 0;
  for (const size of SIZES) {
    await writeFile(join(src, `sub/f${size}`), randomBytes(size));
    dataBytes += size;
  }
  const sparse = await open(join(src, 'sparse'), 'w');
  await sparse.write(randomBytes(5000), 0, 5000, 2 * MIB);
  await sparse.truncate(16 * MIB);
  await sparse.close();
  await writeFile(join(src, 'linked'), randomBytes(3000));
  await link(join(src, 'linked'), join(src, 'linked-too'));
  return { files: SIZES.length + 2, dataBytes: dataBytes + 5000 + 3000 };
}

async function expectSameContent(src: string, dst: string): Promise<void> {
  for (const name of [...SIZES.map((size) => `sub/f${size}`), 'sparse', 'linked', 'linked-too']) {
    expect((await readFile(join(dst, name))).equals(await readFile(join(src, name))), name).toBe(true);
  }
}

async function failureOf(run: Promise<unknown>): Promise<CopyFailedError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CopyFailedError);
  return error as CopyFailedError;
}

describe('Function: copyTree (verifyFrom)', () => {
  const tempDir = useTempDirs('/var/tmp');

  describe('where the file system allows O_DIRECT', () => {
    it('reads every copy of the final pass back from the disk with O_DIRECT, and says so', async () => {
      // Prepare
      const dir = await tempDir();
      await requireDirectIo(dir);
      const { files, dataBytes } = await makeSource(join(dir, 'src'));
      const fetchedBefore = bytesReadFromStorage();

      // Act
      const summary = await copyTree(join(dir, 'src'), join(dir, 'dst'), { pass: 'final' });

      // Assess
      const fetched = bytesReadFromStorage() - fetchedBefore;
      expect(summary).toMatchObject({ files, hardlinks: 1, verified: true, verification: 'storage', readBack: { direct: files, dropped: 0, cache: 0 } });
      // The source was in the page cache (just written): what came from the disk is the copies read back.
      expect(fetched).toBeGreaterThanOrEqual(dataBytes);
      await expectSameContent(join(dir, 'src'), join(dir, 'dst'));
      expect((await lstat(join(dir, 'dst/sparse'))).blocks * 512).toBeLessThan(MIB); // still sparse
    });

    it.each<[string, CopyOptions, CopySummary['verification'], keyof CopySummary['readBack']]>([
      ['a bulk pass reads copies back from the page cache', { pass: 'bulk' }, 'cache', 'cache'],
      ['a bulk pass asked to reads them back from storage', { pass: 'bulk', verifyFrom: 'storage' }, 'storage', 'direct'],
      ['a final pass asked to reads them back from the page cache', { pass: 'final', verifyFrom: 'cache' }, 'cache', 'cache'],
    ])('%s', async (_, options, verification, readBack) => {
      // Prepare
      const dir = await tempDir();
      await requireDirectIo(dir);
      const { files } = await makeSource(join(dir, 'src'));

      // Act
      const summary = await copyTree(join(dir, 'src'), join(dir, 'dst'), options);

      // Assess
      expect(summary).toMatchObject({ files, verified: true, verification, readBack: { direct: 0, dropped: 0, cache: 0, [readBack]: files } });
      await expectSameContent(join(dir, 'src'), join(dir, 'dst'));
    });

    it('says nothing was verified when verification is off', async () => {
      // Prepare
      const dir = await tempDir();
      await mkdir(join(dir, 'src'));
      await writeFile(join(dir, 'src/a'), 'a');

      // Act
      const summary = await copyTree(join(dir, 'src'), join(dir, 'dst'), { pass: 'final', verify: false });

      // Assess
      expect(summary).toMatchObject({ files: 1, verified: false, verification: 'none', readBack: { direct: 0, dropped: 0, cache: 0 } });
    });

    it('reads back from storage when each file goes through JavaScript (a hook), and catches a copy changed before it is verified', async () => {
      // Prepare
      const dir = await tempDir();
      await requireDirectIo(dir);
      await makeSource(join(dir, 'src'));
      const afterCopy = async (file: { path: string; destination: string }) => {
        if (file.path === `sub/f${MIB + 7}`) await writeFile(file.destination, 'not what was copied', { flag: 'r+' });
      };

      // Act
      const failed = await failureOf(copyTree(join(dir, 'src'), join(dir, 'dst'), { pass: 'final', hooks: { afterCopy } }));

      // Assess
      expect(failed.failures).toEqual([{ path: `sub/f${MIB + 7}`, reason: expect.stringMatching(/^checksum mismatch after copy \(source xxh3-128 /) }]);
      expect(failed.summary).toMatchObject({ verified: false, verification: 'storage', readBack: { direct: SIZES.length + 1, dropped: 0, cache: 0 } });
    });

    it('refuses a place to read back from that it does not know', async () => {
      // Prepare
      const dir = await tempDir();
      await mkdir(join(dir, 'src'));

      // Act / Assess
      await expect(copyTree(join(dir, 'src'), join(dir, 'dst'), { verifyFrom: 'disk' as 'storage' })).rejects.toThrow("verifyFrom must be 'storage' or 'cache', got disk");
    });
  });

  describe.runIf(isRoot)('where storage and the page cache disagree (an ext4 image behind a loop device, written behind the cache)', () => {
    it('a final pass catches the copy storage holds wrong, which reading back from the cache misses', async () => {
      // Prepare
      requireMountTools();
      const dir = await tempDir();
      await mkdir(join(dir, 'src'));
      await writeFile(join(dir, 'src/data'), randomBytes(64 * 1024));
      const image = join(dir, 'disk.img');
      makeExt4Image(image, 16);
      await mkdir(join(dir, 'mnt'));
      const pass = (verifyFrom: string, destination: string) =>
        runWithPrivateMount({ kind: 'image', image }, join(dir, 'mnt'), [process.execPath, CHILD, 'copy', join(dir, 'src'), join(dir, 'mnt', destination), verifyFrom, image]);

      // Act: each copy changed in the image once written, before it is verified
      const fromCache = await pass('cache', 'from-cache');
      const fromStorage = await pass('storage', 'from-storage');

      // Assess
      expect(fromCache).toMatchObject({ code: 0 });
      expect(JSON.parse(fromCache.stdout)).toMatchObject({ summary: { files: 1, verified: true, verification: 'cache' } }); // none the wiser
      expect(fromStorage).toMatchObject({ code: 0 });
      expect(JSON.parse(fromStorage.stdout)).toMatchObject({
        failures: [{ path: 'data', reason: expect.stringMatching(/^checksum mismatch after copy \(source xxh3-128 /) }],
        summary: { files: 0, verified: false, verification: 'storage' },
      });
    });
  });

  describe.runIf(isRoot)('where O_DIRECT is refused (a ramfs destination)', () => {
    it('a final pass drops each copy\'s cached pages before reading it back, and says so', async () => {
      // Prepare
      requireMountTools();
      const dir = await tempDir();
      const { files } = await makeSource(join(dir, 'src'));
      await mkdir(join(dir, 'mnt'));

      // Act
      const run = await runWithPrivateMount({ kind: 'ramfs' }, join(dir, 'mnt'), [
        process.execPath, SMIG_COPY, '--json', '--pass', 'final', '--no-state', join(dir, 'src'), join(dir, 'mnt/dst'),
      ]);

      // Assess
      expect(run).toMatchObject({ code: 0 });
      const summary = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line['type'] === 'summary');
      expect(summary).toMatchObject({ files, verified: true, verification: 'storage', readBack: { direct: 0, dropped: files, cache: 0 } });
    });
  });

  describe('without the native addon', () => {
    it('a final pass reads copies back from the page cache, and lists that among what the run could not do', async () => {
      // Prepare
      const dir = await tempDir();
      await mkdir(join(dir, 'src'));
      await writeFile(join(dir, 'src/a'), 'alpha');

      // Act
      const run = await runSmigCopy(['--pass', 'final', '--no-state', join(dir, 'src'), join(dir, 'dst')], { env: { SMIG_NATIVE: 'off' } });

      // Assess
      const summary = summaryOf(run);
      expect(summary).toMatchObject({ files: 1, verified: true, verification: 'cache', readBack: { direct: 0, dropped: 0, cache: 1 } });
      expect(summary['limitations']).toContain('copies are read back from the page cache, not from storage (the native addon is not loaded: turned off by SMIG_NATIVE=off)');
    });
  });
});
