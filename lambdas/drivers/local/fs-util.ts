import { randomBytes } from 'node:crypto';
import { lstat, open, readFile, rename, rm } from 'node:fs/promises';
import * as deep from '../../../copy-task/engine/long-paths.ts';

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
 * Removes a tree of any depth, even one whose folders lost their write bits (a read-only share). A share's
 * tree may be deeper than PATH_MAX (22 folders of 200-byte names), where `rm` fails ENAMETOOLONG: every call
 * here goes through the copy engine's long-paths.ts, which reaches such a path a part at a time. Root
 * ignores mode bits; anyone else needs write and search permission on a folder to empty it, so a folder
 * without them gets u+rwx first. Entries already gone count as removed (another removal got there first).
 */
export async function removeTree(target: string): Promise<void> {
  await removeEntry(Buffer.from(target), process.getuid?.() === 0);
}

const SLASH = Buffer.from('/');
/** How many entries of one folder are removed at once: enough to overlap the calls, few enough to bound them. */
const AT_ONCE = 32;

async function removeEntry(abs: Buffer, asRoot: boolean): Promise<void> {
  let stats;
  try {
    stats = await deep.lstat(abs);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  try {
    if (!stats.isDirectory()) return await deep.unlink(abs);
    if (!asRoot && (stats.mode & 0o700) !== 0o700) await deep.chmod(abs, (stats.mode & 0o7777) | 0o700);
    const names = await deep.readdir(abs);
    for (let at = 0; at < names.length; at += AT_ONCE) {
      await Promise.all(names.slice(at, at + AT_ONCE).map((name) => removeEntry(Buffer.concat([abs, SLASH, name]), asRoot)));
    }
    await deep.rmdir(abs);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}
