import { link, lstat, rename, unlink } from './long-paths.ts';
import type { IoContext, SourceState } from './context.ts';
import { VerificationError } from './errors.ts';
import type { HardLink } from './plan.ts';
import { display, resolveUnder, tempSibling, uniqueSuffix } from './paths.ts';
import { codeOf, linkKeyOf } from './scan.ts';

/**
 * Gives a further name of a source file the same file on the destination: a hard link to the
 * leader's copy, made under a temp name and renamed over the final name (so the name never goes
 * missing). The source is looked at first: a name that is no longer that file is left for the next
 * pass (`changed`).
 */
export async function linkFile(context: IoContext, hardLink: HardLink): Promise<SourceState> {
  const { entry, leader } = hardLink;
  try {
    const stats = await lstat(resolveUnder(context.sourceRoot, entry.rel), { bigint: true });
    if (!stats.isFile() || linkKeyOf(stats) !== entry.linkKey) return 'changed';
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return 'vanished';
    throw error;
  }
  const existing = resolveUnder(context.destinationRoot, leader.rel);
  const destination = resolveUnder(context.destinationRoot, entry.rel);
  const temp = tempSibling(destination, uniqueSuffix());
  try {
    await link(existing, temp);
  } catch (error) {
    // The leader's copy missing, or no longer a file (EPERM: a folder): its source changed or vanished
    // under this pass, which left it to the next pass; so is this name (a stable source fails on 'changed').
    if (await leaderMoved(error, existing)) return 'changed';
    throw error;
  }
  try {
    await rename(temp, destination);
  } finally {
    // rename() does nothing when both names are already the same file, leaving the temp name.
    await unlink(temp).catch(() => undefined);
  }
  if (context.verify) {
    const [made, target] = await Promise.all([lstat(destination, { bigint: true }), lstat(existing, { bigint: true })]);
    if (made.ino !== target.ino || made.dev !== target.dev) throw new VerificationError(`hard link mismatch after copy: not the same file as ${display(leader.rel)}`);
  }
  return 'same';
}

/** Whether link() failed for `error` because the leader's copy at `existing` is gone or is not a regular file. */
async function leaderMoved(error: unknown, existing: Buffer): Promise<boolean> {
  const code = codeOf(error);
  if (code !== 'ENOENT' && code !== 'EPERM') return false;
  const stats = await lstat(existing).catch(() => undefined);
  return stats === undefined || !stats.isFile();
}
