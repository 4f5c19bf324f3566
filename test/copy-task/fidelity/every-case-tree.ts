import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, lchown, link, lstat, mkdir, open, readdir, symlink, writeFile } from 'node:fs/promises';
import { loadNative, type NativeFs } from '../../../copy-task/native/index.ts';
import { isRoot } from '../helpers.ts';
import { requireTool } from './checks.ts';

/**
 * Builds a source tree with every case the copy must keep (issue 3, Fidelity): every kind of entry,
 * names of any bytes, special mode bits, owners, nanosecond times, xattrs in each namespace, ACLs,
 * hard links, a sparse file. Root-only cases (owners, device nodes, trusted.* and security.*) are
 * left out when not running as root.
 */

export const MIB = 1024 * 1024;

/** Paths as bytes, '/'-joined, so names need not be UTF-8. */
export function bytesPath(...parts: (string | Buffer)[]): Buffer {
  const buffers = parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part));
  return Buffer.concat(buffers.flatMap((part, i) => (i === 0 ? [part] : [Buffer.from('/'), part])));
}

export function nativeOrThrow(): NativeFs {
  const status = loadNative();
  if (!status.loaded) throw new Error(`the native addon is needed to build the test tree: ${status.reason}`);
  return status.fs;
}

export const NAMES = {
  space: 'with space',
  newline: 'new\nline',
  dash: '-leading-dash',
  nfc: Buffer.from('caf\u00e9', 'utf8'),
  nfd: Buffer.from('cafe\u0301', 'utf8'),
  notUtf8: Buffer.from([0x66, 0xff, 0xfe, 0x80, 0x2e, 0x74]),
  long: 'n'.repeat(255),
  longMultibyte: Buffer.concat([Buffer.from('\u00e9'.repeat(127), 'utf8'), Buffer.from('x')]), // 255 bytes
} as const;

const SPARSE_SIZE = 16 * MIB;

