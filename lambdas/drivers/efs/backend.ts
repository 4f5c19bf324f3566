/**
 * One EFS backend as the driver's parts see it: its resolved config, its client, its pools, and what every
 * call shares (the instance's pool and share type, tags, waits with a deadline, error wrapping). Sends no
 * EFS request itself, so every bundle may hold it.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EFSClient, FileSystemDescription, Tag } from '@aws-sdk/client-efs';
import { DriverError, ShareMigrationError, type ErrorIds } from '../../core/errors.ts';
import { parseHost, type Host } from '../../core/host.ts';
import type { ShareInstance, ShareType } from '../../core/model.ts';
import { createEfsClient, describeEfsError, isThrottling } from './client.ts';
import { EfsMode, type ResolvedEfsBackendConfig, type ResolvedEfsPool } from './config.ts';
import { EfsNotReadyError } from './errors.ts';
import { EfsTag } from './naming.ts';

export const EFS_DRIVER_VERSION = '1.0.0';
export const EFS_VENDOR_NAME = 'Amazon';
export const EFS_STORAGE_PROTOCOL = 'NFS';

/** The share types the driver reads an instance's `efs:*` extra specs from (the domain's ShareTypeStore fits). */
export interface ShareTypeLookup {
  get(id: string): Promise<ShareType | null>;
}

/** What a backend needs besides its config; EfsDriverDeps adds the parts and the peers. */
export interface EfsBackendDeps {
  readonly shareTypes: ShareTypeLookup;
  /** The region of a backend whose config names none. */
  readonly defaultRegion?: string;
  /**
   * The EFS client of a region.
   * @default - createEfsClient(region, config.max_attempts), one per driver
   */
  readonly clientFor?: (region: string) => EFSClient;
  /**
   * The CloudWatch client of a region (the switchover reads ClientConnections).
   * @default - one per backend, standard retry mode with `max_attempts`, made by the part that reads it
   */
  readonly cloudWatchFor?: (region: string) => CloudWatchClient;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default - the system clock */
  readonly clock?: () => Date;
}

/** The end of one call's waiting budget. */
export interface Deadline {
  readonly until: number;
  readonly seconds: number;
}

/** One look at what a wait waits for: the value, or what is still missing. */
export type Probe<T> = { readonly value: T } | { readonly waiting: string };

export type Specs = Readonly<Record<string, string>>;

export class EfsBackend {
  readonly config: ResolvedEfsBackendConfig;
  /** `host@backend` */
  readonly backendHost: string;
  readonly driverHandlesShareServers: boolean;
  readonly pools: ReadonlyMap<string, ResolvedEfsPool>;
  readonly #deps: EfsBackendDeps;
  readonly #peer: (backendHost: string) => EfsBackend | undefined;
  #client: EFSClient | undefined;

  /** `peer`: another backend of the same registry, for driver-assisted migration between backends. */
  constructor(config: ResolvedEfsBackendConfig, deps: EfsBackendDeps, peer: (backendHost: string) => EfsBackend | undefined = () => undefined) {
    this.config = config;
    this.#deps = deps;
    this.#peer = peer;
    this.backendHost = `${config.host}@${config.backend}`;
    this.driverHandlesShareServers = config.mode === EfsMode.FILE_SYSTEM;
    this.pools = new Map(config.pools.map((pool) => [pool.name, pool]));
  }

  /** The client of this backend's region, made on first use. */
  get client(): EFSClient {
    this.#client ??= this.#deps.clientFor?.(this.config.region) ?? createEfsClient(this.config.region, this.config.max_attempts);
    return this.#client;
  }

  get cloudWatchFor(): EfsBackendDeps['cloudWatchFor'] {
    return this.#deps.cloudWatchFor;
  }

  /** This backend, or the one of the same registry at `host`'s `host@backend`. */
  peerFor(host: Host): EfsBackend | undefined {
    const backendHost = `${host.host}@${host.backend}`;
    return backendHost === this.backendHost ? this : this.#peer(backendHost);
  }

