/**
 * The EFS driver: share instances on Amazon Elastic File System, over @aws-sdk/client-efs.
 *
 * `access-point` mode (driver_handles_share_servers=false): a pool is an existing file system; an instance
 * is an access point rooted at `/shares/share-<instance id>`. `file-system` mode
 * (driver_handles_share_servers=true): an instance is its own file system with a mount target per
 * configured subnet; whole file systems migrate natively by EFS replication. See README.md.
 *
 * The driver is composed of parts (parts.ts), given by the function's composition root: each part's module
 * imports only the EFS commands it sends, so a bundle holds, and a function's role is granted
 * (efs-actions.ts), only what the function calls. This module imports no part: all-parts.ts wires them all.
 */
import type { Host } from '../../core/host.ts';
import type { AccessRule, ExportLocation, PoolCapabilities, ShareInstance } from '../../core/model.ts';
import type {
  CreateInstanceRequest, DataPurge, DriverMigrationRequest, DriverMigrationStatus, MigrationCompatibility, ShareDriver, SwitchoverBlockers,
} from '../driver.ts';
import { EfsBackend, type EfsBackendDeps } from './backend.ts';
import { resolveEfsBackendConfig, type EfsBackendConfig, type ResolvedEfsBackendConfig } from './config.ts';
import type { EfsDriverMethod } from './efs-actions.ts';
import { EfsPartMissingError } from './errors.ts';
import type { EfsCopyMount, EfsDriverParts, EfsPartTypes } from './parts.ts';

export { EFS_DRIVER_VERSION, EFS_STORAGE_PROTOCOL, EFS_VENDOR_NAME, type ShareTypeLookup } from './backend.ts';
export type { EfsCopyMount } from './parts.ts';

export interface EfsDriverDeps extends EfsBackendDeps {
  /**
   * The parts this driver can use. A method whose part is missing throws EfsPartMissingError; give a
   * function only the parts it calls (`allEfsParts` from all-parts.ts gives every one).
   */
  readonly parts: EfsDriverParts;
  /**
   * The EFS driver of another backend (`host@backend`), for driver-assisted migration between backends.
   * @default - migrations only between pools of this backend
   */
  readonly peer?: (backendHost: string) => EfsDriver | undefined;
}

export class EfsDriver implements ShareDriver {
  /** The backend as the parts see it (config, client, waits); a peer's is used for the other side of a migration. */
  readonly backend: EfsBackend;
  readonly backendHost: string;
  readonly driverHandlesShareServers: boolean;
  readonly #parts: EfsDriverParts;

  /** Validates `config` (EfsConfigError saying what to fix); calls nothing until the first call. */
  constructor(config: EfsBackendConfig, deps: EfsDriverDeps) {
    const { parts, peer, ...backendDeps } = deps;
    const resolved = resolveEfsBackendConfig(config, { defaultRegion: deps.defaultRegion });
    this.backend = new EfsBackend(resolved, backendDeps, (backendHost) => peer?.(backendHost)?.backend);
    this.backendHost = this.backend.backendHost;
    this.driverHandlesShareServers = this.backend.driverHandlesShareServers;
    this.#parts = parts;
  }

  get config(): ResolvedEfsBackendConfig {
    return this.backend.config;
  }

  async listPools(): Promise<PoolCapabilities[]> {
    const part = this.#part('pools', 'listPools');
    return this.backend.run('listing pools', {}, () => part.listPools(this.backend));
  }

  async createInstance(request: CreateInstanceRequest): Promise<readonly ExportLocation[]> {
    const part = this.#part('instances', 'createInstance');
    const { instance } = request;
    return this.backend.run(`creating instance ${instance.id}`, { shareId: instance.share_id }, () => part.createInstance(this.backend, request));
  }

  async deleteInstance(instance: ShareInstance): Promise<void> {
    const part = this.#part('instances', 'deleteInstance');
    return this.backend.run(`deleting instance ${instance.id}`, { shareId: instance.share_id }, () => part.deleteInstance(this.backend, instance));
  }

  async getCopyMount(instance: ShareInstance): Promise<EfsCopyMount> {
    const part = this.#part('instances', 'getCopyMount');
    return this.backend.run(`locating instance ${instance.id}`, { shareId: instance.share_id }, () => part.getCopyMount(this.backend, instance));
  }

