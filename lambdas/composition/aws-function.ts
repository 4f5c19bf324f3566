import { parseQuotaDefaults, QUOTA_DEFAULTS_ENV, type ProjectQuotaRecord } from '../core/quotas/quota-model.ts';
import type { MigrationEventPublisher } from '../core/events/migration-event.ts';
import type { SecurityService, ShareNetwork } from '../core/model.ts';
import type { CopyTaskControl, CopyTaskDefinitions, MigrationStore, ShareStore, ShareTypeStore, WorkflowPort } from '../core/ports.ts';
import type { ScheduleStore, SchedulerPort } from '../core/schedules/ports.ts';
import type { PartitionStore } from '../core/partitions/partition-store.ts';
import type { TokenVerifier } from '../core/services.ts';
import type { CatalogCollection } from '../core/share-networks/ports.ts';
import type { DriverRegistry } from '../drivers/driver.ts';
import { composeDomain, type Adapters, type Composition } from './domain.ts';
import { notComposed } from './not-composed.ts';

/** A variable the function's composition reads is not in its environment. */
export class FunctionEnvironmentError extends Error {
  override readonly name = 'FunctionEnvironmentError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** What an adapter factory builds from: the function's name and environment, and clients its adapters share. */
export interface AwsFunctionContext {
  /** `STEP_NAME` of the function: a workflow step, or `api`. */
  readonly functionName: string;
  readonly env: NodeJS.ProcessEnv;
  /** The variable's value; FunctionEnvironmentError, naming the function and the variable, when it is not set. */
  required(name: string): string;
  /** One `create()` per composition under `key`: a client several adapters of the function share. */
  shared<T>(key: string, create: () => T): T;
}

export type AdapterFactory<T> = (context: AwsFunctionContext) => T;
/** The drivers read their backends (SSM) and need the share types of the instances they serve. */
export type DriversFactory = (context: AwsFunctionContext, shareTypes: ShareTypeStore) => Promise<DriverRegistry>;

/**
 * The adapters a function is composed with, each a factory from lambdas/composition/factories. A function's
 * handler imports only the factories (and EFS parts) its code path uses, so its bundle holds only their
 * AWS SDK commands; every adapter left out is a port that fails loudly (PortNotComposedError) if called.
 */
export interface AwsFunctionAdapters {
  readonly shares?: AdapterFactory<ShareStore>;
  readonly migrations?: AdapterFactory<MigrationStore>;
  readonly shareTypes?: AdapterFactory<ShareTypeStore>;
  readonly shareNetworks?: AdapterFactory<CatalogCollection<ShareNetwork>>;
  readonly securityServices?: AdapterFactory<CatalogCollection<SecurityService>>;
  readonly quotas?: AdapterFactory<CatalogCollection<ProjectQuotaRecord>>;
  readonly schedules?: AdapterFactory<ScheduleStore>;
  readonly drivers?: DriversFactory;
  readonly workflow?: AdapterFactory<WorkflowPort>;
  readonly copyTasks?: AdapterFactory<CopyTaskControl>;
  readonly copyTaskDefinitions?: AdapterFactory<CopyTaskDefinitions>;
  readonly tokens?: AdapterFactory<TokenVerifier>;
  readonly events?: AdapterFactory<MigrationEventPublisher>;
  readonly scheduler?: AdapterFactory<SchedulerPort>;
  /** A partitioned copy's plan and reports: only where migrations are shown (absent: progress as stored). */
  readonly partitions?: AdapterFactory<PartitionStore>;
}

/** Builds the composition of one function from its adapters and its environment (asynchronous: the drivers read SSM). */
export async function buildAwsFunction(functionName: string, adapters: AwsFunctionAdapters, env: NodeJS.ProcessEnv = process.env): Promise<Composition> {
  const context = functionContext(functionName, env);
  const build = <K extends Exclude<keyof Adapters, 'drivers' | 'clock' | 'ids' | 'partitions' | 'quotaDefaults' | 'insight'>>(port: K): Adapters[K] => {
    const factory = adapters[port] as AdapterFactory<Adapters[K]> | undefined;
    return factory ? factory(context) : notComposed<Adapters[K] & object>(functionName, port);
  };
  const shareTypes = build('shareTypes');
  return composeDomain({
    shares: build('shares'),
    migrations: build('migrations'),
    shareTypes,
    shareNetworks: build('shareNetworks'),
    securityServices: build('securityServices'),
    quotas: build('quotas'),
    quotaDefaults: parseQuotaDefaults(env[QUOTA_DEFAULTS_ENV]),
    schedules: build('schedules'),
    drivers: adapters.drivers ? await adapters.drivers(context, shareTypes) : notComposed<DriverRegistry>(functionName, 'drivers'),
    workflow: build('workflow'),
    copyTasks: build('copyTasks'),
    copyTaskDefinitions: build('copyTaskDefinitions'),
    tokens: build('tokens'),
    events: build('events'),
    scheduler: build('scheduler'),
    ...(adapters.partitions ? { partitions: adapters.partitions(context) } : {}),
  });
}

/**
 * The composition root of one Lambda function: built on first use, once per process (a cold start reads
 * the backends from SSM once), so tests and the local runtime can import handlers without AWS
 * configuration. A build that failed (SSM unreachable) is tried again on the next invocation.
 */
export function awsFunctionComposition(functionName: string, adapters: AwsFunctionAdapters): (env?: NodeJS.ProcessEnv) => Promise<Composition> {
  let built: Promise<Composition> | undefined;
  return (env = process.env) => {
    built ??= buildAwsFunction(functionName, adapters, env).catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
}

function functionContext(functionName: string, env: NodeJS.ProcessEnv): AwsFunctionContext {
  const shared = new Map<string, unknown>();
  return {
    functionName,
    env,
    required(name) {
      const value = env[name];
      if (!value) {
        throw new FunctionEnvironmentError(
          `Environment variable ${name} is not set in the ${functionName} function: the CDK stack sets what each function's composition reads (cdk/lib/function-grants.ts)`,
        );
      }
      return value;
    },
    shared<T>(key: string, create: () => T): T {
      if (!shared.has(key)) shared.set(key, create());
      return shared.get(key) as T;
    },
  };
}
