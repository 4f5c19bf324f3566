export { copyTree } from './copy-tree.ts';
export { CopyAbortedError, CopyFailedError } from './errors.ts';
export { describeLeftOut } from './left-out-metadata.ts';
export { MemoryRecordStore, StateFolderRecordStore, type PassRecordStore } from './pass-record-store.ts';
export type {
  CopyFailure, CopyHooks, CopyMode, CopyOptions, CopyPhase, CopySummary, LeftOutEntries, MetadataLeftOut, ReadBack, Verification, VerifyFrom, WriteBack,
} from './types.ts';
export { nativeStatus, NATIVE_LIMITATIONS, type NativeStatus } from '../native/index.ts';
