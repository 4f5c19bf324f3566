import { ShareMigrationError } from '../errors.ts';

/**
 * Manila's QuotaError family (manila/exception.py): HTTP 413 `overLimit`, with Manila's messages word for
 * word. `projectId` says whose quota it was.
 */
export abstract class QuotaExceededError extends ShareMigrationError {
  readonly kind = 'overLimit' as const;
  readonly projectId: string;

  constructor(message: string, projectId: string) {
    super(message);
    this.projectId = projectId;
  }
}

/** Manila's ShareSizeExceedsAvailableQuota (a share's `gigabytes`; an extend answers it with 403). */
export class ShareSizeExceedsAvailableQuotaError extends QuotaExceededError {
  override readonly name = 'ShareSizeExceedsAvailableQuotaError';

  constructor(projectId: string) {
    super('Requested share exceeds allowed project/user or share type gigabytes quota.', projectId);
  }
}

/** Manila's ShareLimitExceeded (`shares`). */
export class ShareLimitExceededError extends QuotaExceededError {
  override readonly name = 'ShareLimitExceededError';

  constructor(projectId: string, allowed: number) {
    super(`Maximum number of shares allowed (${allowed}) either per project/user or share type quota is exceeded.`, projectId);
  }
}

/** Manila's ShareSizeExceedsLimit (`per_share_gigabytes`). */
export class ShareSizeExceedsLimitError extends QuotaExceededError {
  override readonly name = 'ShareSizeExceedsLimitError';

  constructor(projectId: string, size: number, limit: number) {
    super(`Requested share size ${size} is larger than maximum allowed limit ${limit}.`, projectId);
  }
}

/** Manila's SnapshotSizeExceedsAvailableQuota (`snapshot_gigabytes`). */
export class SnapshotSizeExceedsAvailableQuotaError extends QuotaExceededError {
  override readonly name = 'SnapshotSizeExceedsAvailableQuotaError';

  constructor(projectId: string) {
    super('Requested snapshot exceeds allowed project/user or share type gigabytes quota.', projectId);
  }
}

/** Manila's SnapshotLimitExceeded (`snapshots`). */
export class SnapshotLimitExceededError extends QuotaExceededError {
  override readonly name = 'SnapshotLimitExceededError';

  constructor(projectId: string, allowed: number) {
    super(`Maximum number of snapshots allowed (${allowed}) either per project/user or share type quota is exceeded.`, projectId);
  }
}

/** Manila's ShareNetworksLimitExceeded (`share_networks`). */
export class ShareNetworksLimitExceededError extends QuotaExceededError {
  override readonly name = 'ShareNetworksLimitExceededError';

  constructor(projectId: string, allowed: number) {
    super(`Maximum number of share-networks allowed (${allowed}) exceeded.`, projectId);
  }
}
