import path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { HashedTokenVerifier, sha256Hex } from '../lambdas/core/auth/hashed-token-verifier.ts';
import { CompositeTokenVerifier } from '../lambdas/core/auth/composite-token-verifier.ts';
import { startLocalIdentity, type LocalIdentity } from './identity/index.ts';
import { createDocumentClient } from '../lambdas/adapters/dynamodb/document-client.ts';
import { MigrationTable } from '../lambdas/adapters/dynamodb/migration-table.ts';
import { createShareTable } from '../lambdas/adapters/dynamodb/share-table.ts';
import { ShareTypeTable } from '../lambdas/adapters/dynamodb/share-type-table.ts';
import { CachedShareTypeStore } from '../lambdas/core/share-types/cached-share-type-store.ts';
import { ScheduleTable } from '../lambdas/adapters/dynamodb/schedule-table.ts';
import { CatalogTableCollection } from '../lambdas/adapters/dynamodb/catalog-collection.ts';
import { composeDomain, type Composition } from '../lambdas/composition/domain.ts';
import { createLogger } from '../lambdas/handlers/logger.ts';
import type { GetDeps } from '../lambdas/handlers/step-handler.ts';
import { CopyTaskEnv, type Step } from '../lambdas/core/workflow.ts';
import { LocalDriverRegistry, loadLocalBackends } from '../lambdas/drivers/local/index.ts';
import { createApiHandler } from '../lambdas/api/handler.ts';
import { DYNAMODB_SOCKET_ENV } from '../lambdas/adapters/dynamodb/unix-socket.ts';
import { resolveAdminToken, type AdminTokenSource } from './admin-token.ts';
import { DataFolderEntries, preparePrivateDataFolder } from './data-folder.ts';
import { JsonLinesEventLog } from './event-log.ts';
import { localCopyTaskDefinitions } from './local-copy-task-definitions.ts';
import { DynamoPartitionStore } from '../lambdas/adapters/dynamodb/partition-table.ts';
import { LocalCopyTaskRunner, copyTaskTableEnv } from './copy-task-runner.ts';
import { LOCAL_AWS_CREDENTIALS, LOCAL_REGION, startDynalite } from './dynalite-server.ts';
import { startApiServer } from './http-server.ts';
import { localLambdaContext } from './lambda-context.ts';
import { LocalWorkflow } from './local-workflow.ts';
import { resumeUnfinishedMigrations, resumeUnfinishedPurges } from './resume.ts';
import { LocalScheduleTicker } from './schedule-ticker.ts';
import { ensureDefaultShareType } from './seed.ts';
import { parseQuotaDefaults, QUOTA_DEFAULTS_ENV, type QuotaLimits } from '../lambdas/core/quotas/quota-model.ts';
import { PROJECT_CACHE_DIR, loadSynthesizedWorkflow } from './synthesized-definition.ts';
import { withConsole } from './console-files.ts';
import { LocalOperatorInsight } from './operator-insight.ts';
import { externalKeystoneFromEnv, externalKeystoneVerifier, type ExternalKeystoneSettings } from './identity/external-keystone.ts';

export interface LocalRuntimeOptions {
  /** Where dynalite's data, the backends and the admin token live; made (or narrowed to) mode 0700. */
  readonly dataDir: string;
  /** @default 8786; 0 picks a free port */
  readonly port?: number;
  /** @default SMIG_ADMIN_TOKEN, else the token kept in the data folder */
  readonly adminToken?: string;
  /** A backends JSON file. @default two local backends, alpha and beta, under the data folder */
  readonly backendsFile?: string;
  /** Where the copy task's JSON lines go. @default dropped (its progress reaches the migration record) */
  readonly copyTaskOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** A bandwidth limit on the copy task's reads from the source, bytes per second. @default SMIG_COPY_BYTES_PER_SECOND, else none */
  readonly copyBytesPerSecond?: number;
  /** Resume migrations a previous run left unfinished. @default true */
  readonly resume?: boolean;
  /** How often the schedule ticker looks for due schedules. @default 1000 (SMIG_SCHEDULE_TICK_MS) */
  readonly scheduleTickMs?: number;
  /**
   * Where the synthesized state machine definition is cached (filled at install time).
   * @default PROJECT_CACHE_DIR (node_modules/.cache/share-migration)
   */
  readonly synthesisCacheDir?: string;
  /** The quotas of a project that has none of its own. @default SMIG_QUOTA_DEFAULTS (a JSON object of limits), else unlimited */
  readonly quotaDefaults?: QuotaLimits;
  /**
   * An existing Keystone that validates the API's Keystone tokens, in place of the embedded one (which is
   * then not served). @default SMIG_KEYSTONE_URL and SMIG_KEYSTONE_CREDENTIALS_FILE, else the embedded Keystone
   */
  readonly externalKeystone?: ExternalKeystoneSettings;
}