  /** From CloudWatch's ClientConnections of the instance's file system (parts/switchover.ts). */
  async switchoverBlockers(instance: ShareInstance, readOnlySince: Date): Promise<SwitchoverBlockers> {
    const part = this.#part('switchover', 'switchoverBlockers');
    return this.backend.run(`counting the clients of instance ${instance.id}`, { shareId: instance.share_id }, () =>
      part.switchoverBlockers(this.backend, instance, readOnlySince),
    );
  }

  /** An access-point instance's folder (EFS has no call that removes it); null for a file-system instance. */
  async dataLeftBehind(instance: ShareInstance): Promise<DataPurge | null> {
    const part = this.#part('instances', 'dataLeftBehind');
    return this.backend.run(`looking for data instance ${instance.id} left`, { shareId: instance.share_id }, () => part.dataLeftBehind(this.backend, instance));
  }

  /** EFS is elastic: the recorded size changes, nothing on AWS (parts/instance-sizes.ts). */
  async extendInstance(instance: ShareInstance, newSizeGb: number): Promise<void> {
    const part = this.#part('instances', 'extendInstance');
    return this.backend.run(`extending instance ${instance.id}`, { shareId: instance.share_id }, () => part.extendInstance(this.backend, instance, newSizeGb));
  }

  /** Refused when a file-system instance's metered size exceeds the new size (parts/instance-sizes.ts). */
  async shrinkInstance(instance: ShareInstance, newSizeGb: number): Promise<void> {
    const part = this.#part('instances', 'shrinkInstance');
    return this.backend.run(`shrinking instance ${instance.id}`, { shareId: instance.share_id }, () => part.shrinkInstance(this.backend, instance, newSizeGb));
  }

  async applyAccessRules(instance: ShareInstance, rules: readonly AccessRule[], options: { readOnly: boolean }): Promise<void> {
    const part = this.#part('accessRules', 'applyAccessRules');
    return this.backend.run(`applying access rules to instance ${instance.id}`, { shareId: instance.share_id }, () =>
      part.applyAccessRules(this.backend, instance, rules, options),
    );
  }

  async migrationCheckCompatibility(source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility> {
    const part = this.#part('replication', 'migrationCheckCompatibility');
    return this.backend.run(`checking migration compatibility of instance ${source.id}`, { shareId: source.share_id }, () =>
      part.migrationCheckCompatibility(this.backend, source, destinationHost),
    );
  }

  async migrationStart(request: DriverMigrationRequest): Promise<void> {
    const part = this.#part('replication', 'migrationStart');
    return this.backend.run(`starting migration of instance ${request.source.id}`, { shareId: request.source.share_id }, () =>
      part.migrationStart(this.backend, request),
    );
  }

  async migrationContinue(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    const part = this.#part('replication', 'migrationContinue');
    return this.backend.run(`continuing migration of instance ${request.source.id}`, { shareId: request.source.share_id }, () =>
      part.migrationContinue(this.backend, request),
    );
  }

  async migrationComplete(request: DriverMigrationRequest): Promise<readonly ExportLocation[]> {
    const part = this.#part('replication', 'migrationComplete');
    return this.backend.run(`completing migration of instance ${request.source.id}`, { shareId: request.source.share_id }, () =>
      part.migrationComplete(this.backend, request),
    );
  }

  /** DriverMigrationCommittedError (passed through unchanged) once the switch is recorded. */
  async migrationCancel(request: DriverMigrationRequest): Promise<void> {
    const part = this.#part('replication', 'migrationCancel');
    return this.backend.run(`cancelling migration of instance ${request.source.id}`, { shareId: request.source.share_id }, () =>
      part.migrationCancel(this.backend, request),
    );
  }

  async migrationGetProgress(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    const part = this.#part('replication', 'migrationGetProgress');
    return this.backend.run(`reading migration progress of instance ${request.source.id}`, { shareId: request.source.share_id }, () =>
      part.migrationGetProgress(this.backend, request),
    );
  }

  /** The part `method` needs; EfsPartMissingError, outside the error wrapping, when the driver was composed without it. */
  #part<K extends keyof EfsPartTypes>(name: K, method: EfsDriverMethod): EfsPartTypes[K] {
    const part = this.#parts[name];
    if (!part) throw new EfsPartMissingError(this.backendHost, method, name);
    return part as EfsPartTypes[K];
  }
}
