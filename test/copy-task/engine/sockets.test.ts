import { chmod, lchown, lstat, utimes } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyTree, nativeStatus } from '../../../copy-task/engine/index.ts';
import { compareTrees, requireCheckTools, rsyncDifferences } from '../fidelity/checks.ts';
import { nativeOrThrow } from '../fidelity/every-case-tree.ts';
import { isRoot, useTempDirs, WALKS, writeTree } from '../helpers.ts';

/**
 * Unix sockets are recreated as rsync --specials and cp -a recreate them (mknod S_IFSOCK): a socket
 * file is a name, a mode, an owner, times and attributes, and nothing to read.
 */
describe.skipIf(!nativeStatus.loaded)('Function: copyTree (sockets)', () => {
  const tempDir = useTempDirs();
  const servers: Server[] = [];
  beforeAll(() => requireCheckTools());
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function socketAt(path: string): Promise<void> {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
  }

  /** A listening socket at the root and one in a folder, with their own modes, owners, times and (as root) an xattr. */
  async function sourceWithSockets(): Promise<string> {
    const src = join(await tempDir(), 'src');
    await writeTree(src, { 'fine.txt': 'fine', 'sub/other.txt': 'other' });
    await socketAt(join(src, 'server.sock'));
    await socketAt(join(src, 'sub/inner.sock'));
    await chmod(join(src, 'server.sock'), 0o751);
    await chmod(join(src, 'sub/inner.sock'), 0o600);
    if (isRoot) await lchown(join(src, 'sub/inner.sock'), 1234, 5678);
    // user.* attributes are for regular files and folders only; trusted.* (root's) go on any inode.
    if (isRoot) nativeOrThrow().setXattr(Buffer.from(join(src, 'server.sock')), Buffer.from('trusted.role'), Buffer.from('listener'));
    await utimes(join(src, 'server.sock'), 1_500_000_000, 1_600_000_000);
    return src;
  }

  it.each(WALKS)('recreates every socket with %s: type, mode, owner, times and xattrs, verified by rsync and a Python walk', async (_walk, options) => {
    // Prepare
    const src = await sourceWithSockets();
    const dst = join(src, '../dst');

    // Act
    const summary = await copyTree(src, dst, options);

    // Assess
    expect(summary).toMatchObject({ files: 2, specials: 2, verified: true });
    const comparison = compareTrees(src, dst);
    expect(comparison.differences).toEqual([]);
    expect(comparison.counts['socket']).toBe(2);
    expect(rsyncDifferences(src, dst)).toEqual([]);
    expect((await lstat(join(dst, 'server.sock'))).isSocket()).toBe(true);
  });

  it.each(WALKS)('with %s, leaves sockets in sync alone on the next pass and fixes one whose mode changed', async (_walk, options) => {
    // Prepare
    const src = await sourceWithSockets();
    const dst = join(src, '../dst');
    await copyTree(src, dst, options);
    const unchanged = await copyTree(src, dst, options);
    await chmod(join(src, 'sub/inner.sock'), 0o640);

    // Act
    const fixed = await copyTree(src, dst, options);

    // Assess
    expect(unchanged).toMatchObject({ files: 0, specials: 0, fixed: 0 });
    expect(fixed).toMatchObject({ files: 0, specials: 0, fixed: 1 });
    expect((await lstat(join(dst, 'sub/inner.sock'))).mode & 0o7777).toBe(0o640);
    expect(compareTrees(src, dst).differences).toEqual([]);
  });
});
