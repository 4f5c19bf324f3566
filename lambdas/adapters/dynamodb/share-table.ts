import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Share } from '../../core/model.ts';
import type { ShareStore } from '../../core/ports.ts';
import { VersionedTable } from './versioned-table.ts';

export function createShareTable(client: DynamoDBDocumentClient, tableName: string): ShareStore {
  return new VersionedTable<Share>(client, tableName, (id) => ({ shareId: id }));
}
