import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CatalogCollection } from '../../core/share-networks/ports.ts';

/** Items of one kind in the catalog table, keyed `<kind>#<id>`. */
export class CatalogTableCollection<T extends { readonly id: string }> implements CatalogCollection<T> {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly prefix: string;

  constructor(client: DynamoDBDocumentClient, tableName: string, kind: string) {
    this.client = client;
    this.tableName = tableName;
    this.prefix = `${kind}#`;
  }

  async get(id: string): Promise<T | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: this.prefix + id }, ConsistentRead: true }));
    return out.Item ? this.strip(out.Item) : null;
  }

  async list(): Promise<T[]> {
    const items: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(new ScanCommand({
        TableName: this.tableName,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': this.prefix },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }));
      items.push(...(out.Items ?? []).map((item) => this.strip(item)));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async put(item: T): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { pk: this.prefix + item.id, ...item } }));
  }

  async delete(id: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: this.prefix + id } }));
  }

  private strip(item: Record<string, unknown>): T {
    const { pk: _pk, ...rest } = item;
    return rest as unknown as T;
  }
}
