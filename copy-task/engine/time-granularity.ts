import { lstat, open, unlink } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { Platform } from './platform.ts';
import { resolveUnder, tempSibling, uniqueSuffix } from './paths.ts';

/** A time whose every digit shows: what survives of it tells what the destination keeps. */
const PROBE_NS = 1_600_000_000_123_456_789n;
const CANDIDATES = [1n, 10n, 100n, 1_000n, 10_000n, 100_000n, 1_000_000n, 10_000_000n, 100_000_000n, 1_000_000_000n, 2_000_000_000n];

/**
 * How finely times set on the destination are kept, in nanoseconds: 1 on ext4 or XFS with the
 * native addon, 1000 through Node's utimes, coarser on some file systems. Found by setting a time on
 * a temp file in the destination root and reading it back; incremental passes compare times at this
 * granularity, so a file system that keeps less does not make every file look changed.
 */
export async function probeTimeGranularity(platform: Platform, destinationRoot: Buffer): Promise<bigint> {
  const probe = tempSibling(resolveUnder(destinationRoot, Buffer.from('probe')), uniqueSuffix());
  let handle;
  try {
    handle = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch {
    // A root the run cannot write yet (its owner's mode 0555, opened up later): assume the best the platform sets.
    return platform.timeGranularityNs;
  }
  try {
    await handle.close();
    await platform.setTimes(probe, PROBE_NS, PROBE_NS, false);
    const kept = (await lstat(probe, { bigint: true })).mtimeNs;
    return CANDIDATES.find((g) => kept === PROBE_NS - (PROBE_NS % g)) ?? 2_000_000_000n;
  } finally {
    await unlink(probe).catch(() => undefined);
  }
}
