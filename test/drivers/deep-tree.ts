import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir } from '../../copy-task/engine/long-paths.ts';

/**
 * A tree deeper than PATH_MAX, as issue 16 met it: 22 nested folders with 200-byte names (about 4,400
 * bytes below the root), files with data at the bottom. Node's fs takes only whole paths, which the kernel
 * refuses past 4,096 bytes, so these helpers reach every entry through the copy engine's long-paths.ts.
 */
export const DEEP_LEVELS = 22;
export const DEEP_NAME_BYTES = 200;

const SLASH = Buffer.from('/');

/** The folder names from the top down: 200 bytes each, distinct per level. */
export function deepFolderNames(levels = DEEP_LEVELS): Buffer[] {
  return Array.from({ length: levels }, (_, level) => Buffer.from(`${String(level).padStart(2, '0')}-`.padEnd(DEEP_NAME_BYTES, 'd')));
}

/** The files written at the bottom: name, content, mode (modes that a copy or a restore could get wrong). */
export const DEEP_FILES = [
  { name: 'bottom.txt', content: 'data at the bottom of a tree deeper than PATH_MAX\n', mode: 0o640 },
  { name: 'run.sh', content: '#!/bin/sh\necho deep\n', mode: 0o755 },
  { name: 'big.bin', content: 'x'.repeat(300_000), mode: 0o600 },
] as const;

/** The bottom folder's path relative to the root, '/'-separated. */
export function deepBottomRel(levels = DEEP_LEVELS): Buffer {
  return Buffer.concat(deepFolderNames(levels).flatMap((name, index) => (index === 0 ? [name] : [SLASH, name])));
}

/** Builds the deep tree under `root` (an existing folder); folders get mode 0750. Returns the bottom's absolute path. */
export async function buildDeepTree(root: string, levels = DEEP_LEVELS): Promise<Buffer> {
  let folder = Buffer.from(root);
  for (const name of deepFolderNames(levels)) {
    folder = Buffer.concat([folder, SLASH, name]);
    await mkdir(folder, 0o750);
    await chmod(folder, 0o750);
  }
  for (const file of DEEP_FILES) {
    const abs = Buffer.concat([folder, SLASH, Buffer.from(file.name)]);
    const handle = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(file.content);
    } finally {
      await handle.close();
    }
    await chmod(abs, file.mode);
  }
  return folder;
}

/** Every entry under `root` at any depth: relative path (latin1 of its bytes) to kind, mode and, for a file, content. */
export async function readDeepTree(root: string): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  const visit = async (abs: Buffer, rel: string): Promise<void> => {
    const stats = await lstat(abs);
    const mode = (stats.mode & 0o7777).toString(8);
    if (stats.isDirectory()) {
      tree[rel] = `dir ${mode}`;
      for (const name of (await readdir(abs)).sort(Buffer.compare)) {
        await visit(Buffer.concat([abs, SLASH, name]), rel === '.' ? name.toString('latin1') : `${rel}/${name.toString('latin1')}`);
      }
    } else if (stats.isFile()) {
      const handle = await open(abs, constants.O_RDONLY);
      try {
        tree[rel] = `file ${mode} ${(await handle.readFile()).toString('utf8')}`;
      } finally {
        await handle.close();
      }
    } else {
      tree[rel] = `other ${mode}`;
    }
  };
  await visit(Buffer.from(root), '.');
  return tree;
}

/** Whether `root` exists at all. */
export async function pathExists(root: string | Buffer): Promise<boolean> {
  return lstat(Buffer.from(root)).then(() => true, () => false);
}
