import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyTree, nativeStatus } from '../../../copy-task/engine/index.ts';
import { differencesBetween, requireCheckTools } from '../fidelity/checks.ts';
import { nativeOrThrow } from '../fidelity/every-case-tree.ts';
import { listTree, readText, useTempDirs, writeTree } from '../helpers.ts';
import { runSmigCopy } from '../smig-copy-process.ts';

const MIB = 1024 * 1024;

/**
 * What the addon's tree walk (src/smig_walk.c) adds to the engine: files copied by several threads
 * in C, a verified large file read through a mapping (and a source truncated under it), the second
 * walk going only where the survey found work, and the rate limit kept in C.
 */
describe.skipIf(!nativeStatus.loaded)('Function: copyTree (the native walk)', () => {
  const tempDir = useTempDirs();
  const children: ReturnType<typeof spawn>[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it('copies a verified large file whose source is truncated and regrown under it without crashing, and reports it rather than placing a torn copy', async () => {
    // Prepare: 64 MiB that another process keeps cutting to 1 MiB and growing back, for the whole run
    const dir = await tempDir();
    const source = join(dir, 'src');
    await mkdir(source);
    const file = join(source, 'moving.bin');
    await writeFile(file, randomBytes(64 * MIB));
    const churn = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      const fd = fs.openSync(${JSON.stringify(file)}, 'r+');
      for (;;) { fs.ftruncateSync(fd, ${MIB}); fs.ftruncateSync(fd, ${64 * MIB}); }
    `], { stdio: 'ignore' });
    children.push(churn);
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Act: a bulk pass, verified
    const summary = await copyTree(source, join(dir, 'dst'), { verify: true, concurrency: 2 });

    // Assess: this process is alive (a SIGBUS from the mapping would have ended it); nothing torn was placed
    expect(summary.changed + summary.files).toBe(1);
    if (summary.changed === 1) {
      expect(summary.changedPaths).toEqual(['moving.bin']);
      expect(await listTree(join(dir, 'dst'))).toEqual([]);
    }
  });

  it('copies and verifies large files on several threads at once, byte for byte', async () => {
    // Prepare: a folder of four files of 6 MiB (verified through the mapping) and small ones beside them
    const dir = await tempDir();
    const source = join(dir, 'src');
    await mkdir(source);
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < 4; i += 1) contents.set(`large${i}.bin`, randomBytes(6 * MIB + i * 4097));
    for (let i = 0; i < 20; i += 1) contents.set(`small${i}.txt`, randomBytes(100 + i));
    for (const [name, data] of contents) await writeFile(join(source, name), data);

    // Act
    const summary = await copyTree(source, join(dir, 'dst'), { verify: true, concurrency: 4 });

    // Assess
    expect(summary).toMatchObject({ files: 24, verified: true });
    for (const [name, data] of contents) expect((await readFile(join(dir, 'dst', name))).equals(data)).toBe(true);
  });

  it('brings a deep change and a new folder deep inside a settled tree across, and nothing else', async () => {
    // Prepare: a copied tree of many folders
    requireCheckTools();
    const dir = await tempDir();
    const source = join(dir, 'src');
    const spec: Record<string, string> = {};
    for (let a = 0; a < 6; a += 1) for (let b = 0; b < 6; b += 1) spec[`a${a}/b${b}/c/file.txt`] = `${a}${b}`;
    await writeTree(source, spec);
    const destination = join(dir, 'dst');
    await copyTree(source, destination);
    await writeFile(join(source, 'a3/b4/c/file.txt'), 'changed, and longer');
    await writeTree(source, { 'a1/b2/new/deeper/n.txt': 'new' });
    await chmod(join(source, 'a5/b5'), 0o750);

    // Act
    const summary = await copyTree(source, destination);

    // Assess
    expect(summary).toMatchObject({ files: 2, dirs: 2, unchanged: 35 });
    // Compared before anything reads the copies (reading moves their atimes).
    expect(differencesBetween(source, destination)).toEqual({ python: [], rsync: [] });
    expect((await stat(join(destination, 'a5/b5'))).mode & 0o7777).toBe(0o750);
    expect(await readText(join(destination, 'a3/b4/c/file.txt'))).toBe('changed, and longer');
  });

  it('gives every folder it makes or finds its attributes after its children: nested, new in a settled tree, read-only, with xattrs', async () => {
    // Prepare: folders with xattrs, odd modes and old mtimes, nested; a copy of part of it; then more folders in it
    requireCheckTools();
    const fs = nativeOrThrow();
    const dir = await tempDir();
    const source = join(dir, 'src');
    await writeTree(source, {
      'top/mid/leaf/file.txt': 'a', 'top/mid/other/file.txt': 'b', 'locked/inner/file.txt': 'c', 'kept/file.txt': 'd',
    });
    const destination = join(dir, 'dst');
    await copyTree(source, destination);
    await writeTree(source, { 'kept/new/deeper/n.txt': 'n', 'fresh/one/two/f.txt': 'f' });
    const folders = ['top', 'top/mid', 'top/mid/leaf', 'locked', 'locked/inner', 'kept', 'kept/new', 'kept/new/deeper', 'fresh', 'fresh/one', 'fresh/one/two'];
    for (const [i, folder] of folders.entries()) {
      fs.setXattr(Buffer.from(join(source, folder)), Buffer.from('user.folder'), Buffer.from(`folder ${i}`));
    }
    await chmod(join(source, 'top/mid/leaf'), 0o711);
    await chmod(join(source, 'fresh/one/two'), 0o555);
    await chmod(join(source, 'locked/inner'), 0o500);
    await chmod(join(source, 'locked'), 0o555);
    for (const [i, folder] of [...folders].reverse().entries()) {
      await utimes(join(source, folder), 1_000_000_000 + i, 1_100_000_000 + i);
    }

    // Act
    await copyTree(source, destination);

    // Assess: an independent comparison of every folder's mode, times and xattrs
    expect(differencesBetween(source, destination)).toEqual({ python: [], rsync: [] });
    expect((await stat(join(destination, 'locked/inner'))).mode & 0o7777).toBe(0o500);
    expect((await stat(join(destination, 'fresh/one/two'))).mtimeMs).toBe(1_100_000_000_000);
    await chmod(join(source, 'locked'), 0o755);
    await chmod(join(source, 'locked/inner'), 0o755);
    await chmod(join(destination, 'locked'), 0o755);
    await chmod(join(destination, 'locked/inner'), 0o755);
  });

  it('keeps to the rate limit across its threads', async () => {
    // Prepare: 3 MiB in 12 files, at 2 MiB/s
    const dir = await tempDir();
    const source = join(dir, 'src');
    await mkdir(source);
    for (let i = 0; i < 12; i += 1) await writeFile(join(source, `f${i}.bin`), randomBytes(256 * 1024));

    // Act
    const started = performance.now();
    await copyTree(source, join(dir, 'dst'), { bytesPerSecond: 2 * MIB, concurrency: 4 });
    const seconds = (performance.now() - started) / 1000;

    // Assess: the first read goes at once, the other 2.75 MiB wait their turn
    expect(seconds).toBeGreaterThanOrEqual(1.2);
  });

  it.runIf(process.getuid?.() === 0)('as another user, fails naming a source folder it may not list, before it writes anything', async () => {
    // Prepare: a tree nobody may read but for one folder only root may list; a destination nobody may write into
    const dir = await tempDir();
    await chmod(dir, 0o755);
    await writeTree(join(dir, 'src'), { 'ok.txt': 'ok', 'closed/inside.txt': 'x' });
    await chmod(join(dir, 'src/closed'), 0o700);
    await writeTree(join(dir, 'out/dst'), { 'extra.txt': 'kept, since the copy failed' });
    for (const path of ['out', 'out/dst', 'out/dst/extra.txt']) await chmod(join(dir, path), 0o777);

    // Act
    const run = await runSmigCopy([join(dir, 'src'), join(dir, 'out/dst')], { uid: 65534, gid: 65534 });

    // Assess
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stderr)).toMatchObject({ failures: [{ path: 'closed', code: 'EACCES', reason: expect.stringMatching(/^cannot list folder: EACCES/) }] });
    expect(await listTree(join(dir, 'out/dst'))).toEqual(['extra.txt']);
  });
});
