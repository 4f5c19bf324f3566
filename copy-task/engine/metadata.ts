import { chmod, lchown, lstat } from './long-paths.ts';
import { LEAVE_OUT_OWNERS } from '../native/index.ts';
import type { IoContext } from './context.ts';
import { VerificationError } from './errors.ts';
import { codeOf } from './scan.ts';
import { sameTime } from './times.ts';
import type { TreeEntry } from './types.ts';
import { leaveOutXattrs, writeXattrs, xattrDifference } from './xattrs.ts';

/** What a destination entry is given: the source's mode, owner, times and extended attributes. */
export type Attributes = Pick<TreeEntry, 'mode' | 'uid' | 'gid' | 'atimeNs' | 'mtimeNs' | 'xattrs'>;

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

/** Whether owners are compared: as root (otherwise only root may give files away), unless the run leaves them out. */
export function comparesOwners(context: Pick<IoContext, 'isRoot' | 'leftOut'>): boolean {
  return context.isRoot && (context.leftOut?.keepsOwners ?? true);
}

/**
 * Gives a destination entry the source's attributes, never following a link. The order matters:
 * owner first (changing it clears setuid/setgid and security.capability), then extended attributes
 * (setting an ACL rewrites the mode's group bits), then the mode (so it is exactly the source's), and
 * the times last (nothing after them may touch the entry). Where the run leaves owners out, the entry
 * keeps the one it has: LEAVE_OUT_OWNERS is returned when that is not the source's (else 0).
 */
export async function applyAttributes(context: IoContext, abs: Buffer, wanted: Attributes, isLink = false): Promise<number> {
  const current = await lstat(abs);
  let left = 0;
  if (current.uid !== wanted.uid || current.gid !== wanted.gid) {
    if (context.leftOut?.keepsOwners === false) left = LEAVE_OUT_OWNERS;
    else await setOwner(() => lchown(abs, wanted.uid, wanted.gid), context.isRoot);
  }
  writeXattrs(context.platform, abs, wanted.xattrs, context.leftOut?.kinds);
  if (!isLink) await chmod(abs, wanted.mode);
  await context.platform.setTimes(abs, wanted.atimeNs, wanted.mtimeNs, isLink);
  return left;
}

/**
 * Reads back what applyAttributes wrote and lists what differs ([] when all is as wanted). Owners
 * count only as comparesOwners says; atimes not for folders and links (listing or reading them may move it).
 */
export async function checkAttributes(context: IoContext, abs: Buffer, wanted: Attributes, kind: 'file' | 'dir' | 'symlink' | 'special'): Promise<string[]> {
  const stats = await lstat(abs, { bigint: true });
  const problems: string[] = [];
  const mode = Number(stats.mode & 0o7777n);
  if (kind !== 'symlink' && mode !== wanted.mode) problems.push(`mode ${octal(mode)} instead of ${octal(wanted.mode)}`);
  if (comparesOwners(context) && (Number(stats.uid) !== wanted.uid || Number(stats.gid) !== wanted.gid)) {
    problems.push(`owner ${stats.uid}:${stats.gid} instead of ${wanted.uid}:${wanted.gid}`);
  }
  const granularity = context.timeGranularityNs;
  if (!sameTime(stats.mtimeNs, wanted.mtimeNs, granularity)) problems.push(`mtime ${stats.mtimeNs} ns instead of ${wanted.mtimeNs} ns`);
  if ((kind === 'file' || kind === 'special') && !sameTime(stats.atimeNs, wanted.atimeNs, granularity)) {
    problems.push(`atime ${stats.atimeNs} ns instead of ${wanted.atimeNs} ns`);
  }
  // What the run leaves out (the destination refuses it) is not compared.
  const differing = xattrDifference(wanted.xattrs, leaveOutXattrs(context.platform.readXattrs(abs), context.leftOut?.kinds ?? 0).kept);
  if (context.platform.nativeProblem === undefined && differing.length > 0) problems.push(`extended attributes differ: ${differing.join(', ')}`);
  return problems;
}

/** Fails with what differs, when verifying. */
export async function verifyAttributes(context: IoContext, abs: Buffer, wanted: Attributes, kind: 'file' | 'dir' | 'symlink' | 'special'): Promise<void> {
  if (!context.verify) return;
  const problems = await checkAttributes(context, abs, wanted, kind);
  if (problems.length > 0) throw new VerificationError(`metadata mismatch after copy: ${problems.join('; ')}`);
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
