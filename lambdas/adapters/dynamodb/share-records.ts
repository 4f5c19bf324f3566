import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Share } from '../../core/model.ts';
import type { VersionedStore } from '../../core/ports.ts';
import { withListAttributes, withoutListAttributes } from './share-list-indexes.ts';
import { VersionedTable, type ItemCodec } from './versioned-table.ts';

/** A share is stored with the attributes its list indexes read (share-list-indexes.ts), read back without them. */
export const SHARE_ITEM_CODEC: ItemCodec<Share> = { toItem: withListAttributes, fromItem: withoutListAttributes };

/**
 * The share records without the lists: what the workflow's steps read and write. Every write still
 * carries the list attributes, so a share a step changed is listed as it now is.
 */
export function createShareRecords(client: DynamoDBDocumentClient, tableName: string): VersionedStore<Share> {
  return new VersionedTable<Share>(client, tableName, (id) => ({ shareId: id }), SHARE_ITEM_CODEC);
}
