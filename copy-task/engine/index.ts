export { copyTree } from './copy-tree.ts';
export { CopyAbortedError, CopyFailedError } from './errors.ts';
export type { CopyFailure, CopyHooks, CopyMode, CopyOptions, CopyPhase, CopySummary, ReadBack, Verification, VerifyFrom, WriteBack } from './types.ts';
export { nativeStatus, NATIVE_LIMITATIONS, type NativeStatus } from '../native/index.ts';
