import { lstat, mkdir, readFile, readdir, readlink, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';

/** Everything about a tree a migration must keep: kind, mode, mtime, content hash, link target. */
export interface TreeEntry {
  readonly kind: 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: number;
  readonly mtimeMs: number;
  readonly size: number;
  readonly sha256?: string;
  readonly target?: string;
}

export async function describeTree(root: string): Promise<Record<string, TreeEntry>> {
  const out: Record<string, TreeEntry> = {};
  async function walk(rel: string): Promise<void> {
    const full = path.join(root, rel);
    const st = await lstat(full);
    const base = { mode: st.mode & 0o7777, mtimeMs: Math.floor(st.mtimeMs), size: st.isDirectory() ? 0 : st.size };
    if (st.isSymbolicLink()) out[rel] = { ...base, kind: 'symlink', target: await readlink(full) };
    else if (st.isFile()) out[rel] = { ...base, kind: 'file', sha256: createHash('sha256').update(await readFile(full)).digest('hex') };
    else if (st.isDirectory()) {
      out[rel] = { ...base, kind: 'dir' };
      for (const name of (await readdir(full)).sort()) await walk(rel ? path.join(rel, name) : name);
    } else out[rel] = { ...base, kind: 'other' };
  }
  await walk('');
  delete out[''];
  return out;
}

/** A small tree with what a share holds: nested folders, empty ones, odd modes, symlinks, a larger file. */
export async function fillSampleTree(root: string, files = 40): Promise<void> {
  await mkdir(path.join(root, 'docs/deep/er'), { recursive: true });
  await mkdir(path.join(root, 'empty'), { recursive: true });
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, i % 2 === 0 ? 'docs' : 'docs/deep');
    await writeFile(path.join(dir, `file-${i}.txt`), `content ${i}\n`.repeat(i + 1));
  }
  await writeFile(path.join(root, 'docs/deep/er/big.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
  await writeFile(path.join(root, 'empty-file'), '');
  await writeFile(path.join(root, 'script.sh'), '#!/bin/sh\necho hi\n');
  await chmod(path.join(root, 'script.sh'), 0o750);
  await writeFile(path.join(root, 'secret'), 'x');
  await chmod(path.join(root, 'secret'), 0o600);
  await symlink('docs/file-0.txt', path.join(root, 'link-relative'));
  await symlink('/nonexistent/target', path.join(root, 'link-dangling'));
  await utimes(path.join(root, 'docs/file-0.txt'), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
}
