import { DriverError } from '../errors.ts';

/**
 * Errors of extend and shrink (share-resize.ts), with Manila's messages (manila/exception.py), which
 * already name the share: the id is carried as `shareId` rather than appended again.
 */

/** Manila's ShareShrinkingPossibleDataLoss: the instance holds more data than the new size. Nothing changed. */
export class ShareShrinkingPossibleDataLossError extends DriverError {
  override readonly name = 'ShareShrinkingPossibleDataLossError';
  override readonly shareId: string;

  constructor(shareId: string, options?: { cause?: unknown }) {
    super(`Share ${shareId} could not be shrunk due to possible data loss`, {}, options);
    this.shareId = shareId;
  }
}

/** Manila's ShareExtendingError: the driver failed; the share is `extending_error`. */
export class ShareExtendingError extends DriverError {
  override readonly name = 'ShareExtendingError';
  override readonly shareId: string;

  constructor(shareId: string, reason: string, options?: { cause?: unknown }) {
    super(`Share ${shareId} could not be extended due to error in the driver: ${reason}`, {}, options);
    this.shareId = shareId;
  }
}

/** Manila's ShareShrinkingError: the driver failed; the share is `shrinking_error`. */
export class ShareShrinkingError extends DriverError {
  override readonly name = 'ShareShrinkingError';
  override readonly shareId: string;

  constructor(shareId: string, reason: string, options?: { cause?: unknown }) {
    super(`Share ${shareId} could not be shrunk due to error in the driver: ${reason}`, {}, options);
    this.shareId = shareId;
  }
}
