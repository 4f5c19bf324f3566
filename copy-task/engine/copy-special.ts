import { lstat, rename, unlink } from './long-paths.ts';
import type { IoContext, SourceState } from './context.ts';
import { VerificationError } from './errors.ts';
import { applyAttributes, verifyAttributes, type Attributes } from './metadata.ts';
import { resolveUnder, tempSibling, uniqueSuffix } from './paths.ts';
import { codeOf } from './scan.ts';
import type { TreeEntry } from './types.ts';
import { leaveOutXattrs, withAclMode } from './xattrs.ts';

const S_IFMT = 0o170000n;

/**
 * Recreates a FIFO, socket or device node (mknod, through the native addon; a device node needs root) under a
 * temp name, gives it the source's owner, attributes, mode and times, then renames it into place.
 * Nothing is read from or written to it.
 */
export async function copySpecial(context: IoContext, entry: TreeEntry): Promise<SourceState> {
  const source = resolveUnder(context.sourceRoot, entry.rel);
  let stats;
  let xattrs;
  let left = 0;
  try {
    stats = await lstat(source, { bigint: true });
    ({ kept: xattrs, left } = leaveOutXattrs(context.platform.readXattrs(source), context.leftOut?.kinds ?? 0));
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return 'vanished';
    throw error;
  }
  const format = Number(stats.mode & S_IFMT);
  if (format !== entry.format) return 'changed';
  const statMode = Number(stats.mode & 0o7777n);
  const mode = context.sourceModes ? context.sourceModes(entry.rel, statMode) : statMode;
  const wanted: Attributes = {
    mode, uid: Number(stats.uid), gid: Number(stats.gid), atimeNs: stats.atimeNs, mtimeNs: stats.mtimeNs,
    ...(xattrs ? { xattrs: mode === statMode ? xattrs : withAclMode(xattrs, mode) } : {}),
  };
  const destination = resolveUnder(context.destinationRoot, entry.rel);
  const temp = tempSibling(destination, uniqueSuffix());
  context.platform.mknod(temp, format, 0o600, stats.rdev);
  try {
    left |= await applyAttributes(context, temp, wanted);
    await verifyAttributes(context, temp, wanted, 'special');
    if (context.verify) {
      const made = await lstat(temp, { bigint: true });
      if ((made.mode & S_IFMT) !== (stats.mode & S_IFMT) || made.rdev !== stats.rdev) throw new VerificationError(`${entry.typeName} mismatch after copy: type or device number differs`);
    }
    await rename(temp, destination);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  context.leftOut?.note(entry.rel, left);
  return stats.rdev === entry.rdev ? 'same' : 'updated';
}
