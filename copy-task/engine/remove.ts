import { chmod, lstat, readdir, rmdir, unlink } from './long-paths.ts';
import { throwIfAborted } from './errors.ts';
import { codeOf } from './scan.ts';

const SLASH = Buffer.from('/');

/**
 * Removes a destination entry and, for a folder, everything in it; links are removed, never
 * followed. Returns how many entries were removed. An entry already gone counts as removed by
 * someone else (0).
 */
export async function removeTree(abs: Buffer, options: { readonly isRoot: boolean; readonly signal?: AbortSignal }): Promise<number> {
  throwIfAborted(options.signal);
  let stats;
  try {
    stats = await lstat(abs);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return 0;
    throw error;
  }
  if (!stats.isDirectory()) {
    await unlink(abs);
    return 1;
  }
  // Without root, a folder we own but cannot write (mode 0555) must be opened up before emptying it.
  if (!options.isRoot && (stats.mode & 0o700) !== 0o700) await chmod(abs, (stats.mode & 0o7777) | 0o700);
  let removed = 0;
  for (const name of await readdir(abs)) {
    removed += await removeTree(Buffer.concat([abs, SLASH, name]), options);
  }
  await rmdir(abs);
  return removed + 1;
}
