import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeStatus } from '../../../copy-task/engine/index.ts';
import { PartitionView } from '../../../copy-task/engine/partition-view.ts';
import { parseListing } from '../../../copy-task/engine/scan.ts';
import { useTempDirs } from '../helpers.ts';

const p = (text: string) => Buffer.from(text);
const view = (from?: string, to?: string) => new PartitionView({ ...(from ? { from: p(from) } : {}), ...(to ? { to: p(to) } : {}) }, () => false);

/** The names the addon lists in `dir` (relative to `root`) for `range`. */
async function namesListed(root: string, dir: string, range: Buffer | undefined): Promise<string[]> {
  if (!nativeStatus.loaded) throw new Error('the addon is not loaded');
  const listing = await nativeStatus.fs.scanDir(Buffer.from(join(root, dir)), false, 0, range ?? null);
  const names: string[] = [];
  parseListing(p(dir), listing, p(root), (entry) => names.push(entry.rel.toString()), () => undefined);
  return names;
}

describe('Class: PartitionView', () => {
  describe('Method: nameRange', () => {
    const tempDir = useTempDirs();

    it.skipIf(!nativeStatus.loaded)('has the addon lstat only the names the partition sees in a boundary folder (and the engine\'s own)', async () => {
      // Prepare: a folder of names on both sides of both ends
      const root = await tempDir();
      await mkdir(join(root, 'big/f3'), { recursive: true });
      for (const name of ['f1', 'f2', 'f4', 'f5', 'f6', 'f7', '.smig-tmp-0123456789abcdefj0', '.hidden']) await writeFile(join(root, 'big', name), name);
      await mkdir(join(root, 'big/f6x'));

      // Act / Assess: [big/f3/deep, big/f6): f3 (a boundary folder) through f5
      expect(await namesListed(root, 'big', view('big/f3/deep', 'big/f6').nameRange(p('big')))).toEqual(['big/.smig-tmp-0123456789abcdefj0', 'big/f3', 'big/f4', 'big/f5']);
      // [big/f2, big/f6/deep): f2 through f6 (a boundary folder), not f6x
      expect(await namesListed(root, 'big', view('big/f2', 'big/f6/deep').nameRange(p('big')))).toEqual(['big/.smig-tmp-0123456789abcdefj0', 'big/f2', 'big/f3', 'big/f4', 'big/f5', 'big/f6']);
      // An open end: everything from f5 on
      expect(await namesListed(root, 'big', view('big/f5').nameRange(p('big')))).toEqual(['big/.smig-tmp-0123456789abcdefj0', 'big/f5', 'big/f6', 'big/f6x', 'big/f7']);
    });

    it.skipIf(!nativeStatus.loaded)('refuses a malformed range', async () => {
      const root = await tempDir();
      expect(() => nativeStatus.loaded && nativeStatus.fs.scanDir(Buffer.from(root), false, 0, Buffer.from([1, 9, 0, 0, 0]))).toThrow(TypeError);
      expect(() => nativeStatus.loaded && nativeStatus.fs.scanDir(Buffer.from(root), false, 0, Buffer.from([1, 0, 0, 0, 0, 5, 0, 0, 0]))).toThrow(TypeError);
    });

    it('bounds nothing where neither end lies below the folder', () => {
      expect(view('a/b', 'c').nameRange(p('a/b'))).toBeUndefined();
      expect(view(undefined, 'c/d').nameRange(p(''))?.toString('latin1')).toBe(`\x0c${'\0'.repeat(4)}\x01\0\0\0c`);
    });
  });
});
