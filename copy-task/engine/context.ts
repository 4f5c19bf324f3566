import type { BandwidthLimiter } from './bandwidth.ts';
import type { LeftOutMetadata } from './left-out-metadata.ts';
import type { Platform } from './platform.ts';
import type { CopyHooks, VerifyFrom } from './types.ts';

/** What the I/O steps share within one run. */
export interface IoContext {
  readonly sourceRoot: Buffer;
  readonly destinationRoot: Buffer;
  /** Running as root: owners are set, and failing to set them is an error. */
  readonly isRoot: boolean;
  readonly signal?: AbortSignal;
  /** Paces reads from the source. */
  readonly limiter?: BandwidthLimiter;
  /** CopyOptions.sourceModes: the mode the destination must get, from what the source shows. */
  readonly sourceModes?: (rel: Buffer, statMode: number) => number;
  /** Native calls, or their fallbacks. */
  readonly platform: Platform;
  /** Read back and compare what is written (CopyOptions.verify). */
  readonly verify: boolean;
  /** Where copies are read back from (CopyOptions.verifyFrom). */
  readonly verifyFrom: VerifyFrom;
  /** How finely the destination keeps times (see time-granularity.ts). */
  readonly timeGranularityNs: bigint;
  readonly hooks?: CopyHooks;
  /**
   * Shared with the addon's copies: two int64s, bytes done (the addon adds to it; the run turns it
   * into progress) and a stop flag (set when the signal aborts; copies stop between chunks).
   */
  readonly control?: Buffer;
  /** fsync each file before its rename: when the run cannot write back the whole file system at its end (no addon). */
  readonly syncEachFile?: boolean;
  /**
   * The kinds of attributes the run leaves out (the destination refuses them, and metadata need not be
   * preserved), and where the entries written without them are counted. @default nothing is left out
   */
  readonly leftOut?: LeftOutMetadata;
}

/**
 * How the source entry looked while it was copied, compared with the scan: `same`; `updated` (it
 * changed before the copy began, and the newer version was copied whole); `changed` (it kept
 * changing while being copied, attempt after attempt: nothing was put in place, so the next pass
 * copies it); `vanished` (it is gone, nothing was written).
 */
export type SourceState = 'same' | 'updated' | 'changed' | 'vanished';

export const CHUNK_SIZE = 1024 * 1024;
