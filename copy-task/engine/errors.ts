import { describeRefusedMetadata } from './refused-metadata.ts';
import type { CopyFailure, CopySummary } from './types.ts';

const LISTED = 10;

/** Some paths could not be copied; `failures` lists every one. */
export class CopyFailedError extends Error {
  override readonly name = 'CopyFailedError';
  readonly failures: readonly CopyFailure[];
  /** What the run did before it gave up, when it got that far. */
  readonly summary?: CopySummary;

  constructor(failures: readonly CopyFailure[], summary?: CopySummary, options?: { cause?: unknown }) {
    super(describe(failures), options);
    this.failures = failures;
    this.summary = summary;
  }
}

/** The run was stopped through its AbortSignal. Nothing is left half-written under a final name. */
export class CopyAbortedError extends Error {
  override readonly name = 'CopyAbortedError';

  constructor(reason: unknown) {
    super(`copy aborted: ${reasonText(reason)}`, { cause: reason });
  }
}

/** A copy read back did not match its source (content, metadata, link target, device, hard link). */
export class VerificationError extends Error {
  override readonly name = 'VerificationError';
}

export function isAbort(signal: AbortSignal | undefined, error?: unknown): boolean {
  return error instanceof CopyAbortedError || (signal?.aborted ?? false);
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CopyAbortedError(signal.reason);
}

function describe(failures: readonly CopyFailure[]): string {
  const listed = failures.slice(0, LISTED).map((f) => `${f.path}: ${f.reason}`);
  const more = failures.length > LISTED ? `; and ${failures.length - LISTED} more` : '';
  // Said first: it is why, where the paths' own reasons only say which calls failed.
  const refused = describeRefusedMetadata(failures);
  return `copy failed for ${failures.length} path(s): ${refused === undefined ? '' : `${refused}. `}${listed.join('; ')}${more}`;
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return typeof reason === 'string' ? reason : 'aborted';
}
