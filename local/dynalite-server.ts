import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, type AttributeDefinition, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { TABLES, type TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';

export interface DynaliteHandle {
  readonly endpoint: string;
  readonly clientConfig: DynamoDBClientConfig;
  /** The physical table name of each schema (locally, the schema id). */
  readonly tableNames: Readonly<Record<TableSchema['id'], string>>;
  close(): Promise<void>;
}

/** Credentials dynalite ignores but the SDK insists on. */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

/**
 * DynamoDB at home: dynalite on 127.0.0.1 keeping its data under `path` (or in memory), with the
 * project's tables created from the same schema the CDK stack uses.
 */
export async function startDynalite(options: { path?: string; port?: number } = {}): Promise<DynaliteHandle> {
  if (options.path) await mkdir(options.path, { recursive: true });
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clientConfig: DynamoDBClientConfig = { endpoint, region: LOCAL_REGION, credentials: LOCAL_AWS_CREDENTIALS };
  const tableNames = Object.fromEntries(TABLES.map((t) => [t.id, t.id])) as Record<TableSchema['id'], string>;
  const client = new DynamoDBClient(clientConfig);
  try {
    for (const table of TABLES) await ensureTable(client, table, tableNames[table.id]);
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    clientConfig,
    tableNames,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    }),
  };
}

async function ensureTable(client: DynamoDBClient, table: TableSchema, name: string): Promise<void> {
  const keyNames = new Set<string>([table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])]);
  for (const index of table.indexes) {
    keyNames.add(index.partitionKey);
    if (index.sortKey) keyNames.add(index.sortKey);
  }
  const attributes: AttributeDefinition[] = [...keyNames].map((AttributeName) => ({ AttributeName, AttributeType: 'S' }));
  try {
    await client.send(new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributes,
      KeySchema: [
        { AttributeName: table.partitionKey, KeyType: 'HASH' },
        ...(table.sortKey ? [{ AttributeName: table.sortKey, KeyType: 'RANGE' as const }] : []),
      ],
      GlobalSecondaryIndexes: table.indexes.length === 0 ? undefined : table.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
          ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' as const }] : []),
        ],
        Projection: { ProjectionType: 'ALL' as const },
      })),
    }));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  for (let i = 0; i < 100; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Table ${name} did not become ACTIVE in dynalite`);
}
