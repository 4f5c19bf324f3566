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

/**
 * A driver method was called whose part the driver was not composed with (see parts.ts). A deployment
 * mistake, not a storage failure: the function's composition root must give the driver that part, and its
 * IAM grants must include the part's actions (efs-actions.ts).
 */
export class EfsPartMissingError extends Error {
  override readonly name = 'EfsPartMissingError';
  readonly backendHost: string;
  readonly method: string;
  readonly part: string;

  constructor(backendHost: string, method: string, part: string) {
    super(
      `${backendHost}: ${method} needs the EFS driver's "${part}" part, which this function's driver was not composed with: ` +
        `the function's composition root must give the driver parts.${part}, and its IAM grants must include EFS_PART_PERMISSIONS.${part} (efs-actions.ts)`,
    );
    this.backendHost = backendHost;
    this.method = method;
    this.part = part;
  }
}
