import { lstat, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';

/** A fresh folder under the OS temp dir, removed after the test. */
export function useTempDirs(): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smig-copy-test-'));
    made.push(dir);
    return dir;
  };
}

/** Writes files (string content) and folders (key ending in '/') under `root`. */
export async function writeTree(root: string, spec: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, content] of Object.entries(spec)) {
    if (path.endsWith('/')) {
      await mkdir(join(root, path), { recursive: true });
    } else {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
  }
}

/** Every path under `root` (files, folders, links), sorted, '/'-separated. */
export async function listTree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true });
  return entries.map((entry) => entry.split('\\').join('/')).sort();
}

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

/** mtime in microseconds (what the engine preserves). */
export async function mtimeMicros(path: string): Promise<bigint> {
  return (await lstat(path, { bigint: true })).mtimeNs / 1000n;
}

export async function setTimes(path: string, at: Date): Promise<void> {
  await utimes(path, at, at);
}

export async function tempFilesUnder(root: string): Promise<string[]> {
  return (await listTree(root)).filter((path) => path.split('/').some((part) => part.startsWith('.smig-tmp-')));
}

export const isRoot = process.getuid?.() === 0;
