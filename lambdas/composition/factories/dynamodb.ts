/**
 * The DynamoDB stores, one factory per port, over one document client per function. A function's bundle
 * holds only the lib-dynamodb commands of the stores its handler imports (function-permissions.ts lists
 * them per table as IAM actions).
 */
import type { ProjectQuotaRecord } from '../../core/quotas/quota-model.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Migration, SecurityService, ShareNetwork } from '../../core/model.ts';
import type { MigrationStore, ShareStore, ShareTypeStore } from '../../core/ports.ts';
import type { ScheduleStore } from '../../core/schedules/ports.ts';
import type { CatalogCollection } from '../../core/share-networks/ports.ts';
import { CatalogTableCollection } from '../../adapters/dynamodb/catalog-collection.ts';
import { createDocumentClient } from '../../adapters/dynamodb/document-client.ts';
import { MigrationTable } from '../../adapters/dynamodb/migration-table.ts';
import { ScheduleTable } from '../../adapters/dynamodb/schedule-table.ts';
import { createShareRecords } from '../../adapters/dynamodb/share-records.ts';
import { createShareTable } from '../../adapters/dynamodb/share-table.ts';
import { ShareTypeTable } from '../../adapters/dynamodb/share-type-table.ts';
import { CATALOG_TABLE, MIGRATIONS_TABLE, PARTITIONS_TABLE, SHARES_TABLE } from '../../adapters/dynamodb/table-schema.ts';
import { DynamoPartitionStore } from '../../adapters/dynamodb/partition-table.ts';
import type { PartitionStore } from '../../core/partitions/partition-store.ts';
import { VersionedTable } from '../../adapters/dynamodb/versioned-table.ts';
import type { AdapterFactory, AwsFunctionContext } from '../aws-function.ts';
import { composedOnly } from '../not-composed.ts';

function documents(context: AwsFunctionContext): DynamoDBDocumentClient {
  return context.shared('dynamodb:documents', () => createDocumentClient());
}

/** The shares with their lists (Query on the list indexes, BatchGetItem of a page): the API lists shares and snapshots. */
export const shareStoreWithLists: AdapterFactory<ShareStore> = (context) =>
  createShareTable(documents(context), context.required(SHARES_TABLE.envVar));

/**
 * The share records without the lists, which fail loudly: the steps read and write their own share and
 * never list shares, so their bundles hold no Query (and their roles no index).
 */
export const shareStore: AdapterFactory<ShareStore> = (context) =>
  composedOnly<ShareStore>(context.functionName, 'shares', createShareRecords(documents(context), context.required(SHARES_TABLE.envVar)));

/** The migrations with listByShare (Query on the by-share index): the API lists a share's migrations. */
export const migrationStore: AdapterFactory<MigrationStore> = (context) =>
  new MigrationTable(documents(context), context.required(MIGRATIONS_TABLE.envVar));

/**
 * The migration records without listByShare, which fails loudly: the steps read and write their own
 * migration and never list a share's, so their bundles hold no Query (and their roles no index).
 */
export const migrationRecords: AdapterFactory<MigrationStore> = (context) => {
  const records = new VersionedTable<Migration>(documents(context), context.required(MIGRATIONS_TABLE.envVar), (id) => ({ migrationId: id }));
  return composedOnly<MigrationStore>(context.functionName, 'migrations', records);
};

/** A partitioned copy's plan and reports (the partitions table): the API shows their progress. */
export const partitionStore: AdapterFactory<PartitionStore> = (context) =>
  new DynamoPartitionStore(documents(context), context.required(PARTITIONS_TABLE.envVar));

export const shareTypeStore: AdapterFactory<ShareTypeStore> = (context) =>
  new ShareTypeTable(documents(context), context.required(CATALOG_TABLE.envVar));

export const shareNetworkCollection: AdapterFactory<CatalogCollection<ShareNetwork>> = (context) =>
  new CatalogTableCollection<ShareNetwork>(documents(context), context.required(CATALOG_TABLE.envVar), 'share_network');

export const quotaCollection: AdapterFactory<CatalogCollection<ProjectQuotaRecord>> = (context) =>
  new CatalogTableCollection<ProjectQuotaRecord>(documents(context), context.required(CATALOG_TABLE.envVar), 'quota');

export const securityServiceCollection: AdapterFactory<CatalogCollection<SecurityService>> = (context) =>
  new CatalogTableCollection<SecurityService>(documents(context), context.required(CATALOG_TABLE.envVar), 'security_service');

export const scheduleStore: AdapterFactory<ScheduleStore> = (context) =>
  new ScheduleTable(documents(context), context.required(CATALOG_TABLE.envVar));
