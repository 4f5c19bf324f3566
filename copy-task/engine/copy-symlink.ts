import { lchown, lstat, lutimes, readlink, rename, symlink, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { IoContext, SourceState } from './context.ts';
import { setOwner } from './metadata.ts';
import { resolveUnder, tempSibling } from './paths.ts';
import { codeOf } from './scan.ts';
import { toUtimesSeconds } from './times.ts';
import type { TreeEntry } from './types.ts';

/**
 * Copies a symbolic link as a link with the same target bytes (never followed, dangling or not):
 * created under a temp name, given owner and times, then renamed over the final name.
 */
export async function copySymlink(context: IoContext, entry: TreeEntry): Promise<SourceState> {
  const source = resolveUnder(context.sourceRoot, entry.rel);
  let target: Buffer;
  let stats;
  try {
    stats = await lstat(source, { bigint: true });
    if (!stats.isSymbolicLink()) return 'changed';
    target = await readlink(source, { encoding: 'buffer' });
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return 'vanished';
    if (codeOf(error) === 'EINVAL') return 'changed';
    throw error;
  }
  const destination = resolveUnder(context.destinationRoot, entry.rel);
  const temp = tempSibling(destination, randomBytes(6).toString('hex'));
  await symlink(target, temp);
  try {
    await setOwner(() => lchown(temp, Number(stats.uid), Number(stats.gid)), context.isRoot);
    await lutimes(temp, toUtimesSeconds(stats.atimeNs), toUtimesSeconds(stats.mtimeNs));
    await rename(temp, destination);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return entry.target?.equals(target) ? 'same' : 'updated';
}
