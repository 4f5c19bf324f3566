import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DeleteTableCommand, DescribeTableCommand, ResourceNotFoundException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';

/**
 * A table at home brought to its schema's indexes. dynalite cannot add an index to a table (its
 * UpdateTable ignores GlobalSecondaryIndexUpdates), so a table an earlier version created with other
 * indexes (the shares table before its list indexes) is rebuilt: its items are saved to a file beside
 * the store, the table is dropped and created from the schema, and the items are put back as this version
 * stores them (TableSchema.storedItem: a share with its list attributes). The file is complete before the
 * table is dropped and removed only once every item is back, so a run killed at any point finishes the
 * rebuild at the next start, from the file, with nothing lost.
 */

/** BatchWriteItem takes at most 25 items. */
const ITEMS_PER_BATCH = 25;

export interface TableRebuildOptions {
  readonly client: DynamoDBClient;
  readonly schema: TableSchema;
  readonly tableName: string;
  /** Where the store keeps its data: the saved items go beside it (not in it: that folder is LevelDB's). */
  readonly storeFolder: string;
  /** Creates the table from the schema (a ResourceInUseException when it exists). */
  readonly create: () => Promise<void>;
}

/** The file the items of a table being rebuilt are kept in until they are all back. */
function savedItemsFile(options: TableRebuildOptions): string {
  return path.join(path.dirname(options.storeFolder), `${path.basename(options.storeFolder)}.${options.tableName}.rebuild.jsonl`);
}

/** Finishes a rebuild a killed run left, if any: true when it did (the table is then as the schema says). */
export async function finishInterruptedRebuild(options: TableRebuildOptions): Promise<boolean> {
  const saved = await readFile(savedItemsFile(options), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (saved === undefined) return false;
  const items = saved.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
  await recreateWith(options, items);
  return true;
}

/** Rebuilds the table when its indexes are not the schema's (by name). */
export async function rebuildIfIndexesDiffer(options: TableRebuildOptions): Promise<void> {
  const { client, schema, tableName } = options;
  const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const has = (described.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort();
  const wants = schema.indexes.map((index) => index.name).sort();
  if (JSON.stringify(has) === JSON.stringify(wants)) return;
  const items = await scanAll(options);
  const file = savedItemsFile(options);
  const partial = `${file}.partial`;
  const handle = await open(partial, 'w', 0o600);
  try {
    await handle.writeFile(items.map((item) => `${JSON.stringify(item)}\n`).join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(partial, file);
  await recreateWith(options, items);
}

async function scanAll({ client, tableName }: TableRebuildOptions): Promise<Record<string, unknown>[]> {
  const documents = DynamoDBDocumentClient.from(client);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await documents.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Drops the table (if it is there), creates it from the schema, puts the items back, removes the saved file. */
async function recreateWith(options: TableRebuildOptions, items: readonly Record<string, unknown>[]): Promise<void> {
  const { client, schema, tableName } = options;
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch((err: unknown) => {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  });
  await waitUntilGone(client, tableName);
  await options.create();
  await waitUntilActive(client, tableName);
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const stored = items.map((item) => schema.storedItem?.(item) ?? item);
  for (let i = 0; i < stored.length; i += ITEMS_PER_BATCH) {
    let requests = stored.slice(i, i + ITEMS_PER_BATCH).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const out = await documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  }
  await rm(savedItemsFile(options), { force: true });
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Table ${tableName} did not become ACTIVE in dynalite`);
}

async function waitUntilGone(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await client.send(new DescribeTableCommand({ TableName: tableName }));
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return;
      throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Table ${tableName} was not deleted in dynalite`);
}
