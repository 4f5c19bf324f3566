import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;

/** BatchGetItem takes at most 100 keys. */
const KEYS_PER_CALL = 100;
/** Rounds of retrying the keys DynamoDB left unprocessed (it does under throttling), with a growing pause. */
const MAX_ROUNDS = 8;

/** DynamoDB kept leaving keys unprocessed: the table is throttled beyond what a retry can wait out. */
export class UnprocessedKeysError extends Error {
  override readonly name = 'UnprocessedKeysError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The items with these `id`s, by id, read consistently in batches of 100 side by side; an id with no
 * item is absent from the map.
 */
export async function batchGetById(client: DynamoDBDocumentClient, tableName: string, ids: readonly string[]): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += KEYS_PER_CALL) chunks.push(ids.slice(i, i + KEYS_PER_CALL));
  await Promise.all(chunks.map(async (chunk) => {
    let keys: Item[] = chunk.map((id) => ({ id }));
    for (let round = 0; keys.length > 0; round++) {
      if (round === MAX_ROUNDS) throw new UnprocessedKeysError(`DynamoDB left ${keys.length} keys of ${tableName} unprocessed after ${MAX_ROUNDS} rounds`);
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
      const out = await client.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }));
      for (const item of out.Responses?.[tableName] ?? []) found.set(String(item['id']), item);
      keys = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }));
  return found;
}
