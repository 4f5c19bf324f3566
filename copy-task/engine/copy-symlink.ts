import { lstat, readlink, rename, symlink, unlink } from './long-paths.ts';
import type { IoContext, SourceState } from './context.ts';
import { VerificationError } from './errors.ts';
import { applyAttributes, verifyAttributes, type Attributes } from './metadata.ts';
import { resolveUnder, tempSibling, uniqueSuffix } from './paths.ts';
import { codeOf } from './scan.ts';
import type { TreeEntry } from './types.ts';
import { leaveOutXattrs } from './xattrs.ts';

/**
 * Copies a symbolic link as a link with the same target bytes (never followed, dangling or not):
 * created under a temp name, given owner, attributes and times, then renamed over the final name.
 */
export async function copySymlink(context: IoContext, entry: TreeEntry): Promise<SourceState> {
  const source = resolveUnder(context.sourceRoot, entry.rel);
  let target: Buffer;
  let wanted: Attributes;
  let left: number;
  try {
    const stats = await lstat(source, { bigint: true });
    if (!stats.isSymbolicLink()) return 'changed';
    target = await readlink(source);
    let xattrs;
    ({ kept: xattrs, left } = leaveOutXattrs(context.platform.readXattrs(source), context.leftOut?.kinds ?? 0));
    wanted = { mode: 0, uid: Number(stats.uid), gid: Number(stats.gid), atimeNs: stats.atimeNs, mtimeNs: stats.mtimeNs, ...(xattrs ? { xattrs } : {}) };
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return 'vanished';
    if (codeOf(error) === 'EINVAL') return 'changed';
    throw error;
  }
  const destination = resolveUnder(context.destinationRoot, entry.rel);
  const temp = tempSibling(destination, uniqueSuffix());
  await symlink(target, temp);
  try {
    if (context.verify) {
      // Before the times are set: reading a link may move its atime.
      const written = await readlink(temp);
      if (!written.equals(target)) throw new VerificationError(`link target mismatch after copy: ${JSON.stringify(written.toString())} instead of ${JSON.stringify(target.toString())}`);
    }
    left |= await applyAttributes(context, temp, wanted, true);
    await verifyAttributes(context, temp, wanted, 'symlink');
    await rename(temp, destination);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  context.leftOut?.note(entry.rel, left);
  return entry.target?.equals(target) ? 'same' : 'updated';
}
