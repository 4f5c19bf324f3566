import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PassRecordStore } from '../../../copy-task/engine/pass-record-store.ts';

/** The `item` key of a migration's pass record: one for an unpartitioned copy, one per partition (zero-padded as theirs). */
export function passRecordItem(partition: number | undefined): string {
  return partition === undefined ? 'pass-record' : `pass-record#${String(partition).padStart(4, '0')}`;
}

export interface DynamoPassRecordStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** The partitions table (PARTITIONS_TABLE): the copy task's role already reads and puts its items. */
  readonly tableName: string;
  readonly migrationId: string;
  /** The partition this task copies (SMIG_PARTITION_INDEX); undefined: the whole tree. */
  readonly partition?: number;
}

/**
 * The engine's record of a migration's last complete pass (copy-task/engine/pass-record.ts), kept beside
 * the migration's copy progress in an item of its own of the partitions table (`pass-record`, or
 * `pass-record#NNNN` per partition), so that the next copy task of the same migration and partition finds
 * it on whatever machine it runs. Not an attribute of the partition's item, which its sink puts whole at
 * every report, nor of the migration's record, which the steps replace whole. A few hundred bytes.
 * Best effort both ways, as the engine's state folder is: a record lost costs the next pass its shortcut.
 */
export class DynamoPassRecordStore implements PassRecordStore {
  readonly shared = true;
  readonly #options: DynamoPassRecordStoreOptions;

  constructor(options: DynamoPassRecordStoreOptions) {
    this.#options = options;
  }

  async load(key: string): Promise<string | undefined> {
    const { client, tableName, migrationId, partition } = this.#options;
    try {
      const out = await client.send(new GetCommand({
        TableName: tableName, Key: { migration_id: migrationId, item: passRecordItem(partition) }, ConsistentRead: true,
      }));
      // A record of other roots (or another range) under the same item is not this one's.
      return out.Item?.['key'] === key && typeof out.Item['record'] === 'string' ? out.Item['record'] : undefined;
    } catch {
      return undefined;
    }
  }

  async save(key: string, text: string): Promise<void> {
    const { client, tableName, migrationId, partition } = this.#options;
    try {
      await client.send(new PutCommand({
        TableName: tableName,
        Item: { migration_id: migrationId, item: passRecordItem(partition), key, record: text, saved_at: new Date().toISOString() },
      }));
    } catch {
      // Not remembered: the next pass reads every attribute.
    }
  }
}
