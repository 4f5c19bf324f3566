/**
 * The DynamoDB tables, defined once: the CDK stack creates them from this and the local runtime
 * creates the same tables in dynalite.
 */
export interface TableSchema {
  /** Logical name; the physical name comes from the environment (CDK) or is the same (local). */
  readonly id: 'shares' | 'migrations' | 'catalog';
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly indexes: readonly { readonly name: string; readonly partitionKey: string; readonly sortKey?: string }[];
  /** Environment variable that carries the physical table name into Lambdas and the copy task. */
  readonly envVar: string;
}

export const SHARES_TABLE: TableSchema = {
  id: 'shares',
  partitionKey: 'id',
  indexes: [],
  envVar: 'SMIG_SHARES_TABLE',
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

export const TABLES: readonly TableSchema[] = [SHARES_TABLE, MIGRATIONS_TABLE, CATALOG_TABLE];
