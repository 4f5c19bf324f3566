import { chmod, lstat, readdir, rmdir, unlink } from './long-paths.ts';
import { throwIfAborted } from './errors.ts';
import { codeOf } from './scan.ts';

const SLASH = Buffer.from('/');

/**
 * Removes a destination entry and, for a folder, everything in it; links are removed, never
 * followed. Returns how many entries were removed. An entry already gone counts as removed by
 * someone else (0): ENOENT, or ENOTDIR when a folder above it is no longer one (a partition of the same
 * pass that owns that folder's path replaced it by the source's file, taking what was below with it).
 */
export async function removeTree(abs: Buffer, options: { readonly isRoot: boolean; readonly signal?: AbortSignal }): Promise<number> {
  throwIfAborted(options.signal);
  let stats;
  try {
    stats = await lstat(abs);
  } catch (error) {
    if (isGone(error)) return 0;
    throw error;
  }
  // (Partitions of one pass may remove a subtree at once, each the entries it owns: gone is gone.)
  const gone = (error: unknown) => (isGone(error) ? 0 : Promise.reject(error));
  if (!stats.isDirectory()) return unlink(abs).then(() => 1, gone);
  // Without root, a folder we own but cannot write (mode 0555) must be opened up before emptying it.
  if (!options.isRoot && (stats.mode & 0o700) !== 0o700) await chmod(abs, (stats.mode & 0o7777) | 0o700).catch(gone);
  let removed = 0;
  for (const name of await readdir(abs).catch((error: unknown) => (isGone(error) ? [] : Promise.reject(error)))) {
    removed += await removeTree(Buffer.concat([abs, SLASH, name]), options);
  }
  return rmdir(abs).then(() => removed + 1, (error: unknown) => (isGone(error) ? removed : Promise.reject(error)));
}

/** The entry is not there: ENOENT, or ENOTDIR (a folder on its path is no longer a folder). */
function isGone(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
