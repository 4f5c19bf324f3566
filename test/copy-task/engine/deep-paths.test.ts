import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyTree, nativeStatus } from '../../../copy-task/engine/index.ts';
import { compareTrees, requireCheckTools } from '../fidelity/checks.ts';
import { isRoot, useTempDirs, WALKS } from '../helpers.ts';

const DEEP_TREE = join(import.meta.dirname, '../fidelity/deep-tree.py');
/** Linux's PATH_MAX: no path this long (with its NUL) may be given to a system call. */
const PATH_MAX = 4096;
const DEPTH = 22;

/** deep-tree.py (Python's os module, every call from a folder's descriptor): builds or changes a tree deeper than PATH_MAX. */
function deepTree(command: 'build' | 'change' | 'extra', root: string, ...args: string[]): { bottom: string } {
  return JSON.parse(execFileSync('python3', [DEEP_TREE, command, root, ...args], { encoding: 'utf8' })) as { bottom: string };
}

/**
 * Any name a Linux file can have, at any depth: 22 nested folders of 200-byte names put the files at
 * the bottom more than 4,400 bytes below the root, past what any single path given to the kernel may
 * hold. Both walks reach them from their folders, and the copy is checked by a Python walk that does
 * the same (compare-trees.py): type, mode, owner, times, content, xattrs, hard links.
 */
describe.skipIf(!nativeStatus.loaded)('Function: copyTree (trees deeper than PATH_MAX)', () => {
  const tempDir = useTempDirs();
  beforeAll(() => requireCheckTools());

  it.each(WALKS)('copies files, a link, a FIFO and a second name at the bottom with %s, with data, modes, owners, times and xattrs', async (_walk, walk) => {
    // Prepare
    const dir = await tempDir();
    const src = join(dir, 'src');
    const { bottom } = deepTree('build', src, String(DEPTH));

    // Act
    const summary = await copyTree(src, join(dir, 'dst'), walk);

    // Assess
    expect(Buffer.byteLength(join(dir, 'dst', bottom, 'small.txt'))).toBeGreaterThan(PATH_MAX);
    expect(summary).toMatchObject({ files: 2, hardlinks: 1, symlinks: 1, specials: 1, dirs: DEPTH, verified: true });
    const comparison = compareTrees(src, join(dir, 'dst'));
    expect(comparison.differences).toEqual([]);
    expect(comparison.counts).toMatchObject({ dir: DEPTH + 1, file: 3, symlink: 1, fifo: 1, 'hardlink-groups': 1, user: 2 });
    if (isRoot) expect(execFileSync('python3', ['-c', OWNER_AT_BOTTOM, join(dir, 'dst')], { encoding: 'utf8' }).trim()).toBe('1234:5678 0o640');
  });

  it.each(WALKS)('brings a change at the bottom across with %s, fixes a folder\'s mode half-way down, and removes an extra at the bottom', async (_walk, walk) => {
    // Prepare: a copy, then a changed file and folder in the source, and an extra in the destination
    const dir = await tempDir();
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    deepTree('build', src, String(DEPTH));
    await copyTree(src, dst, walk);
    deepTree('change', src);
    deepTree('extra', dst);

    // Act
    const summary = await copyTree(src, dst, walk);
    const again = await copyTree(src, dst, walk);

    // Assess
    expect(summary).toMatchObject({ files: 1, deleted: 1 });
    expect(compareTrees(src, dst).differences).toEqual([]);
    expect(again).toMatchObject({ files: 0, deleted: 0, fixed: 0 });
  });
});

/** The owner and mode of data.bin at the bottom of a deep tree, read from its folder's descriptor. */
const OWNER_AT_BOTTOM = `
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
while True:
    folders = sorted(n for n in os.listdir(fd) if os.path.isdir('/proc/self/fd/%d/%s' % (fd, n)) and not os.path.islink('/proc/self/fd/%d/%s' % (fd, n)))
    if not folders:
        break
    fd = os.open(folders[0], os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
st = os.stat('data.bin', dir_fd=fd, follow_symlinks=False)
print('%d:%d %s' % (st.st_uid, st.st_gid, oct(st.st_mode & 0o7777)))
`;
