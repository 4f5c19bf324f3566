/**
 * Domain errors. Each sets `name`, so Step Functions Retry/Catch can match it by name, and carries the
 * share and migration ids it concerns. The API maps them onto Manila's fault bodies by `kind`.
 */
export interface ErrorIds {
  readonly shareId?: string;
  readonly migrationId?: string;
}

export type FaultKind = 'badRequest' | 'itemNotFound' | 'conflict' | 'forbidden' | 'unauthorized' | 'overLimit' | 'serviceUnavailable';

export abstract class ShareMigrationError extends Error {
  abstract readonly kind: FaultKind;
  readonly shareId?: string;
  readonly migrationId?: string;

  constructor(message: string, ids: ErrorIds = {}, options?: { cause?: unknown }) {
    super(withIds(message, ids), options);
    this.shareId = ids.shareId;
    this.migrationId = ids.migrationId;
  }
}

function withIds(message: string, ids: ErrorIds): string {
  const parts = [ids.shareId && `share ${ids.shareId}`, ids.migrationId && `migration ${ids.migrationId}`].filter(Boolean);
  return parts.length > 0 ? `${message} (${parts.join(', ')})` : message;
}

/** The request is malformed or asks for something impossible (HTTP 400). */
export class InvalidRequestError extends ShareMigrationError {
  override readonly name = 'InvalidRequestError';
  readonly kind = 'badRequest' as const;
}

/** The share is not in a state that allows the action (Manila's InvalidShare: HTTP 400). */
export class InvalidShareStateError extends ShareMigrationError {
  override readonly name = 'InvalidShareStateError';
  readonly kind = 'badRequest' as const;
}

/**
 * A record would outgrow what the store keeps in one item (DynamoDB: 400 KB), as a share does that
 * gathers thousands of access rules or metadata items request by request (HTTP 413, Manila's overLimit).
 * Nothing was written.
 */
export class RecordTooLargeError extends ShareMigrationError {
  override readonly name = 'RecordTooLargeError';
  readonly kind = 'overLimit' as const;
}

export class NotFoundError extends ShareMigrationError {
  override readonly name = 'NotFoundError';
  readonly kind = 'itemNotFound' as const;
}

/** A conditional write lost a race: someone else changed the record first (HTTP 409). */
export class ConcurrentUpdateError extends ShareMigrationError {
  override readonly name = 'ConcurrentUpdateError';
  readonly kind = 'conflict' as const;
}

export class ConflictError extends ShareMigrationError {
  override readonly name = 'ConflictError';
  readonly kind = 'conflict' as const;
}

export class ForbiddenError extends ShareMigrationError {
  override readonly name = 'ForbiddenError';
  readonly kind = 'forbidden' as const;
}

export class UnauthorizedError extends ShareMigrationError {
  override readonly name = 'UnauthorizedError';
  readonly kind = 'unauthorized' as const;
}

/**
 * A service the request depends on did not answer (an external Keystone that validates tokens): HTTP 503,
 * the request may be retried; never a 401, which would tell a client its valid token is bad.
 */
export class ServiceUnavailableError extends ShareMigrationError {
  override readonly name = 'ServiceUnavailableError';
  readonly kind = 'serviceUnavailable' as const;
}

export class IllegalTransitionError extends ShareMigrationError {
  override readonly name = 'IllegalTransitionError';
  readonly kind = 'conflict' as const;
  readonly from: string;
  readonly to: string;

  constructor(from: string, to: string, ids: ErrorIds) {
    super(`Illegal task_state transition from ${from} to ${to}`, ids);
    this.from = from;
    this.to = to;
  }
}

/** The operator cancelled the migration; the workflow catches this by name and cleans up. */
export class MigrationCancelledError extends ShareMigrationError {
  override readonly name = 'MigrationCancelledError';
  readonly kind = 'conflict' as const;
}

/** A guarantee the operator asked for (writable, nondisruptive, ...) can be met by no migration path. */
export class GuaranteeUnmetError extends ShareMigrationError {
  override readonly name = 'GuaranteeUnmetError';
  readonly kind = 'badRequest' as const;
}

/** A driver call failed. */
export class DriverError extends ShareMigrationError {
  override readonly name: string = 'DriverError';
  readonly kind = 'badRequest' as const;
}

/**
 * A driver refused to undo a driver-assisted migration because its switch to the destination is
 * committed: the destination may hold the only current data, so nothing may be deleted. Cleanup keeps
 * both instances and says so; any other driver error while undoing is a failure to retry.
 */
export class DriverMigrationCommittedError extends DriverError {
  override readonly name = 'DriverMigrationCommittedError';
}

/**
 * The switchover cannot show that no client still writes to the read-only source (clients connected before
 * it went read-only may keep their write access): nothing is switched, the source is kept.
 */
export class SwitchoverBlockedError extends ShareMigrationError {
  override readonly name = 'SwitchoverBlockedError';
  readonly kind = 'conflict' as const;
}

/** The copy task failed or its verification found a difference. */
export class CopyFailedError extends ShareMigrationError {
  override readonly name = 'CopyFailedError';
  readonly kind = 'conflict' as const;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
