import { chmod, lstat, mkdir, mkdtemp, readdir, rm, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dynalite from 'dynalite';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, type AttributeDefinition, type DynamoDBClientConfig, type Projection } from '@aws-sdk/client-dynamodb';
import { TABLES, type IndexSchema, type TableSchema } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { InProcessDynaliteHandler } from './dynalite-in-process.ts';
import { nativeAnswerChecksums } from './dynalite-checksum.ts';
import { closeIteratorsOnReturn } from './dynalite-iterators.ts';
import { finishInterruptedRebuild, rebuildIfIndexesDiffer } from './table-rebuild.ts';
import { unixSocketClientConfig } from '../lambdas/adapters/dynamodb/unix-socket.ts';

export interface DynaliteHandle {
  /** The Unix domain socket the store listens on (no TCP port): who may open it is who may reach the store. */
  readonly socketPath: string;
  /** A fresh client configuration (its own connection agent) over the socket, at every read. */
  readonly clientConfig: DynamoDBClientConfig;
  /**
   * A client configuration for this process's own requests: handed to the store's request listener
   * directly (dynalite-in-process.ts), without the socket's HTTP round trip.
   */
  readonly inProcessClientConfig: DynamoDBClientConfig;
  /** The physical table name of each schema (locally, the schema id). */
  readonly tableNames: Readonly<Record<TableSchema['id'], string>>;
  close(): Promise<void>;
}

export interface StartDynaliteOptions {
  /** Where LevelDB keeps the data (a folder, mode 0700, its files 0600). @default - in memory */
  readonly path?: string;
  /**
   * The socket file to listen on; its folder must be private to this user (the data folder). A path too
   * long for a socket address (108 bytes on Linux) falls back to the default.
   * @default - a socket in a new private folder (0700) under the system's temporary folder, removed at close
   */
  readonly socketPath?: string;
}

/** The store is another runtime's: two runtimes on one data folder would corrupt each other. */
export class StateStoreInUseError extends Error {
  override readonly name = 'StateStoreInUseError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Credentials dynalite ignores but the SDK insists on. */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'us-east-1';

/** sun_path holds 108 bytes on Linux, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * DynamoDB at home: dynalite on a Unix domain socket keeping its data under `path` (or in memory), with
 * the project's tables created from the same schema the CDK stack uses. No TCP listener: dynalite has no
 * authentication, and a port on 127.0.0.1 would let every local user read and write every record.
 */
export async function startDynalite(options: StartDynaliteOptions = {}): Promise<DynaliteHandle> {
  if (options.path) await makeStorePrivate(options.path);
  const listenOn = await socketLocation(options.socketPath);
  await removeStaleSocket(listenOn.socketPath);
  closeIteratorsOnReturn();
  nativeAnswerChecksums();
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenOn.socketPath, () => resolve());
  });
  const { socketPath } = listenOn;
  await chmod(socketPath, 0o600);
  const clientConfig = (): DynamoDBClientConfig => ({ ...unixSocketClientConfig(socketPath), region: LOCAL_REGION, credentials: LOCAL_AWS_CREDENTIALS });
  const tableNames = Object.fromEntries(TABLES.map((t) => [t.id, t.id])) as Record<TableSchema['id'], string>;
  const client = new DynamoDBClient(clientConfig());
  try {
    for (const table of TABLES) await ensureTable(client, table, tableNames[table.id], options.path);
  } finally {
    client.destroy();
  }
  // Again now that LevelDB has opened the store: the files it made at open took their modes from the umask.
  if (options.path) await makeStorePrivate(options.path);
  return {
    socketPath,
    get clientConfig() {
      return clientConfig();
    },
    get inProcessClientConfig(): DynamoDBClientConfig {
      // The endpoint only names the host the request is signed for; nothing connects to it.
      return { endpoint: 'http://localhost', requestHandler: new InProcessDynaliteHandler(server) as unknown as DynamoDBClientConfig['requestHandler'], region: LOCAL_REGION, credentials: LOCAL_AWS_CREDENTIALS };
    },
    tableNames,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      if (listenOn.privateFolder) await rm(listenOn.privateFolder, { recursive: true, force: true });
      else await unlink(socketPath).catch(() => undefined); // node removes it at close; an old node may not
    },
  };
}

/**
 * The store's folder, 0700, and its files 0600, whatever an earlier version left (it left 0755 and
 * 0644). LevelDB gives the files it creates the modes the process umask allows, so `npm start` (main.ts)
 * narrows the umask for the files it creates later; the folder's 0700 keeps others out regardless.
 */
async function makeStorePrivate(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await chmod(folder, 0o700);
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    await chmod(path.join(folder, entry.name), entry.isDirectory() ? 0o700 : 0o600);
  }
}

async function socketLocation(requested: string | undefined): Promise<{ socketPath: string; privateFolder?: string }> {
  if (requested !== undefined && Buffer.byteLength(requested) <= MAX_SOCKET_PATH_BYTES) return { socketPath: requested };
  // mkdtemp creates the folder 0700: only this user can reach the socket inside.
  const privateFolder = await mkdtemp(path.join(tmpdir(), 'smig-store-'));
  return { socketPath: path.join(privateFolder, 'dynamodb.sock'), privateFolder };
}

/**
 * A socket file left by a runtime that was killed is removed so listen can bind; one that still answers
 * belongs to a running runtime, which must not be cut off.
 */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const existing = await lstat(socketPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing === undefined) return;
  if (!existing.isSocket()) {
    throw new StateStoreInUseError(`${socketPath} exists and is not a socket: move it away, the state store listens there`);
  }
  const answered = await new Promise<boolean>((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (answered) {
    throw new StateStoreInUseError(`The state store at ${socketPath} is in use by another running share-migration: stop it first, or use another data folder`);
  }
  await unlink(socketPath);
}

/** The table as its schema says, created or (a table an earlier version made with other indexes) rebuilt. */
async function ensureTable(client: DynamoDBClient, table: TableSchema, name: string, storeFolder: string | undefined): Promise<void> {
  const keyNames = new Set<string>([table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])]);
  for (const index of table.indexes) {
    keyNames.add(index.partitionKey);
    if (index.sortKey) keyNames.add(index.sortKey);
  }
  const attributes: AttributeDefinition[] = [...keyNames].map((AttributeName) => ({ AttributeName, AttributeType: 'S' }));
  const create = async (): Promise<void> => {
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
        Projection: projectionOf(index),
      })),
    }));
  };
  const rebuild = storeFolder === undefined ? undefined : { client, schema: table, tableName: name, storeFolder, create };
  if (rebuild && (await finishInterruptedRebuild(rebuild))) return;
  try {
    await create();
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
    if (rebuild) await rebuildIfIndexesDiffer(rebuild);
  }
  for (let i = 0; i < 100; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: name }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Table ${name} did not become ACTIVE in dynalite`);
}

function projectionOf(index: IndexSchema): Projection {
  const projection = index.projection ?? 'ALL';
  if (projection === 'ALL' || projection === 'KEYS_ONLY') return { ProjectionType: projection };
  return { ProjectionType: 'INCLUDE', NonKeyAttributes: [...projection.include] };
}
