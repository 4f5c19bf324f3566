import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PLAN_ITEM, partitionItem, type PartitionPlanRecord, type PartitionProgressRecord } from '../../core/partitions/partition-records.ts';
import type { PartitionStore } from '../../core/partitions/partition-store.ts';

/** The partitions table (PARTITIONS_TABLE): a migration's plan and partition reports, one small item each. */
export class DynamoPartitionStore implements PartitionStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async putPlan(plan: PartitionPlanRecord): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...plan, item: PLAN_ITEM } }));
  }

  async getPlan(migrationId: string): Promise<PartitionPlanRecord | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { migration_id: migrationId, item: PLAN_ITEM }, ConsistentRead: true }));
    return (out.Item as PartitionPlanRecord | undefined) ?? null;
  }

  async putPartition(record: PartitionProgressRecord): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...record, item: partitionItem(record.index) } }));
  }

  async getPartition(migrationId: string, index: number): Promise<PartitionProgressRecord | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { migration_id: migrationId, item: partitionItem(index) }, ConsistentRead: true }));
    return (out.Item as PartitionProgressRecord | undefined) ?? null;
  }

  async listPartitions(migrationId: string): Promise<PartitionProgressRecord[]> {
    const records: PartitionProgressRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'migration_id = :m AND begins_with(#item, :p)',
        ExpressionAttributeNames: { '#item': 'item' },
        ExpressionAttributeValues: { ':m': migrationId, ':p': 'partition#' },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }));
      records.push(...((out.Items ?? []) as PartitionProgressRecord[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return records;
  }
}
