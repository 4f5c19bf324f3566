import type { BandwidthLimiter } from './bandwidth.ts';

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
}

/**
 * How the source entry looked while it was copied, compared with the scan: `same`; `updated` (it
 * changed before the copy began, and the newer version was copied whole); `changed` (it changed
 * during the copy, the copy may mix versions, and it keeps the older mtime so the next pass copies it
 * again); `vanished` (it is gone, nothing was written).
 */
export type SourceState = 'same' | 'updated' | 'changed' | 'vanished';

export const CHUNK_SIZE = 1024 * 1024;
