import { ShareMigrationError } from '../../core/errors.ts';

/** An EFS backend's configuration is missing, malformed or contradictory. Raised at start-up, never mid-migration. */
export class EfsConfigError extends Error {
  override readonly name = 'EfsConfigError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * EFS has not reached the state a step waits for (a file system or mount target still being created or
 * deleted, a replication that has not synced since the source went read-only) within the driver's wait
 * budget (`wait_timeout_seconds`). Nothing is wrong: every call resumes where it stopped, so the workflow
 * can retry the step by this name.
 */
export class EfsNotReadyError extends ShareMigrationError {
  override readonly name = 'EfsNotReadyError';
  readonly kind = 'conflict' as const;
}