export interface LocalRuntime {
  readonly url: string;
  readonly adminToken: string;
  readonly adminTokenSource: AdminTokenSource;
  /** The embedded Keystone (OS_AUTH_URL is `<url>/identity/v3`); undefined when an existing Keystone is used. */
  readonly identity: Pick<LocalIdentity, 'configFile' | 'generatedAdminPassword'> | undefined;
  /** The existing Keystone that validates tokens instead (its auth_url), if one was given. */
  readonly externalKeystoneUrl: string | undefined;
  readonly dataDir: string;
  readonly composition: Composition;
  readonly workflow: LocalWorkflow;
  readonly resumed: readonly string[];
  /** Fires migration schedules (EventBridge Scheduler's stand-in). */
  readonly scheduleTicker: LocalScheduleTicker;
  close(): Promise<void>;
}

/**
 * The embedded default: the same handlers, domain and state machine definition as on AWS, with
 * dynalite for DynamoDB, aws-local-stepfunctions for Step Functions, a child process for the ECS copy
 * task, an HTTP server for API Gateway, and folders for storage. This is the local composition root.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const dataDir = path.resolve(options.dataDir);
  await preparePrivateDataFolder(dataDir);
  const logger = createLogger('local-runtime');
  const admin = await resolveAdminToken(dataDir, options.adminToken ?? process.env['SMIG_ADMIN_TOKEN']);
  const external = options.externalKeystone ?? (await externalKeystoneFromEnv());
  const identity = external === undefined ? await startLocalIdentity(dataDir, logger) : undefined;
  const keystoneTokens = identity?.tokenVerifier ?? externalKeystoneVerifier(external!);
  const [dynalite, backends, synthesized] = await Promise.all([
    startDynalite({ path: path.join(dataDir, DataFolderEntries.STATE_STORE), socketPath: path.join(dataDir, DataFolderEntries.STATE_STORE_SOCKET) }),
    loadLocalBackends(dataDir, options.backendsFile),
    loadSynthesizedWorkflow({ cacheDir: options.synthesisCacheDir ?? PROJECT_CACHE_DIR }),
  ]);

  const documents = createDocumentClient(dynalite.inProcessClientConfig);
  const copyTasks = new LocalCopyTaskRunner({
    logger,
    output: options.copyTaskOutput,
    baseEnv: {
      ...copyTaskTableEnv(dynalite.tableNames),
      // The store's socket, not a URL: the container entry connects through it (the data folder keeps others out).
      [DYNAMODB_SOCKET_ENV]: dynalite.socketPath,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
      ...copyLimitEnv(options.copyBytesPerSecond ?? process.env[CopyTaskEnv.BYTES_PER_SECOND]),
    },
  });
  const eventsFile = path.join(dataDir, 'events.jsonl');
  let composition: Composition | undefined;
  const deps = () => composition!.migrationDeps;
  const stepHandlers = lazyStepHandlers(deps);
  const workflow = new LocalWorkflow(synthesized, {
    runStep: async (step, input) => {
      const handler = (await stepHandlers())[step as Step];
      if (!handler) throw new Error(`The template names step ${step}, which has no handler`);
      return handler(input as never, localLambdaContext(step));
    },
    runCopyTask: (parameters) => copyTasks.run(parameters),
  }, logger);
  const scheduleTicker = new LocalScheduleTicker({ logger, intervalMs: options.scheduleTickMs ?? tickFromEnv() });
  composition = composeDomain({
    shares: createShareTable(documents, dynalite.tableNames.shares),
    migrations: new MigrationTable(documents, dynalite.tableNames.migrations),
    partitions: new DynamoPartitionStore(documents, dynalite.tableNames.partitions),
    // This process is the only writer of share types: it may hold them (every share detail names its type).
    shareTypes: new CachedShareTypeStore(new ShareTypeTable(documents, dynalite.tableNames.catalog)),
    shareNetworks: new CatalogTableCollection(documents, dynalite.tableNames.catalog, 'share_network'),
    securityServices: new CatalogTableCollection(documents, dynalite.tableNames.catalog, 'security_service'),
    quotas: new CatalogTableCollection(documents, dynalite.tableNames.catalog, 'quota'),
    quotaDefaults: options.quotaDefaults ?? parseQuotaDefaults(process.env[QUOTA_DEFAULTS_ENV]),
    drivers: new LocalDriverRegistry(backends),
    workflow,
    copyTasks,
    copyTaskDefinitions: localCopyTaskDefinitions,
    tokens: new CompositeTokenVerifier([new HashedTokenVerifier(sha256Hex(admin.token)), keystoneTokens]),
    events: new JsonLinesEventLog(eventsFile),
    insight: new LocalOperatorInsight({ definition: synthesized.definition, workflow, eventsFile }),
    schedules: new ScheduleTable(documents, dynalite.tableNames.catalog),
    scheduler: scheduleTicker,
  });
  await ensureDefaultShareType(composition.services.shareTypes);

  const services = composition.services;
  const apiHandler = createApiHandler(async () => services) as (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
  const api = (event: APIGatewayProxyEvent) => apiHandler(event, localLambdaContext('api', 30_000));
  const withIdentity = identity ? identity.mount(api) : api;
  const server = await startApiServer({ port: options.port ?? 8786, handler: await withConsole(withIdentity) });
  const resumed = options.resume === false ? [] : await resumeUnfinishedMigrations(composition.migrationDeps, workflow, logger);
  if (options.resume !== false) await resumeUnfinishedPurges(composition.migrationDeps, workflow, logger);
  // After the API is up and unfinished migrations resumed, so a schedule due meanwhile sees them.
  scheduleTicker.start(composition.scheduleDeps);

  return {
    url: server.url,
    adminToken: admin.token,
    adminTokenSource: admin.source,
    identity,
    externalKeystoneUrl: external?.authUrl,
    dataDir,
    composition,
    workflow,
    resumed,
    scheduleTicker,
    async close() {
      await scheduleTicker.stop();
      await workflow.abortAll();
      await copyTasks.stopAll();
      await server.close();
      documents.destroy();
      await dynalite.close();
    },
  };
}

type StepHandlers = Record<Step, (event: never, context: Context) => Promise<unknown>>;

/**
 * The step handlers, imported when the first step runs: their modules (with the AWS compositions each
 * handler also exports) take some hundreds of milliseconds and tens of MB that a runtime with no migration running
 * need not pay at start-up.
 */
function lazyStepHandlers(deps: GetDeps): () => Promise<StepHandlers> {
  let loaded: Promise<StepHandlers> | undefined;
  return () => (loaded ??= import('../lambdas/handlers/steps/index.ts').then(({ STEP_HANDLER_FACTORIES }) => Object.fromEntries(
    Object.entries(STEP_HANDLER_FACTORIES).map(([step, factory]) => [step, factory(deps)]),
  ) as StepHandlers));
}

function tickFromEnv(): number | undefined {
  const value = Number(process.env['SMIG_SCHEDULE_TICK_MS']);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The copy task's bandwidth limit, passed on as the container would get it from its task definition. */
function copyLimitEnv(limit: number | string | undefined): Record<string, string> {
  return limit === undefined || limit === '' ? {} : { [CopyTaskEnv.BYTES_PER_SECOND]: String(limit) };
}

