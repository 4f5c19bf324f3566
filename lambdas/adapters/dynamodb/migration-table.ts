import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Migration } from '../../core/model.ts';
import type { MigrationStore } from '../../core/ports.ts';
import { MIGRATIONS_TABLE } from './table-schema.ts';
import { VersionedTable } from './versioned-table.ts';

export class MigrationTable extends VersionedTable<Migration> implements MigrationStore {
  constructor(client: DynamoDBDocumentClient, tableName: string) {
    super(client, tableName, (id) => ({ migrationId: id }));
  }

  async listByShare(shareId: string): Promise<Migration[]> {
    const index = MIGRATIONS_TABLE.indexes[0]!;
    const items: Migration[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#share = :share',
        ExpressionAttributeNames: { '#share': index.partitionKey },
        ExpressionAttributeValues: { ':share': shareId },
        ScanIndexForward: false,
        ExclusiveStartKey: start,
      }));
      items.push(...((out.Items ?? []) as Migration[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
