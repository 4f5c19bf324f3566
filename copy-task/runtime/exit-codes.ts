import { CopyExitCode } from '../../lambdas/core/workflow.ts';
import { CopyAbortedError } from '../engine/index.ts';

export type ExitCode = (typeof CopyExitCode)[keyof typeof CopyExitCode];

/** The job could not even start: bad arguments or environment. */
export class CopyUsageError extends Error {
  override readonly name: string = 'CopyUsageError';
}

/** Exit code for how a run ended: usage 2, cancelled 143, anything else 1. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CopyUsageError || error instanceof RangeError) return CopyExitCode.USAGE;
  if (error instanceof CopyAbortedError) return CopyExitCode.CANCELLED;
  return CopyExitCode.FAILED;
}
