import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ErrorIds } from '../../core/errors.ts';
import type { VersionedStore } from '../../core/ports.ts';
import { translateConditionFailure } from './conditional-errors.ts';

/** DynamoDB's limit on a partition key's bytes. */
const MAX_PARTITION_KEY_BYTES = 2048;

/**
 * How a record is stored: the item written for it (a record plus attributes only the table's indexes
 * read), and the record read back from an item.
 */
export interface ItemCodec<T> {
  toItem(record: T): Record<string, unknown>;
  fromItem(item: Record<string, unknown>): T;
}

/** A table of records keyed by `id` with a `version` attribute; every write is conditional on it. */
export class VersionedTable<T extends { readonly id: string; readonly version: number }> implements VersionedStore<T> {
  protected readonly client: DynamoDBDocumentClient;
  protected readonly tableName: string;
  protected readonly codec: ItemCodec<T>;
  private readonly idsOf: (id: string) => ErrorIds;

  /** `codec`: @default - the record is the item */
  constructor(client: DynamoDBDocumentClient, tableName: string, idsOf: (id: string) => ErrorIds, codec?: ItemCodec<T>) {
    this.client = client;
    this.tableName = tableName;
    this.idsOf = idsOf;
    this.codec = codec ?? { toItem: (record) => record as unknown as Record<string, unknown>, fromItem: (item) => item as T };
  }

  async get(id: string): Promise<T | null> {
    // No item has a key DynamoDB would refuse to look up (ValidationException): it is simply not there.
    if (Buffer.byteLength(id) > MAX_PARTITION_KEY_BYTES) return null;
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }));
    return out.Item ? this.codec.fromItem(out.Item) : null;
  }

  async create(item: T): Promise<void> {
    await translateConditionFailure(this.idsOf(item.id), `Record ${item.id}`, () =>
      this.client.send(new PutCommand({ TableName: this.tableName, Item: this.codec.toItem(item), ConditionExpression: 'attribute_not_exists(id)' })),
    );
  }

  async replace(item: T): Promise<void> {
    await translateConditionFailure(this.idsOf(item.id), `Record ${item.id}`, () =>
      this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: this.codec.toItem(item),
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': item.version - 1 },
      })),
    );
  }

  async delete(id: string, version: number): Promise<void> {
    await translateConditionFailure(this.idsOf(id), `Record ${id}`, () =>
      this.client.send(new DeleteCommand({
        TableName: this.tableName,
        Key: { id },
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': version },
      })),
    );
  }

  async list(): Promise<T[]> {
    const items: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: start, ConsistentRead: true }));
      items.push(...(out.Items ?? []).map((item) => this.codec.fromItem(item)));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
