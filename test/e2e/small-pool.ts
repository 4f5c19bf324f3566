import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * How many entries the small pool holds (tmpfs nr_inodes, its own root included): enough for a
 * destination instance's folders and records, fewer than a sample tree (local/tree-digest.ts) has.
 */
export const SMALL_POOL_INODES = 24;

export interface SmallPool {
  /** The tmpfs: a backend's root. */
  readonly root: string;
  /** A plain folder beside it, for the rest of the test's backends. */
  readonly scratch: string;
  unmount(): Promise<void>;
}

/**
 * A storage pool that fills: a tmpfs (root only) with 2 GiB of room, so a 1 GiB share passes the
 * scheduler's capacity check, but only SMALL_POOL_INODES inodes, so writing a tree into it fails with
 * ENOSPC, as a full file system does. No memory is taken until something is written.
 */
export async function mountSmallPool(): Promise<SmallPool> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'smig-e2e-small-pool-'));
  const root = path.join(scratch, 'small');
  await mkdir(root);
  await run('mount', ['-t', 'tmpfs', '-o', `size=2g,nr_inodes=${SMALL_POOL_INODES},mode=0755`, 'smig-small-pool', root]);
  return {
    root,
    scratch,
    unmount: async () => {
      await run('umount', [root]);
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
