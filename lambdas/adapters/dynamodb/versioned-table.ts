import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ErrorIds } from '../../core/errors.ts';
import type { VersionedStore } from '../../core/ports.ts';
import { translateConditionFailure } from './conditional-errors.ts';

/** A table of records keyed by `id` with a `version` attribute; every write is conditional on it. */
export class VersionedTable<T extends { readonly id: string; readonly version: number }> implements VersionedStore<T> {
  protected readonly client: DynamoDBDocumentClient;
  protected readonly tableName: string;
  private readonly idsOf: (id: string) => ErrorIds;

  constructor(client: DynamoDBDocumentClient, tableName: string, idsOf: (id: string) => ErrorIds) {
    this.client = client;
    this.tableName = tableName;
    this.idsOf = idsOf;
  }

  async get(id: string): Promise<T | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }));
    return (out.Item as T | undefined) ?? null;
  }

  async create(item: T): Promise<void> {
    await translateConditionFailure(this.idsOf(item.id), `Record ${item.id}`, () =>
      this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(id)' })),
    );
  }

  async replace(item: T): Promise<void> {
    await translateConditionFailure(this.idsOf(item.id), `Record ${item.id}`, () =>
      this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: item,
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
      items.push(...((out.Items ?? []) as T[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
