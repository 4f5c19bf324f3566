import { DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MigrationSchedule } from '../../core/schedules/model.ts';
import type { ScheduleStore } from '../../core/schedules/ports.ts';
import { translateConditionFailure } from './conditional-errors.ts';

const PREFIX = 'schedule#';

/**
 * Migration schedules in the catalog table, keyed `schedule#<id>`. Like VersionedTable, every write is
 * conditional on `version`, so a firing and a delete racing on one schedule cannot both win.
 */
export class ScheduleTable implements ScheduleStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async get(id: string): Promise<MigrationSchedule | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: PREFIX + id }, ConsistentRead: true }));
    return out.Item ? strip(out.Item) : null;
  }

  async create(item: MigrationSchedule): Promise<void> {
    await translateConditionFailure({}, `Migration schedule ${item.id}`, () =>
      this.client.send(new PutCommand({ TableName: this.tableName, Item: { pk: PREFIX + item.id, ...item }, ConditionExpression: 'attribute_not_exists(pk)' })),
    );
  }

  async replace(item: MigrationSchedule): Promise<void> {
    await translateConditionFailure({}, `Migration schedule ${item.id}`, () =>
      this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: { pk: PREFIX + item.id, ...item },
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': item.version - 1 },
      })),
    );
  }

  async delete(id: string, version: number): Promise<void> {
    await translateConditionFailure({}, `Migration schedule ${id}`, () =>
      this.client.send(new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: PREFIX + id },
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': version },
      })),
    );
  }

  async list(): Promise<MigrationSchedule[]> {
    const items: MigrationSchedule[] = [];
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
    return items;
  }
}

function strip(item: Record<string, unknown>): MigrationSchedule {
  const { pk: _pk, ...schedule } = item;
  return schedule as unknown as MigrationSchedule;
}
