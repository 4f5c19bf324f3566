import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyTree, nativeStatus, type CopyOptions } from '../../../copy-task/engine/index.ts';
import { compareTrees } from '../fidelity/checks.ts';
import { listTree, useTempDirs, WALKS, writeTree } from '../helpers.ts';

/**
 * The engine keeps a journal in the destination root and makes entries under temp names while it
 * copies; none of them may take a name from the share. A user's file named like them is copied like
 * any other, and never taken for a leftover of the engine's.
 */
const MIB = 1024 * 1024;
const USER_NAMES = {
  '.smig-tmp-journal': 'a user file with the name the journal once had',
  '.smig-tmp-journal-1': 'and the next one',
  '.smig-tmp-0123456789ab': 'named like a temp file',
  'sub/.smig-tmp-journal': 'in a folder',
  'sub/.smig-tmp-abcdef': 'named like a temp file, in a folder',
  '.smig-tmp-dfeedfacecafebeef/inside.txt': 'a folder named like a hidden folder',
  'plain.txt': 'plain',
};

describe.skipIf(!nativeStatus.loaded)('Function: copyTree (names the engine uses for its own entries)', () => {
  const tempDir = useTempDirs();

  async function sourceWithUserNames() {
    const dir = await tempDir();
    const src = join(dir, 'src');
    await writeTree(src, USER_NAMES);
    return { dir, src, dst: join(dir, 'dst') };
  }

  it.each(WALKS)('copies a user file named .smig-tmp-journal, and every .smig-tmp-* entry, like any other, with %s', async (_walk, walk) => {
    // Prepare
    const { src, dst } = await sourceWithUserNames();

    // Act
    const first = await copyTree(src, dst, walk);
    const second = await copyTree(src, dst, walk);

    // Assess
    expect(first).toMatchObject({ files: Object.keys(USER_NAMES).length, deleted: 0 });
    expect(second).toMatchObject({ files: 0, deleted: 0, unchanged: Object.keys(USER_NAMES).length });
    // Compared before anything reads the copies (reading moves their atimes).
    expect(compareTrees(src, dst).differences).toEqual([]);
    expect(await listTree(dst)).toEqual(await listTree(src));
    for (const [path, content] of Object.entries(USER_NAMES)) expect(await readFile(join(dst, path), 'utf8'), path).toBe(content);
  });

  it.each(WALKS)('keeps a destination file named like a temp file when merging, with %s (it is not the engine\'s)', async (_walk, walk) => {
    // Prepare: a destination that already holds files of its own
    const { src, dst } = await sourceWithUserNames();
    await writeTree(dst, { '.smig-tmp-fedcba987654': 'kept', 'sub/.smig-tmp-journal-7': 'kept too', '.smig-tmp-journal-2': 'kept as well' });

    // Act
    const summary = await copyTree(src, dst, { ...walk, mode: 'merge' });

    // Assess
    expect(summary).toMatchObject({ deleted: 0 });
    expect(await readFile(join(dst, '.smig-tmp-fedcba987654'), 'utf8')).toBe('kept');
    expect(await readFile(join(dst, 'sub/.smig-tmp-journal-7'), 'utf8')).toBe('kept too');
    expect(await readFile(join(dst, '.smig-tmp-journal-2'), 'utf8')).toBe('kept as well');
    for (const [path, content] of Object.entries(USER_NAMES)) expect(await readFile(join(dst, path), 'utf8'), path).toBe(content);
  });

  it.each(WALKS)('leaves a user file given the journal\'s name during a bulk pass for the next pass, counted as changed, with %s', async (_walk, walk) => {
    // Prepare: the journal takes `.smig-tmp-journal` (the source lacks it when the pass starts); a user
    // then makes a file of that name while a slow file is copied
    const dir = await tempDir();
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await mkdir(src);
    await writeFile(join(src, 'slow.bin'), randomBytes(3 * MIB));
    let made: Promise<void> | undefined;
    const make = () => (made ??= writeFile(join(src, '.smig-tmp-journal'), 'made during the pass'));
    const options: CopyOptions = walk.hooks
      ? { hooks: { afterCopy: async () => make() } }
      : { progressIntervalMs: 0, onProgress: (p) => void (p.phase === 'copying' && p.bytes_done > 0 ? make() : undefined) };

    // Act
    const first = await copyTree(src, dst, { ...options, concurrency: 1, bytesPerSecond: 2 * MIB });
    const afterFirst = (await readdir(dst)).sort();
    const next = await copyTree(src, dst, walk);

    // Assess
    expect(made).toBeDefined();
    expect(first).toMatchObject({ files: 1, changed: 1, changedPaths: ['.smig-tmp-journal'] });
    expect(afterFirst).toEqual(['slow.bin']);
    expect(next).toMatchObject({ files: 1, changed: 0 });
    expect(await readFile(join(dst, '.smig-tmp-journal'), 'utf8')).toBe('made during the pass');
    expect((await readdir(dst)).sort()).toEqual(['.smig-tmp-journal', 'slow.bin']);
  });

  it.each(WALKS)('leaves nothing of its own in the destination after a pass, with %s', async (_walk, walk) => {
    // Prepare
    const { src, dst } = await sourceWithUserNames();
    await mkdir(join(src, 'new/deeper'), { recursive: true });
    await writeFile(join(src, 'new/deeper/file.txt'), 'new');

    // Act
    await copyTree(src, dst, { ...walk, writeBack: 'pass' });

    // Assess
    expect((await readdir(dst)).sort()).toEqual((await readdir(src)).sort());
    expect((await lstat(join(dst, '.smig-tmp-journal'))).isFile()).toBe(true);
  });
});
