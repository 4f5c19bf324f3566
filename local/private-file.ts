import { open, writeFile } from 'node:fs/promises';

/** What to say when a private file is not private: each caller names its file and what to do. */
export interface PrivateFileRefusals {
  /** Group or others may read it (`mode`: its permission bits). */
  loose(mode: string): Error;
  /** Another user owns it (and could replace what it holds). */
  foreign(owner: number, us: number): Error;
}

/**
 * A file only this user may read (the admin token, the identity configuration and signing key): its
 * content, or undefined when there is none. A file group or others can read, or that another user owns,
 * is refused rather than quietly tightened (as ssh refuses a loose key): only the operator can say
 * whether what it holds may be known. Checked on the open file, not the path, so the file judged is the
 * file read.
 */
export async function readPrivateFile(file: string, refusals: PrivateFileRefusals): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const stats = await handle.stat();
    const mode = stats.mode & 0o777;
    if ((mode & 0o077) !== 0) throw refusals.loose(mode.toString(8).padStart(4, '0'));
    const uid = process.getuid?.();
    if (uid !== undefined && stats.uid !== uid) throw refusals.foreign(stats.uid, uid);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Creates the file with mode 0600 from the start ('wx': never over an existing file). */
export async function createPrivateFile(file: string, content: string | Buffer): Promise<void> {
  await writeFile(file, content, { mode: 0o600, flag: 'wx' });
}
