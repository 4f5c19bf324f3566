import { SHARE_LIST_INDEXES, withListAttributes, withoutListAttributes } from './share-list-indexes.ts';

/**
 * The DynamoDB tables, defined once: the CDK stack creates them from this and the local runtime
 * creates the same tables in dynalite.
 */
export interface TableSchema {
  /** Logical name; the physical name comes from the environment (CDK) or is the same (local). */
  readonly id: 'shares' | 'migrations' | 'catalog' | 'partitions';
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly indexes: readonly IndexSchema[];
  /** Environment variable that carries the physical table name into Lambdas and the copy task. */
  readonly envVar: string;
  /**
   * An item as this version stores it, from an item an earlier version stored: what the local runtime puts
   * back when it rebuilds a table for new indexes (local/table-rebuild.ts). @default - the item as it is
   */
  readonly storedItem?: (item: Record<string, unknown>) => Record<string, unknown>;
}

/** A global secondary index; every key attribute is a string. */
export interface IndexSchema {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /**
   * What the index keeps of each item besides the keys: everything, only the keys, or the keys and the
   * named attributes.
   * @default 'ALL'
   */
  readonly projection?: 'ALL' | 'KEYS_ONLY' | { readonly include: readonly string[] };
}

/** The shares, and the indexes their lists are served from (share-list-indexes.ts). */
export const SHARES_TABLE: TableSchema = {
  id: 'shares',
  partitionKey: 'id',
  indexes: SHARE_LIST_INDEXES,
  envVar: 'SMIG_SHARES_TABLE',
  storedItem: (item) => withListAttributes(withoutListAttributes(item)),
};

export const MIGRATIONS_TABLE: TableSchema = {
  id: 'migrations',
  partitionKey: 'id',
  indexes: [{ name: 'by-share', partitionKey: 'share_id', sortKey: 'created_at' }],
  envVar: 'SMIG_MIGRATIONS_TABLE',
};

/** Share types, schedules and other small catalogue items, keyed `kind#id`. */
export const CATALOG_TABLE: TableSchema = {
  id: 'catalog',
  partitionKey: 'pk',
  indexes: [],
  envVar: 'SMIG_CATALOG_TABLE',
};

/**
 * A partitioned copy's plan and each partition's reports (lambdas/core/partitions): `item` is `plan` or
 * `partition#NNNN`, so one Query reads a migration's partitions in order and each copy task writes an item of
 * its own.
 */
export const PARTITIONS_TABLE: TableSchema = {
  id: 'partitions',
  partitionKey: 'migration_id',
  sortKey: 'item',
  indexes: [],
  envVar: 'SMIG_PARTITIONS_TABLE',
};

export const TABLES: readonly TableSchema[] = [SHARES_TABLE, MIGRATIONS_TABLE, CATALOG_TABLE, PARTITIONS_TABLE];
