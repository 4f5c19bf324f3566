import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ConcurrentUpdateError, RecordTooLargeError, type ErrorIds } from '../../core/errors.ts';

/**
 * DynamoDB's (and dynalite's) ValidationException for an item past 400 KB: "Item size has exceeded the
 * maximum allowed size" (PutItem), "Item size to update has exceeded the maximum allowed size" (UpdateItem).
 */
const ITEM_TOO_LARGE = /Item size (to update )?has exceeded the maximum allowed size/;

/**
 * A write's refusals in the domain's words: a lost conditional write becomes ConcurrentUpdateError, an
 * item past the store's size limit RecordTooLargeError (a 413 for the client, not a 500); everything else
 * passes through.
 */
export async function translateConditionFailure<T>(ids: ErrorIds, what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (err instanceof ConditionalCheckFailedException || name === 'ConditionalCheckFailedException') {
      throw new ConcurrentUpdateError(`${what} was changed by another request`, ids, { cause: err });
    }
    if (name === 'ValidationException' && ITEM_TOO_LARGE.test((err as Error).message)) {
      throw new RecordTooLargeError(
        `${what} would be larger than the 400 KB the state store keeps in one record: remove access rules or metadata before adding more`,
        ids, { cause: err },
      );
    }
    throw err;
  }
}
