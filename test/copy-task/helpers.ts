import { execFileSync } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import type { CopyOptions } from '../../copy-task/engine/index.ts';

/** A fresh folder under `base` (the OS temp dir by default), removed after the test. */
export function useTempDirs(base: string = tmpdir()): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    // rm -rf where Node's rm gives up: trees deeper than PATH_MAX (GNU rm works from each folder's descriptor).
    const remove = (dir: string) => rm(dir, { recursive: true, force: true }).catch(() => void execFileSync('rm', ['-rf', dir]));
    await Promise.all(made.splice(0).map(remove));
  });
  return async () => {
    const dir = await mkdtemp(join(base, 'smig-copy-test-'));
    made.push(dir);
    return dir;
  };
}

/**
 * Where O_DIRECT works (/var/tmp: a disk's file system, where /tmp may be a tmpfs, which refuses it
 * before Linux 6.6): fails saying so when `dir` is not such a folder.
 */
export async function requireDirectIo(dir: string): Promise<void> {
  const probe = join(dir, '.direct-io-probe');
  try {
    await (await open(probe, constants.O_CREAT | constants.O_RDWR | constants.O_DIRECT, 0o600)).close();
  } catch (error) {
    throw new Error(`these tests need a folder whose file system allows O_DIRECT, and ${dir} does not: ${String(error)}`);
  } finally {
    await rm(probe, { force: true });
  }
}

/** Bytes this process has had fetched from storage (block devices) so far: /proc/self/io's read_bytes. */
export function bytesReadFromStorage(): number {
  const match = /^read_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  if (!match) throw new Error('/proc/self/io has no read_bytes: the kernel keeps no I/O accounting');
  return Number(match[1]);
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

/**
 * The two ways the engine walks the trees, for tests that run a case through both: in C (the addon's
 * walk, the default when it is loaded), and in JavaScript (a hook that must see each file forces it).
 */
export const WALKS: readonly (readonly [walk: string, options: CopyOptions])[] = [
  ['the native walk', {}],
  ['the portable walk', { hooks: { afterCopy: () => undefined } }],
];
