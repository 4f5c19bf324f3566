import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ConcurrentUpdateError, type ErrorIds } from '../../core/errors.ts';

/** A lost conditional write becomes the domain's ConcurrentUpdateError; everything else passes through. */
export async function translateConditionFailure<T>(ids: ErrorIds, what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || (err as { name?: string }).name === 'ConditionalCheckFailedException') {
      throw new ConcurrentUpdateError(`${what} was changed by another request`, ids, { cause: err });
    }
    throw err;
  }
}
