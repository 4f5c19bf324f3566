import { chmod, lchown, lstat, lutimes } from 'node:fs/promises';
import { codeOf } from './scan.ts';
import { toUtimesSeconds } from './times.ts';
import type { TreeEntry } from './types.ts';

type Attributes = Pick<TreeEntry, 'mode' | 'uid' | 'gid' | 'atimeNs' | 'mtimeNs'>;

export function isRunningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Sets an owner. As root every failure counts; otherwise EPERM is expected (only root may give files
 * away) and ignored, for ownership only.
 */
export async function setOwner(change: () => Promise<void>, isRoot: boolean): Promise<void> {
  try {
    await change();
  } catch (error) {
    if (!isRoot && codeOf(error) === 'EPERM') return;
    throw error;
  }
}

/**
 * Gives an existing destination entry (folder or regular file, never a link) the source's owner,
 * mode and times. Owner first: changing it may clear setuid/setgid, which chmod then restores.
 */
export async function applyAttributes(abs: Buffer, wanted: Attributes, isRoot: boolean): Promise<void> {
  const current = await lstat(abs);
  if (current.uid !== wanted.uid || current.gid !== wanted.gid) {
    await setOwner(() => lchown(abs, wanted.uid, wanted.gid), isRoot);
  }
  await chmod(abs, wanted.mode);
  await lutimes(abs, toUtimesSeconds(wanted.atimeNs), toUtimesSeconds(wanted.mtimeNs));
}
