import { randomBytes } from 'node:crypto';
import { chmod, lstat, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export function isErrno(err: unknown, ...codes: readonly string[]): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && codes.includes((err as NodeJS.ErrnoException).code!);
}

export async function exists(target: string): Promise<boolean> {
  try {
    await lstat(target);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/** The parsed JSON content of `file`, or undefined if there is no such file. */
export async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  return JSON.parse(text) as unknown;
}

/** Writes `value` as JSON so that readers see either the old file or the whole new one: temp file, fsync, rename. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Removes a tree, even one whose folders lost their write bits (a read-only share): root ignores mode bits,
 * anyone else needs write permission on a folder to unlink its entries, so on EACCES/EPERM the folders get
 * u+rwx and the removal runs again.
 */
export async function removeTree(target: string): Promise<void> {
  try {
    await rm(target, { recursive: true, force: true });
  } catch (err) {
    if (!isErrno(err, 'EACCES', 'EPERM')) throw err;
    await openUpFolders(target);
    await rm(target, { recursive: true, force: true });
  }
}

async function openUpFolders(folder: string): Promise<void> {
  const stats = await lstat(folder).catch(() => null);
  if (!stats?.isDirectory()) return;
  await chmod(folder, (stats.mode & 0o7777) | 0o700);
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) await openUpFolders(path.join(folder, entry.name));
  }
}