export async function buildEveryCaseTree(root: string): Promise<void> {
  requireTool('setfacl', 'apt-get install acl (POSIX ACL tools; .ci/run must install it)');
  const fs = nativeOrThrow();
  const at = (...parts: (string | Buffer)[]) => bytesPath(root, ...parts);
  const file = async (content: string | Buffer, ...parts: (string | Buffer)[]) => writeFile(at(...parts), content);

  await mkdir(root);
  for (const dir of ['names', 'nested/deeper/deepest', 'empty-dir', 'data', 'modes/sticky', 'modes/setgid-dir', 'modes/locked', 'owners/dir', 'links', 'hard', 'special', 'xattrs/dir', 'acl/dir']) {
    await mkdir(at(dir), { recursive: true });
  }

  // Names: any bytes a Linux name can hold.
  for (const name of Object.values(NAMES)) await file(`named ${Buffer.from(name).toString('hex').slice(0, 16)}`, 'names', name);
  const oddFolder = Buffer.concat([Buffer.from('dir-'), NAMES.notUtf8]);
  await mkdir(at('names', oddFolder, NAMES.space), { recursive: true });
  await file('inside', 'names', oddFolder, NAMES.space, NAMES.dash);

  // Regular files: empty, small, random, nested.
  await file('', 'empty-file');
  await file('deep', 'nested/deeper/deepest/file.txt');
  await file(randomBytes(300 * 1024), 'data/random.bin');
  await file('x'.repeat(5000), 'data/text.txt');

  // Sparse: 16 MiB of which 68 KiB hold data, ending in a hole.
  const sparse = await open(at('data/sparse.img'), 'w');
  await sparse.write(randomBytes(4096), 0, 4096, 0);
  await sparse.write(randomBytes(64 * 1024), 0, 64 * 1024, 8 * MIB);
  await sparse.truncate(SPARSE_SIZE);
  await sparse.close();

  // Symbolic links: relative, absolute, dangling, to a folder, a target that is not UTF-8.
  await symlink('../data/text.txt', at('links/relative'));
  await symlink('/etc/hostname', at('links/absolute'));
  await symlink('nowhere/at/all', at('links/dangling'));
  await symlink('../nested', at('links/to-folder'));
  await symlink(Buffer.concat([Buffer.from('../names/'), NAMES.notUtf8]), at('links/bytes-target'));

  // Hard links: one file with three names across folders (with an xattr), and a pair.
  await file('three names', 'hard/one');
  await link(at('hard/one'), at('hard/two'));
  await link(at('hard/one'), at('nested/three'));
  fs.setXattr(at('hard/one'), Buffer.from('user.shared'), Buffer.from('one inode'));
  await file('two names', 'hard/pair-a');
  await link(at('hard/pair-a'), at('hard/pair-b'));

  // FIFOs always; device nodes as root.
  fs.mknod(at('special/fifo'), 0o010000 | 0o640, 0n);
  if (isRoot) {
    fs.mknod(at('special/char-1-3'), 0o020000 | 0o666, makedev(1, 3));
    fs.mknod(at('special/block-7-200'), 0o060000 | 0o660, makedev(7, 200));
  }

  // Owners, as root (owner first: chown clears setuid and setgid).
  await file('owned', 'owners/file');
  if (isRoot) {
    await chown(at('owners/file'), 1234, 5678);
    await chown(at('owners/dir'), 2345, 6789);
    await symlink('file', at('owners/link'));
    await lchown(at('owners/link'), 3456, 7890);
    await chown(at('special/fifo'), 4567, 8901);
  }

  // Extended attributes: user.* (binary and empty values too); trusted.* and security.* as root.
  await file('attributed', 'xattrs/file');
  fs.setXattr(at('xattrs/file'), Buffer.from('user.plain'), Buffer.from('value'));
  fs.setXattr(at('xattrs/file'), Buffer.from('user.binary'), Buffer.from([0, 1, 2, 0xff, 0]));
  fs.setXattr(at('xattrs/file'), Buffer.from('user.empty'), Buffer.alloc(0));
  fs.setXattr(at('xattrs/dir'), Buffer.from('user.folder'), Buffer.from('on a folder'));
  if (isRoot) {
    fs.setXattr(at('xattrs/file'), Buffer.from('trusted.smig'), Buffer.from('trusted value'));
    fs.setXattr(at('xattrs/file'), Buffer.from('security.smig'), Buffer.from('security value'));
    await symlink('file', at('xattrs/link'));
    fs.setXattr(at('xattrs/link'), Buffer.from('trusted.on-link'), Buffer.from('a link may carry trusted.*'));
  }

  // POSIX ACLs: an access ACL on a file; a default ACL on a folder, a file inheriting it, and one whose inherited ACL was removed.
  await file('acl', 'acl/file');
  execFileSync('setfacl', ['-m', 'u:1234:rw,g:5678:r', bytesPath(root, 'acl/file').toString()]);
  execFileSync('setfacl', ['-m', 'u:1234:rx', '-d', '-m', 'u:1234:rwx,g:5678:rx', bytesPath(root, 'acl/dir').toString()]);
  await file('inherits', 'acl/dir/inherited');
  await file('inherited, then removed', 'acl/dir/stripped');
  execFileSync('setfacl', ['-b', bytesPath(root, 'acl/dir/stripped').toString()]);

  // Modes: setuid, setgid, sticky, none at all, a folder its owner cannot write.
  await file('#!/bin/sh\n', 'modes/setuid');
  await chmod(at('modes/setuid'), 0o4755);
  await file('g', 'modes/setgid');
  await chmod(at('modes/setgid'), 0o2711);
  await file('nothing', 'modes/none');
  await chmod(at('modes/none'), 0o000);
  await file('inside a folder without write permission', 'modes/locked/file');
  await chmod(at('modes/sticky'), 0o1777);
  await chmod(at('modes/setgid-dir'), 0o2775);
  await chmod(at('modes/locked'), 0o555);

  await setEveryTime(fs, Buffer.from(root));
}

/**
 * Gives every entry distinct times with all nine nanosecond digits, folders after their content.
 * mtimes are in 2020; atimes are recent and later than both mtime and (once set) ctime is not, so
 * reading with O_NOATIME leaves them, and comparing them is meaningful.
 */
export async function setEveryTime(fs: NativeFs, root: Buffer): Promise<void> {
  const entries: Buffer[] = [];
  const walk = async (dir: Buffer): Promise<void> => {
    for (const name of await readdir(dir, { encoding: 'buffer' })) {
      const path = bytesPath(dir, name);
      if ((await lstat(path)).isDirectory()) await walk(path);
      entries.push(path);
    }
  };
  await walk(root);
  entries.push(root); // children first, so setting a child's times does not move its folder's
  const recent = BigInt(Date.now() - 3_600_000) * 1_000_000n;
  entries.forEach((path, i) => {
    const n = BigInt(i);
    fs.utimens(path, recent + n * 1_000_003n + 123_456_789n, 1_600_000_000_000_000_000n + n * 86_400_000_000_017n + 987_654_321n, true);
  });
}

/** glibc's makedev for the st_rdev encoding. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}
