import type { CopyPass } from '../../lambdas/core/model.ts';
import type { CopyProgress } from '../../lambdas/core/progress.ts';
import { assertPartitionPath, comparePartitionPaths, isPartial, type PartitionRange } from './partition-range.ts';
import type { PassRecordStore } from './pass-record-store.ts';
import { SourceModes } from './source-modes.ts';
import type { CopyHooks, CopyMode, CopyOptions, VerifyFrom, WriteBack } from './types.ts';

export const MAX_CONCURRENCY = 1024;

/** CopyOptions with every default applied. */
export interface CopySettings {
  readonly mode: CopyMode;
  readonly verify: boolean;
  readonly verifyFrom: VerifyFrom;
  readonly checksum: boolean;
  readonly concurrency: number;
  readonly pass: CopyPass;
  readonly stableSource: boolean;
  readonly bytesPerSecond: number | undefined;
  readonly writeBack: WriteBack;
  readonly stateFolder: string | undefined;
  readonly passRecords: PassRecordStore | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: (progress: CopyProgress) => void;
  readonly progressIntervalMs: number;
  readonly hooks: CopyHooks | undefined;
  readonly sourceModes: SourceModes | undefined;
  readonly preserveMetadata: boolean;
  /** CopyOptions.partition when it bounds anything; undefined: the whole tree. */
  readonly partition: PartitionRange | undefined;
}

export function resolveSettings(options: CopyOptions): CopySettings {
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new RangeError(`concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, got ${concurrency}`);
  }
  if (options.bytesPerSecond !== undefined && !(options.bytesPerSecond > 0)) {
    throw new RangeError(`bytesPerSecond must be positive, got ${options.bytesPerSecond}`);
  }
  const pass = options.pass ?? 'bulk';
  if (options.writeBack !== undefined && options.writeBack !== 'pass' && options.writeBack !== 'deferred') {
    throw new RangeError(`writeBack must be 'pass' or 'deferred', got ${String(options.writeBack)}`);
  }
  if (options.verifyFrom !== undefined && options.verifyFrom !== 'storage' && options.verifyFrom !== 'cache') {
    throw new RangeError(`verifyFrom must be 'storage' or 'cache', got ${String(options.verifyFrom)}`);
  }
  return {
    mode: options.mode ?? 'mirror',
    verify: options.verify ?? true,
    // The final pass is what the share is switched over to: its copies are checked against storage.
    verifyFrom: options.verifyFrom ?? (pass === 'final' ? 'storage' : 'cache'),
    checksum: options.checksum ?? false,
    concurrency,
    pass,
    stableSource: options.stableSource ?? pass === 'final',
    bytesPerSecond: options.bytesPerSecond,
    writeBack: options.writeBack ?? (pass === 'final' ? 'pass' : 'deferred'),
    stateFolder: options.stateFolder,
    passRecords: options.passRecords,
    signal: options.signal,
    onProgress: options.onProgress ?? (() => undefined),
    progressIntervalMs: options.progressIntervalMs ?? 500,
    hooks: options.hooks,
    sourceModes: options.sourceModes && options.sourceModes.size > 0 ? new SourceModes(options.sourceModes) : undefined,
    preserveMetadata: options.preserveMetadata ?? true,
    partition: partitionOf(options.partition),
  };
}

/** A partial range, checked (valid paths, from before to); a range with neither end is the whole tree. */
function partitionOf(range: PartitionRange | undefined): PartitionRange | undefined {
  if (!isPartial(range)) return undefined;
  if (range.from !== undefined) assertPartitionPath(range.from, 'partition.from');
  if (range.to !== undefined) assertPartitionPath(range.to, 'partition.to');
  if (range.from !== undefined && range.to !== undefined && comparePartitionPaths(range.from, range.to) >= 0) {
    throw new RangeError('partition.from must come before partition.to in the partition order');
  }
  // An empty `from` is the root, the first path of all: the same as none.
  if (range.from !== undefined && range.from.length === 0) return range.to === undefined ? undefined : { to: range.to };
  return range;
}