  /** The pool of an instance of this backend; DriverError if its host is not one of this backend's pools. */
  poolOf(instance: ShareInstance): ResolvedEfsPool {
    const ids = { shareId: instance.share_id };
    let host: Host;
    try {
      host = parseHost(instance.host);
    } catch (err) {
      throw new DriverError(`Instance ${instance.id} has no valid host: ${(err as Error).message}`, ids, { cause: err });
    }
    if (`${host.host}@${host.backend}` !== this.backendHost) {
      throw new DriverError(`Instance ${instance.id} is on ${instance.host}, not on ${this.backendHost}`, ids);
    }
    const pool = this.pools.get(host.pool);
    if (!pool) throw new DriverError(`Instance ${instance.id} is in pool "${host.pool}", which ${this.backendHost} does not have`, ids);
    return pool;
  }

  /** The extra specs of the instance's share type, and how messages name that type. */
  async specsOf(instance: ShareInstance): Promise<{ specs: Specs; label: string }> {
    const type = await this.#deps.shareTypes.get(instance.share_type_id);
    if (!type) throw new DriverError(`Share type ${instance.share_type_id} of instance ${instance.id} does not exist`, { shareId: instance.share_id });
    return { specs: type.extra_specs, label: `Share type "${type.name}"` };
  }

  /** The tags of everything created for an instance. */
  tags(instance: ShareInstance, pool: ResolvedEfsPool): Tag[] {
    return [
      { Key: EfsTag.NAME, Value: `share-${instance.id}` },
      { Key: EfsTag.INSTANCE_ID, Value: instance.id },
      { Key: EfsTag.SHARE_ID, Value: instance.share_id },
      { Key: EfsTag.BACKEND, Value: this.backendHost },
      { Key: EfsTag.POOL, Value: pool.name },
    ];
  }

  fileSystemArn(fileSystem: FileSystemDescription): string {
    return fileSystem.FileSystemArn ?? this.arn(fileSystem.OwnerId, `file-system/${fileSystem.FileSystemId}`);
  }

  arn(account: string | undefined, resource: string): string {
    const partition = this.config.region.startsWith('cn-') ? 'aws-cn' : this.config.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
    return `arn:${partition}:elasticfilesystem:${this.config.region}:${account ?? ''}:${resource}`;
  }

  /** The waiting budget of a call starting now (`wait_timeout_seconds`). */
  deadline(): Deadline {
    const seconds = this.config.wait_timeout_seconds;
    return { until: this.now().getTime() + seconds * 1000, seconds };
  }

  /** Probes until it yields a value; EfsNotReadyError, naming what it waited for, once the call's budget is spent. */
  async poll<T>(deadline: Deadline, ids: ErrorIds, probe: () => Promise<Probe<T>>): Promise<T> {
    const interval = this.config.poll_interval_seconds * 1000;
    for (;;) {
      const result = await probe();
      if ('value' in result) return result.value;
      if (this.now().getTime() + interval > deadline.until) {
        throw new EfsNotReadyError(`${this.backendHost}: ${result.waiting} after waiting ${deadline.seconds}s; calling again resumes`, ids);
      }
      await (this.#deps.sleep ?? delay)(interval);
    }
  }

  now(): Date {
    return this.#deps.clock?.() ?? new Date();
  }

  /** Domain errors pass through; EFS errors become DriverErrors that say what failed (throttling: what to do). */
  async run<T>(action: string, ids: ErrorIds, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      if (err instanceof ShareMigrationError) throw err;
      if (isThrottling(err)) {
        throw new DriverError(
          `${this.backendHost}: ${action} failed: EFS still throttled the request after ${this.config.max_attempts} attempts (${describeEfsError(err)}); ` +
            'retry later, or raise the EFS API request quotas of the account',
          ids,
          { cause: err },
        );
      }
      throw new DriverError(`${this.backendHost}: ${action} failed: ${describeEfsError(err)}`, ids, { cause: err });
    }
  }
}

export function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}

export function sizeOf(fileSystem: FileSystemDescription): number {
  return fileSystem.SizeInBytes?.Value ?? 0;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
