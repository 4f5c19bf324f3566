import { open, unlink } from 'node:fs/promises';
import { constants } from 'node:fs';
import { resolveUnder, tempSibling, uniqueSuffix } from './paths.ts';

/**
 * Which entries' xattrs a pass reads again, from the last complete pass between the same roots
 * (pass-record.ts says why each bound holds).
 */
export interface PassMarks {
  /** Read the source's xattrs of entries with a ctime at or after this (ns since the epoch); undefined: all of them. */
  readonly sourceXattrsAfterNs: bigint | undefined;
  /** The same for the destination. */
  readonly destinationXattrsAfterNs: bigint;
  /** How finely the destination kept times as that pass found it (a record from before it was kept has none). */
  readonly timeGranularity: TimeGranularity | undefined;
}

/** What a pass's probe found (see time-granularity.ts), and how finely the platform it ran on sets times. */
export interface TimeGranularity {
  readonly destinationNs: bigint;
  /** A run on another platform (the addon, or Node's utimes) probes again: the probe's answer depends on both. */
  readonly platformNs: bigint;
}

/**
 * The destination's clock now, as its file system keeps it: the ctime of a probe made (and removed) in
 * its root, named as time-granularity.ts names its probes (a temp name with the run's token, so a run
 * killed in between leaves a leftover the next one knows). On NFS the server sets it, whatever this
 * machine's clock says. undefined when the root cannot be written.
 */
export async function destinationNow(destinationRoot: Buffer): Promise<bigint | undefined> {
  const probe = tempSibling(resolveUnder(destinationRoot, Buffer.from('probe')), uniqueSuffix());
  let handle;
  try {
    handle = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch {
    return undefined;
  }
  try {
    return (await handle.stat({ bigint: true })).ctimeNs;
  } catch {
    return undefined;
  } finally {
    await handle.close().catch(() => undefined);
    await unlink(probe).catch(() => undefined);
  }
}
