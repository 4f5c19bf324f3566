import { statfs } from 'node:fs/promises';
import { availableParallelism } from 'node:os';

/** File systems whose ctimes this machine's clock sets and whose calls do not wait on a server (statfs f_type). */
const LOCAL_FILE_SYSTEMS = new Set([
  0xef53, // ext2, ext3, ext4
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x01021994, // tmpfs
  0x2fc12fc1, // zfs
  0xf2f52010, // f2fs
  0x794c7630, // overlayfs
]);

/** Threads for trees on network file systems (NFS, EFS): each call waits on the server, so more of them overlap. */
const NETWORK_CONCURRENCY = 8;

/** The folder is on a local file system (false when it cannot be told). */
export async function isLocal(path: Buffer): Promise<boolean> {
  try {
    return LOCAL_FILE_SYSTEMS.has((await statfs(path)).type);
  } catch {
    return false;
  }
}

/**
 * How many threads a copy between these roots should use when not told: as many as the cores where
 * both are local (a walk and a copy there are bound by the CPU, and more threads only contend), and
 * NETWORK_CONCURRENCY where either is not.
 */
export async function defaultConcurrency(roots: { readonly sourceRoot: Buffer; readonly destinationRoot: Buffer }): Promise<number> {
  const [source, destination] = await Promise.all([isLocal(roots.sourceRoot), isLocal(roots.destinationRoot)]);
  return source && destination ? Math.max(2, availableParallelism()) : NETWORK_CONCURRENCY;
}
