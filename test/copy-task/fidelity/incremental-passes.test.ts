import { execFileSync } from 'node:child_process';
import { chmod, chown, link, mkdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyTree } from '../../../copy-task/engine/index.ts';
import { isRoot, useTempDirs } from '../helpers.ts';
import { differencesBetween, requireCheckTools } from './checks.ts';
import { buildEveryCaseTree, nativeOrThrow } from './every-case-tree.ts';

/**
 * Passes over a destination that an earlier pass filled, while the source moves on in between:
 * files added, changed, renamed and deleted, metadata changed, entries changing type, hard links
 * made and broken. Each pass must leave the destination equal to the source, copying only what
 * changed.
 */
describe('Function: copyTree (incremental passes)', () => {
  const tempDir = useTempDirs();
  beforeAll(() => requireCheckTools());

  it('follows additions, changes, renames, deletions, type changes and hard-link changes, then rests', async () => {
    // Prepare: a first pass, then the source changes in every way
    const dir = await tempDir();
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await buildEveryCaseTree(src);
    await copyTree(src, dst);
    const at = (path: string) => join(src, path);
    const fs = nativeOrThrow();

    // added: a folder with a file, a link, a FIFO, a further name of an existing file
    await mkdir(at('added'));
    await writeFile(at('added/new.txt'), 'new');
    await symlink('new.txt', at('added/link'));
    fs.mknod(Buffer.from(at('special/fifo2')), 0o010000 | 0o600, 0n);
    await link(at('hard/pair-a'), at('added/pair-c'));
    // changed: bigger; same size with a new mtime
    await writeFile(at('data/text.txt'), 'z'.repeat(6000));
    await writeFile(at('data/random.bin'), Buffer.alloc(300 * 1024, 7));
    // renamed: a folder with content, a file with xattrs
    await rename(at('nested/deeper'), at('nested/moved'));
    await rename(at('xattrs/file'), at('xattrs/renamed'));
    // deleted: a file, a link, a folder its owner could not write, the first name of a three-name file
    await unlink(at('empty-file'));
    await unlink(at('links/dangling'));
    await chmod(at('modes/locked'), 0o755);
    await rm(at('modes/locked'), { recursive: true });
    await unlink(at('hard/one'));
    // metadata only
    await chmod(at('modes/setgid'), 0o2755);
    if (isRoot) await chown(at('owners/file'), 4321, 8765);
    fs.setXattr(Buffer.from(at('xattrs/dir')), Buffer.from('user.folder'), Buffer.from('changed'));
    execFileSync('setfacl', ['-x', 'g:5678', at('acl/file')]);
    // type changes: a FIFO becomes a file, a link becomes a folder
    await unlink(at('special/fifo'));
    await writeFile(at('special/fifo'), 'a file now');
    await unlink(at('links/to-folder'));
    await mkdir(at('links/to-folder'));
    await writeFile(at('links/to-folder/inside.txt'), 'inside');
    // a hard link broken: pair-b becomes a file of its own with the same content
    await unlink(at('hard/pair-b'));
    await writeFile(at('hard/pair-b'), 'two names');

    // Act: the third pass right after the second, before any check reads the trees: rsync's --checksum
    // reads files without O_NOATIME whatever --open-noatime says (3.2.7), which moves atimes on a relatime
    // mount, and a pass after that would rightly fix them. A third pass with nothing to do shows the second
    // left nothing behind.
    const second = await copyTree(src, dst);
    const third = await copyTree(src, dst);

    // Assess
    expect(differencesBetween(src, dst)).toEqual({ python: [], rsync: [] });
    // new.txt, text.txt, random.bin, the moved file, the renamed file, pair-c (now the first name of
    // its file), pair-b (split off), the former FIFO, the file in the former link
    expect(second).toMatchObject({ files: 9, symlinks: 1, specials: 1, hardlinks: 1, changed: 0, vanished: 0 });
    expect(second.deleted).toBeGreaterThanOrEqual(7);
    expect(third).toMatchObject({ files: 0, dirs: 0, symlinks: 0, hardlinks: 0, specials: 0, fixed: 0, deleted: 0 });
  });
});
