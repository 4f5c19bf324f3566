import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ShareType } from '../../core/model.ts';
import type { ShareTypeStore } from '../../core/ports.ts';

const PREFIX = 'share_type#';

/** Share types in the catalog table, keyed `share_type#<id>`. */
export class ShareTypeTable implements ShareTypeStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async get(id: string): Promise<ShareType | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: PREFIX + id }, ConsistentRead: true }));
    return out.Item ? strip(out.Item) : null;
  }

  async findByName(name: string): Promise<ShareType | null> {
    return (await this.list()).find((t) => t.name === name) ?? null;
  }

  async list(): Promise<ShareType[]> {
    const items: ShareType[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(new ScanCommand({
        TableName: this.tableName,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': PREFIX },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }));
      items.push(...(out.Items ?? []).map(strip));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async put(type: ShareType): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { pk: PREFIX + type.id, ...type } }));
  }

  async delete(id: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: PREFIX + id } }));
  }
}

function strip(item: Record<string, unknown>): ShareType {
  const { pk: _pk, ...type } = item;
  return type as unknown as ShareType;
}
