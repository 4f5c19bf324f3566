import { appendFile, lstat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopyFailedError, copyTree } from '../../../copy-task/engine/index.ts';
import { MAX_ATTEMPTS } from '../../../copy-task/engine/copy-file.ts';
import { listTree, readText, tempFilesUnder, useTempDirs, writeTree } from '../helpers.ts';

/** The afterCopy hook runs between writing a file's data and checking the source again. */
describe('Function: copyTree (a source that moves, a copy that goes wrong)', () => {
  const tempDir = useTempDirs();

  async function roots(spec: Record<string, string>) {
    const dir = await tempDir();
    const src = join(dir, 'src');
    await writeTree(src, spec);
    return { src, dst: join(dir, 'dst') };
  }

  it('copies again a file that changed while it was copied, and puts the newer version in place', async () => {
    // Prepare
    const { src, dst } = await roots({ 'log.txt': 'first line\n' });
    let writes = 0;
    const hooks = {
      afterCopy: async () => {
        if (writes++ === 0) await appendFile(join(src, 'log.txt'), 'second line\n');
      },
    };

    // Act
    const summary = await copyTree(src, dst, { hooks });

    // Assess
    expect(writes).toBe(2);
    expect(summary).toMatchObject({ files: 1, changed: 0, changedPaths: [] });
    expect(await readText(join(dst, 'log.txt'))).toBe('first line\nsecond line\n');
  });

  it('reports a file that keeps changing instead of claiming it copied, and leaves it for the next pass', async () => {
    // Prepare: every attempt sees the file grow
    const { src, dst } = await roots({ 'busy.log': 'x', 'calm.txt': 'calm' });
    let attempts = 0;
    const hooks = {
      afterCopy: async (file: { path: string }) => {
        if (file.path !== 'busy.log') return;
        attempts += 1;
        await appendFile(join(src, 'busy.log'), 'x');
      },
    };

    // Act
    const summary = await copyTree(src, dst, { hooks });

    // Assess
    expect(attempts).toBe(MAX_ATTEMPTS);
    expect(summary).toMatchObject({ files: 1, changed: 1, changedPaths: ['busy.log'] });
    expect(await listTree(dst)).toEqual(['calm.txt']);
    expect(await tempFilesUnder(dst)).toEqual([]);
    const next = await copyTree(src, dst);
    expect(next).toMatchObject({ files: 1, changed: 0 });
    expect(await readText(join(dst, 'busy.log'))).toBe('x'.repeat(MAX_ATTEMPTS + 1));
  });

  it('fails the final pass at the first change while copying, naming the file', async () => {
    // Prepare
    const { src, dst } = await roots({ 'busy.log': 'x' });
    let attempts = 0;
    const hooks = {
      afterCopy: async () => {
        attempts += 1;
        await appendFile(join(src, 'busy.log'), 'x');
      },
    };

    // Act
    const error = await copyTree(src, dst, { pass: 'final', hooks }).catch((e: unknown) => e);

    // Assess
    expect(attempts).toBe(1);
    expect(error).toBeInstanceOf(CopyFailedError);
    expect((error as CopyFailedError).failures).toEqual([
      { path: 'busy.log', reason: 'changed on the source while being copied, though the source should be read-only' },
    ]);
  });

  it('copies a file once more when its copy reads back wrong, and succeeds if the second copy is right', async () => {
    // Prepare: corrupt only the first attempt's copy, keeping its size
    const { src, dst } = await roots({ 'data.bin': 'precious data' });
    let attempts = 0;
    const hooks = {
      afterCopy: async (file: { destination: string }) => {
        if (attempts++ === 0) await writeFile(file.destination, 'precious dat4');
      },
    };

    // Act
    const summary = await copyTree(src, dst, { hooks });

    // Assess
    expect(attempts).toBe(2);
    expect(summary).toMatchObject({ files: 1, verified: true });
    expect(await readFile(join(dst, 'data.bin'), 'utf8')).toBe('precious data');
    expect((await lstat(join(dst, 'data.bin'))).mtimeMs).toBe((await lstat(join(src, 'data.bin'))).mtimeMs);
  });
});
