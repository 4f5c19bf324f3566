import { chmod, lstat, mkdir, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareBoundaries, sealPartitions } from '../../../copy-task/engine/partition-seal.ts';
import { useTempDirs } from '../helpers.ts';

const cut = (path: string) => Buffer.from(path);
const OLD = new Date('2021-05-06T07:08:09Z');

describe('Function: prepareBoundaries', () => {
  const tempDir = useTempDirs();

  it('makes the boundary folders the source has, top down, replacing what is in the way without following a link', async () => {
    // Prepare: source a/b/c (cut a/b/c/d: boundary a, a/b, a/b/c) and x (a file: cut x/y has no boundary folder there)
    const dir = await tempDir();
    const [source, destination, outside] = [join(dir, 'src'), join(dir, 'dst'), join(dir, 'outside')];
    await mkdir(join(source, 'a/b/c'), { recursive: true });
    await writeFile(join(source, 'x'), 'file');
    await mkdir(outside);
    await mkdir(destination);
    await symlink(outside, join(destination, 'a'));

    // Act
    const summary = await prepareBoundaries(source, destination, [cut('a/b/c/d'), cut('x/y')]);

    // Assess
    expect(summary).toEqual({ made: 3, replaced: 1 });
    expect((await lstat(join(destination, 'a/b/c'))).isDirectory()).toBe(true);
    expect((await lstat(join(destination, 'a'))).isDirectory()).toBe(true);
    expect(await readdir(outside)).toEqual([]);
    expect(await readdir(destination)).toEqual(['a']);
  });
});

describe('Function: sealPartitions', () => {
  const tempDir = useTempDirs();

  it('gives boundary folders their source\'s attributes deepest first, and removes the empty ones the source lacks', async () => {
    // Prepare: boundary folders on the destination at 0700 with new times; one the source lacks, empty; one it lacks, not empty
    const dir = await tempDir();
    const [source, destination] = [join(dir, 'src'), join(dir, 'dst')];
    await mkdir(join(source, 'a/b'), { recursive: true });
    await mkdir(join(destination, 'a/b'), { recursive: true });
    await mkdir(join(destination, 'gone/empty'), { recursive: true });
    await mkdir(join(destination, 'kept'), { recursive: true });
    await writeFile(join(destination, 'kept/other-partition-file'), 'x');
    await chmod(join(source, 'a/b'), 0o751);
    await chmod(join(source, 'a'), 0o705);
    for (const path of [join(source, 'a/b'), join(source, 'a'), source]) await utimes(path, OLD, OLD);
    await chmod(source, 0o755);

    // Act
    const summary = await sealPartitions(source, destination, [cut('a/b/m'), cut('gone/empty/m'), cut('kept/m')]);

    // Assess
    expect(summary).toEqual({ sealed: 3, removed: 2, kept: 1 });
    for (const rel of ['', 'a', 'a/b']) {
      const [wanted, got] = await Promise.all([stat(join(source, rel)), stat(join(destination, rel))]);
      expect({ rel, mode: got.mode & 0o7777, mtime: got.mtimeMs }).toEqual({ rel, mode: wanted.mode & 0o7777, mtime: wanted.mtimeMs });
    }
    expect((await readdir(destination)).sort()).toEqual(['a', 'kept']);
  });

  it('keeps boundary folders the source lacks in merge mode', async () => {
    // Prepare
    const dir = await tempDir();
    const [source, destination] = [join(dir, 'src'), join(dir, 'dst')];
    await mkdir(source);
    await mkdir(join(destination, 'gone'), { recursive: true });

    // Act
    const summary = await sealPartitions(source, destination, [cut('gone/m')], { mode: 'merge' });

    // Assess
    expect(summary).toEqual({ sealed: 1, removed: 0, kept: 0 });
    expect(await readdir(destination)).toEqual(['gone']);
  });
});
