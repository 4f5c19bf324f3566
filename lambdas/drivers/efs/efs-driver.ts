/**
 * The EFS driver: share instances on Amazon Elastic File System, over @aws-sdk/client-efs.
 *
 * `access-point` mode (driver_handles_share_servers=false): a pool is an existing file system; an
 * instance is an access point rooted at `/shares/share-<instance id>`, created with the owner and mode of
 * the share type or the backend config, tagged with the instance and share ids. Its ClientToken is derived
 * from the instance id, so a retried create never makes a second one.
 *
 * `file-system` mode (driver_handles_share_servers=true): an instance is its own file system, created with
 * its share type's `efs:*` specs (CreationToken derived from the instance id), with one mount target per
 * configured subnet (its "share server"). Whole file systems migrate natively by EFS replication.
 *
 * Access rules are statements of the file system policy (`policy.ts`). The copy task mounts each instance
 * at `/mnt/efs/<instance id>` (`getCopyMount`, `efsVolumeFor`). Calls that wait for EFS do so for at most
 * `wait_timeout_seconds`, then fail with EfsNotReadyError; calling again resumes.
 */
import {
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  CreateReplicationConfigurationCommand,
  DeleteAccessPointCommand,
  DeleteFileSystemCommand,
  DeleteFileSystemPolicyCommand,
  DeleteMountTargetCommand,
  DeleteReplicationConfigurationCommand,
  DescribeAccessPointsCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  DescribeReplicationConfigurationsCommand,
  PutFileSystemPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFileSystemProtectionCommand,
  type AccessPointDescription,
  type Destination,
  type EFSClient,
  type FileSystemDescription,
  type MountTargetDescription,
  type ReplicationConfigurationDescription,
  type Tag,
} from '@aws-sdk/client-efs';
import { DriverError, ShareMigrationError, type ErrorIds } from '../../core/errors.ts';
import { formatHost, parseHost, type Host } from '../../core/host.ts';
import type { AccessRule, ExportLocation, PoolCapabilities, ShareInstance, ShareType } from '../../core/model.ts';
import type {
  CopyMount,
  CreateInstanceRequest,
  DriverMigrationRequest,
  DriverMigrationStatus,
  MigrationCompatibility,
  ShareDriver,
} from '../driver.ts';
import { createEfsClient, describeEfsError, isEfsError, isThrottling } from './client.ts';
import {
  DEFAULT_ROOT_DIRECTORY,
  EfsMode,
  resolveEfsBackendConfig,
  type EfsBackendConfig,
  type ResolvedEfsBackendConfig,
  type ResolvedEfsFileSystemSettings,
  type ResolvedEfsPool,
} from './config.ts';
import { EfsNotReadyError } from './errors.ts';
import {
  accessPointExportLocations,
  accessPointIdFrom,
  copyMountPath,
  creationToken,
  EfsTag,
  fileSystemExportLocations,
  instanceFolder,
  statementPrefix,
  type EfsVolume,
} from './naming.ts';
import {
  instanceStatements,
  parsePolicy,
  ruleProblem,
  samePolicy,
  serializePolicy,
  withInstanceStatements,
  withReadOnly,
  type PolicyDocument,
  type PolicyTarget,
} from './policy.ts';
import { fileSystemSettingsFrom, mismatchesWith, rootDirectoryFrom } from './specs.ts';

export const EFS_DRIVER_VERSION = '1.0.0';
export const EFS_VENDOR_NAME = 'Amazon';
export const EFS_STORAGE_PROTOCOL = 'NFS';

const GIB = 1024 ** 3;

/** The share types the driver reads an instance's `efs:*` extra specs from (the domain's ShareTypeStore fits). */
export interface ShareTypeLookup {
  get(id: string): Promise<ShareType | null>;
}

/** A folder of a file system, for `purgeFolder`. */
export interface EfsFolder {
  readonly fileSystemId: string;
  readonly region: string;
  readonly path: string;
}

export interface EfsDriverDeps {
  readonly shareTypes: ShareTypeLookup;
  /** The region of a backend whose config names none. */
  readonly defaultRegion?: string;
  /**
   * The EFS client of a region.
   * @default - createEfsClient(region, config.max_attempts), one per driver
   */
  readonly clientFor?: (region: string) => EFSClient;
  /**
   * The EFS driver of another backend (`host@backend`), for driver-assisted migration between backends.
   * @default - migrations only between pools of this backend
   */
  readonly peer?: (backendHost: string) => EfsDriver | undefined;
  /**
   * Removes an access-point instance's folder and everything in it when the instance is deleted. EFS has
   * no API for a file system's contents, so this needs something that mounts the file system (e.g. a
   * Lambda function with the file system's root access point attached). Must succeed if the folder is gone.
   * @default - the folder stays; deleting the access point only removes the way in
   */
  readonly purgeFolder?: (folder: EfsFolder) => Promise<void>;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default - the system clock */
  readonly clock?: () => Date;
}

/** getCopyMount's answer: where the copy container finds the instance, and the volume that puts it there. */
export interface EfsCopyMount extends CopyMount {
  /** `/mnt/efs/<instance id>` */
  readonly path: string;
  readonly volume: EfsVolume;
}

const COMPATIBLE: MigrationCompatibility = {
  compatible: true,
  writable: true,
  nondisruptive: false,
  preserve_metadata: true,
  preserve_snapshots: false,
};

function incompatible(reason: string): MigrationCompatibility {
  return { compatible: false, writable: false, nondisruptive: false, preserve_metadata: false, preserve_snapshots: false, reason };
}

const PHASE1_DONE: DriverMigrationStatus = { phase1Done: true, totalProgress: 100 };
const NOT_STARTED: DriverMigrationStatus = { phase1Done: false, totalProgress: 0 };

type Probe<T> = { readonly value: T } | { readonly waiting: string };

/** The end of one call's waiting budget. */
interface Deadline {
  readonly until: number;
  readonly seconds: number;
}

interface AccessPointInstance {
  readonly pool: ResolvedEfsPool;
  readonly fileSystemId: string;
  readonly accessPoint: AccessPointDescription;
}

interface MigrationParts {
  readonly peer: EfsDriver;
  readonly source: FileSystemDescription | null;
  readonly destination: FileSystemDescription | null;
}

export class EfsDriver implements ShareDriver {
  readonly backendHost: string;
  readonly driverHandlesShareServers: boolean;
  readonly config: ResolvedEfsBackendConfig;
  readonly #deps: EfsDriverDeps;
  readonly #pools: ReadonlyMap<string, ResolvedEfsPool>;
  #efs: EFSClient | undefined;

  /** Validates `config` (EfsConfigError saying what to fix); calls nothing until the first call. */
  constructor(config: EfsBackendConfig, deps: EfsDriverDeps) {
    this.config = resolveEfsBackendConfig(config, { defaultRegion: deps.defaultRegion });
    this.#deps = deps;
    this.backendHost = `${this.config.host}@${this.config.backend}`;
    this.driverHandlesShareServers = this.config.mode === EfsMode.FILE_SYSTEM;
    this.#pools = new Map(this.config.pools.map((pool) => [pool.name, pool]));
  }

  /** The client of this backend's region. */
  get client(): EFSClient {
    this.#efs ??= this.#deps.clientFor?.(this.config.region) ?? createEfsClient(this.config.region, this.config.max_attempts);
    return this.#efs;
  }

  async listPools(): Promise<PoolCapabilities[]> {
    return this.#run('listing pools', {}, async () => {
      if (this.config.mode === EfsMode.ACCESS_POINT) {
        return Promise.all(this.config.pools.map(async (pool) => {
          const fileSystem = await this.#describeFileSystem(pool.file_system_id!);
          if (!fileSystem) {
            throw new DriverError(`${this.backendHost}: file system ${pool.file_system_id} of pool "${pool.name}" does not exist in ${this.config.region}`);
          }
          return this.#capabilities(pool, sizeOf(fileSystem), fileSystemCapabilities(fileSystem));
        }));
      }
      const managed = await this.#managedFileSystems();
      return this.config.pools.map((pool) => {
        const mine = managed.filter((fileSystem) => tagValue(fileSystem.Tags, EfsTag.POOL) === pool.name);
        const used = mine.reduce((sum, fileSystem) => sum + sizeOf(fileSystem), 0);
        return this.#capabilities(pool, used, { ...settingsCapabilities(pool.file_system!), efs_file_systems: mine.length });
      });
    });
  }

  async createInstance(request: CreateInstanceRequest): Promise<readonly ExportLocation[]> {
    const { instance } = request;
    const ids = { shareId: instance.share_id };
    return this.#run(`creating instance ${instance.id}`, ids, async () => {
      const pool = this.#poolOf(instance);
      if (pool.name !== request.pool) {
        throw new DriverError(`Instance ${instance.id} is on ${instance.host} but was asked to be created in pool "${request.pool}"`, ids);
      }
      const { specs, label } = await this.#specsOf(instance);
      if (this.config.mode === EfsMode.ACCESS_POINT) return this.#createAccessPoint(instance, pool, specs, label);
      const deadline = this.#deadline();
      const fileSystem = await this.#ensureFileSystem(instance, pool, specs, label, deadline);
      await this.#ensureMountTargets(fileSystem, ids);
      return fileSystemExportLocations(fileSystem.FileSystemId!, this.config.region);
    });
  }

  /**
   * Access point: its policy statements, its folder (with `purgeFolder`), then the access point.
   * File system: its mount targets (waiting until they are gone), then the file system.
   * Succeeds when the instance is already gone.
   */
  async deleteInstance(instance: ShareInstance): Promise<void> {
    const ids = { shareId: instance.share_id };
    return this.#run(`deleting instance ${instance.id}`, ids, async () => {
      const pool = this.#poolOf(instance);
      if (this.config.mode === EfsMode.FILE_SYSTEM) {
        const fileSystem = await this.#findFileSystem(instance);
        if (fileSystem) await this.#deleteFileSystem(fileSystem, ids, this.#deadline());
        return;
      }
      const fileSystemId = pool.file_system_id!;
      const prefix = statementPrefix(instance.id);
      const policyKept = await this.#updatePolicy(fileSystemId, (policy) => withInstanceStatements(policy, prefix, []));
      if (!policyKept) return; // The file system itself is gone.
      const accessPoint = await this.#findAccessPoint(instance, fileSystemId);
      if (!accessPoint) return;
      await this.#deps.purgeFolder?.({ fileSystemId, region: this.config.region, path: instanceFolder(instance) });
      try {
        await this.client.send(new DeleteAccessPointCommand({ AccessPointId: accessPoint.AccessPointId }));
      } catch (err) {
        if (!isEfsError(err, 'AccessPointNotFound')) throw err;
      }
    });
  }

  /**
   * Makes `rules` the instance's statements in the file system policy; other statements stay. Only access
   * type `user` with an IAM principal ARN is possible: anything else is refused before the policy is touched.
   */
  async applyAccessRules(instance: ShareInstance, rules: readonly AccessRule[], options: { readOnly: boolean }): Promise<void> {
    const ids = { shareId: instance.share_id };
    return this.#run(`applying access rules to instance ${instance.id}`, ids, async () => {
      const problems = rules.flatMap((rule) => {
        const problem = ruleProblem(rule);
        return problem === null ? [] : [`rule ${rule.id} (${rule.access_type} ${rule.access_to}): ${problem}`];
      });
      if (problems.length > 0) {
        throw new DriverError(`${this.backendHost} cannot apply the access rules of instance ${instance.id}: ${problems.join('; ')}`, ids);
      }
      const { fileSystemId, target } = await this.#policyTarget(instance);
      const statements = instanceStatements(target, rules, options.readOnly);
      await this.#updatePolicy(fileSystemId, (policy) => withInstanceStatements(policy, target.sidPrefix, statements));
    });
  }

  /**
   * `/mnt/efs/<instance id>`, and the volume the copy task definition mounts there. The driver cannot know
   * whether the instance is a migration's source or destination; the pipeline registers a task definition
   * with one such volume per instance. A file-system instance's mount targets must be available for the
   * task to mount it: this waits for them.
   */
  async getCopyMount(instance: ShareInstance): Promise<EfsCopyMount> {
    const ids = { shareId: instance.share_id };
    return this.#run(`locating instance ${instance.id}`, ids, async () => {
      const path = copyMountPath(instance.id);
      if (this.config.mode === EfsMode.ACCESS_POINT) {
        const { fileSystemId, accessPoint } = await this.#existingAccessPoint(instance);
        return {
          path,
          volume: { fileSystemId, accessPointId: accessPoint.AccessPointId!, containerPath: path, region: this.config.region, rootDirectory: '/' },
        };
      }
      this.#poolOf(instance);
      const fileSystem = await this.#findFileSystem(instance);
      if (!fileSystem) throw new DriverError(`Instance ${instance.id} does not exist on ${this.backendHost}`, ids);
      await this.#ensureMountTargets(fileSystem, ids);
      await this.#waitForMountTargets(fileSystem, ids, this.#deadline());
      return {
        path,
        volume: { fileSystemId: fileSystem.FileSystemId!, containerPath: path, region: this.config.region, rootDirectory: '/' },
      };
    });
  }

  /**
   * Compatible only from a file-system instance to a pool of a file-system backend this driver can reach
   * (this one, or another configured EFS backend): EFS replication copies whole file systems.
   */
  async migrationCheckCompatibility(source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility> {
    return this.#run(`checking migration compatibility of instance ${source.id}`, { shareId: source.share_id }, () =>
      this.#compatibility(source, destinationHost),
    );
  }

  /**
   * Creates the destination file system (the destination's share type settings, in the destination
   * backend's region, with its mount targets), opens it to replication, and replicates the source to it.
   * The destination is made by the driver rather than by EFS replication so that settings replication
   * would copy from the source (performance and throughput modes) follow the destination's type.
   */
  async migrationStart(request: DriverMigrationRequest): Promise<void> {
    const ids = { shareId: request.source.share_id };
    return this.#run(`starting migration of instance ${request.source.id}`, ids, async () => {
      const compatibility = await this.#compatibility(request.source, request.destinationHost);
      if (!compatibility.compatible) {
        throw new DriverError(`${this.backendHost} cannot migrate instance ${request.source.id}: ${compatibility.reason}`, ids);
      }
      this.#checkDestinationHost(request);
      const peer = this.#peerFor(request.destinationHost)!;
      const source = (await this.#findFileSystem(request.source))!;
      const { specs, label } = await peer.#specsOf(request.destination);
      const pool = peer.#pools.get(request.destinationHost.pool)!;
      const destination = await peer.#ensureFileSystem(request.destination, pool, specs, label, this.#deadline());
      const destinationId = destination.FileSystemId!;
      if (destination.FileSystemProtection?.ReplicationOverwriteProtection === 'ENABLED') {
        await peer.client.send(new UpdateFileSystemProtectionCommand({ FileSystemId: destinationId, ReplicationOverwriteProtection: 'DISABLED' }));
      }
      await peer.#ensureMountTargets(destination, ids);
      const existing = await this.#replicationOf(source.FileSystemId!);
      if (existing) {
        this.#checkReplicationTarget(existing, destinationId, ids);
        return;
      }
      try {
        await this.client.send(new CreateReplicationConfigurationCommand({
          SourceFileSystemId: source.FileSystemId,
          Destinations: [{ Region: peer.config.region, FileSystemId: destinationId }],
        }));
      } catch (err) {
        if (!isEfsError(err, 'ReplicationAlreadyExists')) throw err;
        const raced = await this.#replicationOf(source.FileSystemId!);
        if (!raced) throw err;
        this.#checkReplicationTarget(raced, destinationId, ids);
      }
    });
  }

  /** Phase 1 is done once the replication has completed its first sync (LastReplicatedTimestamp is set). */
  async migrationContinue(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    const ids = { shareId: request.source.share_id };
    return this.#run(`continuing migration of instance ${request.source.id}`, ids, async () => {
      const { source, destination } = await this.#migrationParts(request);
      const replication = source && destination ? await this.#replicationTo(source, destination) : undefined;
      if (!source || !destination || !replication) throw this.#notStarted(request);
      if (replication.Status === 'ERROR') {
        throw new DriverError(`EFS replication from ${source.FileSystemId} to ${destination.FileSystemId} failed: ${replication.StatusMessage ?? 'no reason given'}`, ids);
      }
      return replicationStatus(replication, source, destination);
    });
  }

  async migrationGetProgress(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    return this.#run(`reading migration progress of instance ${request.source.id}`, { shareId: request.source.share_id }, async () => {
      const { source, destination } = await this.#migrationParts(request);
      if (!source || !destination) return NOT_STARTED;
      if (tagValue(source.Tags, EfsTag.MIGRATED_TO) === destination.FileSystemId) return PHASE1_DONE;
      const replication = await this.#replicationTo(source, destination);
      return replication ? replicationStatus(replication, source, destination) : NOT_STARTED;
    });
  }

  /**
   * The switchover: the source goes read-only (its policy statements lose ClientWrite and a Deny of
   * ClientWrite is added; the moment is kept in the source's `smig:read-only-since` tag), the driver waits
   * for a replication sync that finished after that moment, records the switch (`smig:migrated-to`),
   * deletes the replication so the destination becomes writable, and returns the destination's export
   * locations once its mount targets are available. The source file system is kept, read-only and tagged.
   * Each stage is recorded on EFS, so a call that fails or runs out of waiting time resumes where it stopped.
   */
  async migrationComplete(request: DriverMigrationRequest): Promise<readonly ExportLocation[]> {
    const ids = { shareId: request.source.share_id };
    return this.#run(`completing migration of instance ${request.source.id}`, ids, async () => {
      const { peer, source, destination } = await this.#migrationParts(request);
      if (!destination) throw this.#notStarted(request);
      if (!source) throw new DriverError(`The source file system of instance ${request.source.id} does not exist on ${this.backendHost}`, ids);
      const sourceId = source.FileSystemId!;
      const destinationId = destination.FileSystemId!;
      const deadline = this.#deadline();
      if (tagValue(source.Tags, EfsTag.MIGRATED_TO) !== destinationId) {
        const replication = await this.#replicationTo(source, destination);
        if (!replication) throw this.#notStarted(request);
        const readOnlySince = await this.#makeSourceReadOnly(request.source, source);
        await this.#waitForSyncAfter(source, destination, readOnlySince, ids, deadline);
        await this.client.send(new TagResourceCommand({ ResourceId: sourceId, Tags: [{ Key: EfsTag.MIGRATED_TO, Value: destinationId }] }));
        try {
          await this.client.send(new DeleteReplicationConfigurationCommand({ SourceFileSystemId: sourceId }));
        } catch (err) {
          if (!isEfsError(err, 'ReplicationNotFound')) throw err;
        }
      }
      await peer.#waitUntilWritable(destinationId, ids, deadline);
      await peer.#waitForMountTargets(destination, ids, deadline);
      return fileSystemExportLocations(destinationId, peer.config.region);
    });
  }

  /**
   * Deletes the replication and the destination file system, and gives the source back its write access if
   * migrationComplete had taken it. Refused once the switch is recorded: the destination may then hold the
   * only current data.
   */
  async migrationCancel(request: DriverMigrationRequest): Promise<void> {
    const ids = { shareId: request.source.share_id };
    return this.#run(`cancelling migration of instance ${request.source.id}`, ids, async () => {
      const { peer, source, destination } = await this.#migrationParts(request);
      const deadline = this.#deadline();
      if (source && destination && tagValue(source.Tags, EfsTag.MIGRATED_TO) === destination.FileSystemId) {
        throw new DriverError(
          `Migration of instance ${request.source.id} was already switched to file system ${destination.FileSystemId}; nothing was deleted`,
          ids,
        );
      }
      if (source) {
        if (destination && (await this.#replicationTo(source, destination))) {
          try {
            await this.client.send(new DeleteReplicationConfigurationCommand({ SourceFileSystemId: source.FileSystemId }));
          } catch (err) {
            if (!isEfsError(err, 'ReplicationNotFound')) throw err;
          }
          await this.#poll(deadline, ids, async () => {
            const replication = await this.#replicationOf(source.FileSystemId!);
            return replication ? { waiting: `the replication of ${source.FileSystemId} is still ${replication.Destinations?.[0]?.Status ?? 'present'}` } : { value: true };
          });
        }
        if (tagValue(source.Tags, EfsTag.READ_ONLY_SINCE) !== undefined) {
          const target = { fileSystemArn: this.#fileSystemArn(source), sidPrefix: statementPrefix(request.source.id) };
          await this.#updatePolicy(source.FileSystemId!, (policy) => withReadOnly(policy, target, false));
          await this.client.send(new UntagResourceCommand({ ResourceId: source.FileSystemId, TagKeys: [EfsTag.READ_ONLY_SINCE] }));
        }
      }
      if (destination) await peer.#deleteFileSystem(destination, ids, deadline);
    });
  }

  // ---- access points ----

  async #createAccessPoint(instance: ShareInstance, pool: ResolvedEfsPool, specs: Readonly<Record<string, string>>, label: string): Promise<ExportLocation[]> {
    const ids = { shareId: instance.share_id };
    const fileSystemId = pool.file_system_id!;
    const folder = instanceFolder(instance);
    const root = rootDirectoryFrom(specs, this.config.root_directory ?? DEFAULT_ROOT_DIRECTORY, label, (message) => {
      throw new DriverError(message, ids);
    });
    const fileSystem = await this.#describeFileSystem(fileSystemId);
    if (!fileSystem) throw new DriverError(`${this.backendHost}: file system ${fileSystemId} of pool "${pool.name}" does not exist in ${this.config.region}`, ids);
    const mismatches = mismatchesWith(specs, fileSystem);
    if (mismatches.length > 0) {
      throw new DriverError(`${label} does not fit file system ${fileSystemId} of ${this.backendHost}#${pool.name}: ${mismatches.join('; ')}`, ids);
    }
    const posix = this.config.posix_user;
    let accessPointId: string | undefined;
    try {
      const created = await this.client.send(new CreateAccessPointCommand({
        ClientToken: creationToken(instance.id),
        FileSystemId: fileSystemId,
        ...(posix === undefined ? {} : { PosixUser: { Uid: posix.uid, Gid: posix.gid, ...(posix.secondary_gids ? { SecondaryGids: [...posix.secondary_gids] } : {}) } }),
        RootDirectory: {
          Path: folder,
          CreationInfo: { OwnerUid: root.owner_uid, OwnerGid: root.owner_gid, Permissions: root.permissions },
        },
        Tags: this.#tags(instance, pool),
      }));
      accessPointId = created.AccessPointId;
    } catch (err) {
      if (isEfsError(err, 'AccessPointAlreadyExists')) {
        accessPointId = err.AccessPointId as string | undefined;
      } else if (isEfsError(err, 'AccessPointLimitExceeded')) {
        throw new DriverError(
          `File system ${fileSystemId} (${this.backendHost}#${pool.name}) has as many access points as EFS allows: delete access points no share uses, ` +
            `or add another file system to this backend as a pool (pools[].file_system_id) and create the share there`,
          ids,
          { cause: err },
        );
      } else {
        throw err;
      }
    }
    if (accessPointId === undefined) throw new DriverError(`EFS created no access point for instance ${instance.id}`, ids);
    return accessPointExportLocations(fileSystemId, this.config.region, folder, accessPointId);
  }

  /**
   * The instance's access point: the one its export locations name if that is it, else the one of the
   * file system whose ClientToken (or instance tag) is the instance's. Null when there is none.
   */
  async #findAccessPoint(instance: ShareInstance, fileSystemId: string): Promise<AccessPointDescription | null> {
    const token = creationToken(instance.id);
    const isInstance = (accessPoint: AccessPointDescription) =>
      accessPoint.FileSystemId === fileSystemId &&
      (accessPoint.ClientToken === token || tagValue(accessPoint.Tags, EfsTag.INSTANCE_ID) === instance.id);
    const named = accessPointIdFrom(instance.export_locations);
    if (named !== undefined) {
      try {
        const { AccessPoints: found = [] } = await this.client.send(new DescribeAccessPointsCommand({ AccessPointId: named }));
        const accessPoint = found.find(isInstance);
        if (accessPoint) return accessPoint;
      } catch (err) {
        if (!isEfsError(err, 'AccessPointNotFound')) throw err;
      }
    }
    let next: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId, MaxResults: 100, ...(next ? { NextToken: next } : {}) }));
      } catch (err) {
        if (isEfsError(err, 'FileSystemNotFound')) return null;
        throw err;
      }
      const accessPoint = (page.AccessPoints ?? []).find(isInstance);
      if (accessPoint) return accessPoint;
      next = page.NextToken;
    } while (next);
    return null;
  }

  async #existingAccessPoint(instance: ShareInstance): Promise<AccessPointInstance> {
    const pool = this.#poolOf(instance);
    const fileSystemId = pool.file_system_id!;
    const accessPoint = await this.#findAccessPoint(instance, fileSystemId);
    if (!accessPoint) {
      throw new DriverError(`Instance ${instance.id} does not exist on ${this.backendHost} (no access point of ${fileSystemId} is its)`, {
        shareId: instance.share_id,
      });
    }
    return { pool, fileSystemId, accessPoint };
  }

  // ---- file systems ----

  async #ensureFileSystem(
    instance: ShareInstance,
    pool: ResolvedEfsPool,
    specs: Readonly<Record<string, string>>,
    label: string,
    deadline: Deadline,
  ): Promise<FileSystemDescription> {
    const ids = { shareId: instance.share_id };
    const settings = fileSystemSettingsFrom(specs, pool.file_system!, label, (message) => {
      throw new DriverError(message, ids);
    });
    const zone = settings.availability_zone;
    if (zone !== undefined && this.config.mount_target_subnets?.[zone] === undefined) {
      throw new DriverError(`${label} asks for One Zone storage in ${zone}, but ${this.backendHost} has no mount target subnet there`, ids);
    }
    const create = async (): Promise<string> => {
      let fileSystemId: string | undefined;
      try {
        const created = await this.client.send(new CreateFileSystemCommand({
          CreationToken: creationToken(instance.id),
          PerformanceMode: settings.performance_mode,
          ThroughputMode: settings.throughput_mode,
          ...(settings.provisioned_throughput_mibps === undefined ? {} : { ProvisionedThroughputInMibps: settings.provisioned_throughput_mibps }),
          Encrypted: settings.encrypted,
          ...(settings.kms_key_id === undefined ? {} : { KmsKeyId: settings.kms_key_id }),
          ...(zone === undefined ? {} : { AvailabilityZoneName: zone }),
          Tags: this.#tags(instance, pool),
        }));
        fileSystemId = created.FileSystemId;
      } catch (err) {
        if (isEfsError(err, 'FileSystemAlreadyExists')) {
          fileSystemId = err.FileSystemId as string | undefined;
        } else if (isEfsError(err, 'FileSystemLimitExceeded')) {
          throw new DriverError(
            `The account has as many EFS file systems in ${this.config.region} as it may: delete unused ones or ask AWS for a higher quota`,
            ids,
            { cause: err },
          );
        } else {
          throw err;
        }
      }
      if (fileSystemId === undefined) throw new DriverError(`EFS created no file system for instance ${instance.id}`, ids);
      return fileSystemId;
    };
    let id = await create();
    // An earlier file system of this instance that is being deleted (a cancelled driver-assisted start,
    // before the host-assisted fallback creates the same destination instance) holds the token until it
    // is gone: wait for it, then create again.
    return this.#poll<FileSystemDescription>(deadline, ids, async () => {
      const fileSystem = await this.#describeFileSystem(id);
      if (!fileSystem || fileSystem.LifeCycleState === 'deleted') {
        id = await create();
        return { waiting: `file system ${id} of instance ${instance.id} is being created again after an earlier one was deleted` };
      }
      if (fileSystem.LifeCycleState === 'available') return { value: fileSystem };
      if (fileSystem.LifeCycleState === 'error') throw new DriverError(`EFS could not create file system ${id} of instance ${instance.id}`, ids);
      if (fileSystem.LifeCycleState === 'deleting') return { waiting: `an earlier file system ${id} of instance ${instance.id} is still being deleted` };
      return { waiting: `file system ${id} is still ${fileSystem.LifeCycleState}` };
    });
  }

  /** The file system an instance was created as (by its CreationToken), or null. */
  async #findFileSystem(instance: ShareInstance): Promise<FileSystemDescription | null> {
    const { FileSystems: found = [] } = await this.client.send(new DescribeFileSystemsCommand({ CreationToken: creationToken(instance.id) }));
    return found.find((fileSystem) => fileSystem.LifeCycleState !== 'deleted') ?? null;
  }

  async #describeFileSystem(fileSystemId: string): Promise<FileSystemDescription | null> {
    try {
      const { FileSystems: found = [] } = await this.client.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId }));
      return found[0] ?? null;
    } catch (err) {
      if (isEfsError(err, 'FileSystemNotFound')) return null;
      throw err;
    }
  }

  /** The file systems this backend created (tagged with it). */
  async #managedFileSystems(): Promise<FileSystemDescription[]> {
    const all: FileSystemDescription[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(new DescribeFileSystemsCommand(marker ? { Marker: marker } : {}));
      all.push(...(page.FileSystems ?? []));
      marker = page.NextMarker;
    } while (marker);
    return all.filter((fileSystem) => tagValue(fileSystem.Tags, EfsTag.BACKEND) === this.backendHost && fileSystem.LifeCycleState !== 'deleted');
  }

  /** One mount target per configured zone (only the file system's own zone for One Zone); creates the missing ones. */
  async #ensureMountTargets(fileSystem: FileSystemDescription, ids: ErrorIds): Promise<void> {
    const fileSystemId = fileSystem.FileSystemId!;
    const existing = await this.#mountTargets(fileSystemId);
    for (const [zone, subnet] of this.#wantedSubnets(fileSystem, ids)) {
      if (existing.some((target) => target.SubnetId === subnet || target.AvailabilityZoneName === zone)) continue;
      try {
        const groups = this.config.security_group_ids ?? [];
        await this.client.send(new CreateMountTargetCommand({
          FileSystemId: fileSystemId,
          SubnetId: subnet,
          ...(groups.length > 0 ? { SecurityGroups: [...groups] } : {}),
        }));
      } catch (err) {
        if (!isEfsError(err, 'MountTargetConflict')) throw err;
      }
    }
  }

  async #waitForMountTargets(fileSystem: FileSystemDescription, ids: ErrorIds, deadline: Deadline): Promise<void> {
    const fileSystemId = fileSystem.FileSystemId!;
    const wanted = this.#wantedSubnets(fileSystem, ids);
    await this.#poll(deadline, ids, async () => {
      const targets = await this.#mountTargets(fileSystemId);
      const pending = wanted.filter(([zone, subnet]) =>
        !targets.some((target) => (target.SubnetId === subnet || target.AvailabilityZoneName === zone) && target.LifeCycleState === 'available'),
      );
      return pending.length === 0
        ? { value: true }
        : { waiting: `mount targets of ${fileSystemId} in ${pending.map(([zone]) => zone).join(', ')} are not available yet` };
    });
  }

  #wantedSubnets(fileSystem: FileSystemDescription, ids: ErrorIds): [string, string][] {
    const subnets = Object.entries(this.config.mount_target_subnets ?? {});
    const zone = fileSystem.AvailabilityZoneName;
    if (zone === undefined) return subnets;
    const own = subnets.filter(([candidate]) => candidate === zone);
    if (own.length === 0) throw new DriverError(`One Zone file system ${fileSystem.FileSystemId} is in ${zone}, where ${this.backendHost} has no mount target subnet`, ids);
    return own;
  }

  async #mountTargets(fileSystemId: string): Promise<MountTargetDescription[]> {
    const all: MountTargetDescription[] = [];
    let marker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId, ...(marker ? { Marker: marker } : {}) }));
      } catch (err) {
        if (isEfsError(err, 'FileSystemNotFound')) return [];
        throw err;
      }
      all.push(...(page.MountTargets ?? []));
      marker = page.NextMarker;
    } while (marker);
    return all;
  }

  /** Mount targets first (EFS refuses to delete a file system that has any), waiting until they are gone. */
  async #deleteFileSystem(fileSystem: FileSystemDescription, ids: ErrorIds, deadline: Deadline): Promise<void> {
    const fileSystemId = fileSystem.FileSystemId!;
    if (fileSystem.LifeCycleState === 'deleting') return;
    for (const target of await this.#mountTargets(fileSystemId)) {
      if (target.LifeCycleState === 'deleting' || target.LifeCycleState === 'deleted') continue;
      try {
        await this.client.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId }));
      } catch (err) {
        if (!isEfsError(err, 'MountTargetNotFound')) throw err;
      }
    }
    await this.#poll(deadline, ids, async () => {
      const left = (await this.#mountTargets(fileSystemId)).filter((target) => target.LifeCycleState !== 'deleted');
      return left.length === 0 ? { value: true } : { waiting: `${left.length} mount target(s) of ${fileSystemId} are still being deleted` };
    });
    try {
      await this.client.send(new DeleteFileSystemCommand({ FileSystemId: fileSystemId }));
    } catch (err) {
      if (!isEfsError(err, 'FileSystemNotFound')) throw err;
    }
  }

  /** A replication destination is read-only until its replication is deleted; EFS then lifts the protection. */
  async #waitUntilWritable(fileSystemId: string, ids: ErrorIds, deadline: Deadline): Promise<void> {
    await this.#poll(deadline, ids, async () => {
      const fileSystem = await this.#describeFileSystem(fileSystemId);
      if (!fileSystem) throw new DriverError(`Destination file system ${fileSystemId} does not exist`, ids);
      return fileSystem.FileSystemProtection?.ReplicationOverwriteProtection === 'REPLICATING'
        ? { waiting: `file system ${fileSystemId} is still a read-only replication destination` }
        : { value: true };
    });
  }

  // ---- policy ----

  /**
   * Reads the file system policy, applies `change`, and writes the result back if it differs (deleting the
   * policy when no statement is left). False when the file system does not exist.
   *
   * The policy is read, changed and written without a condition: EFS has none to offer. Calls for one
   * instance are serialized by the workflow; two instances of one file system changed at the same moment
   * could lose one update, which the next apply of that instance's rules repairs.
   */
  async #updatePolicy(fileSystemId: string, change: (policy: PolicyDocument) => PolicyDocument): Promise<boolean> {
    let current: PolicyDocument;
    let exists = true;
    try {
      const { Policy: text } = await this.client.send(new DescribeFileSystemPolicyCommand({ FileSystemId: fileSystemId }));
      current = parsePolicy(text);
    } catch (err) {
      if (isEfsError(err, 'FileSystemNotFound')) return false;
      if (!isEfsError(err, 'PolicyNotFound')) throw err;
      current = parsePolicy(undefined);
      exists = false;
    }
    const next = change(current);
    if (samePolicy(current, next)) return true;
    if (next.Statement.length === 0) {
      if (exists) {
        try {
          await this.client.send(new DeleteFileSystemPolicyCommand({ FileSystemId: fileSystemId }));
        } catch (err) {
          if (!isEfsError(err, 'PolicyNotFound')) throw err;
        }
      }
      return true;
    }
    await this.client.send(new PutFileSystemPolicyCommand({ FileSystemId: fileSystemId, Policy: serializePolicy(next) }));
    return true;
  }

  async #policyTarget(instance: ShareInstance): Promise<{ fileSystemId: string; target: PolicyTarget }> {
    const sidPrefix = statementPrefix(instance.id);
    if (this.config.mode === EfsMode.ACCESS_POINT) {
      const { fileSystemId, accessPoint } = await this.#existingAccessPoint(instance);
      const accessPointArn = accessPoint.AccessPointArn ?? this.#arn(accessPoint.OwnerId, `access-point/${accessPoint.AccessPointId}`);
      const fileSystemArn = accessPointArn.replace(/:access-point\/[^:/]+$/, `:file-system/${fileSystemId}`);
      return { fileSystemId, target: { fileSystemArn, accessPointArn, sidPrefix } };
    }
    this.#poolOf(instance);
    const fileSystem = await this.#findFileSystem(instance);
    if (!fileSystem) throw new DriverError(`Instance ${instance.id} does not exist on ${this.backendHost}`, { shareId: instance.share_id });
    const fileSystemId = fileSystem.FileSystemId!;
    return { fileSystemId, target: { fileSystemArn: this.#fileSystemArn(fileSystem), sidPrefix } };
  }

  #fileSystemArn(fileSystem: FileSystemDescription): string {
    return fileSystem.FileSystemArn ?? this.#arn(fileSystem.OwnerId, `file-system/${fileSystem.FileSystemId}`);
  }

  #arn(account: string | undefined, resource: string): string {
    const partition = this.config.region.startsWith('cn-') ? 'aws-cn' : this.config.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
    return `arn:${partition}:elasticfilesystem:${this.config.region}:${account ?? ''}:${resource}`;
  }

  // ---- migration ----

  async #compatibility(source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility> {
    this.#poolOf(source);
    if (this.config.mode !== EfsMode.FILE_SYSTEM) {
      return incompatible(
        `${this.backendHost} keeps instances as access points of a shared file system; EFS replication copies whole file systems, so this instance moves by the host-assisted copy`,
      );
    }
    const peer = this.#peerFor(destinationHost);
    if (!peer) {
      return incompatible(`${destinationHost.host}@${destinationHost.backend} is not an EFS backend ${this.backendHost} can reach`);
    }
    if (peer.config.mode !== EfsMode.FILE_SYSTEM) {
      return incompatible(`${peer.backendHost} keeps instances as access points; EFS replication needs a whole file system on both sides`);
    }
    if (!peer.#pools.has(destinationHost.pool)) return incompatible(`${peer.backendHost} has no pool "${destinationHost.pool}"`);
    if (!(await this.#findFileSystem(source))) return incompatible(`the file system of instance ${source.id} does not exist on ${this.backendHost}`);
    return COMPATIBLE;
  }

  #peerFor(host: Host): EfsDriver | undefined {
    const backendHost = `${host.host}@${host.backend}`;
    return backendHost === this.backendHost ? this : this.#deps.peer?.(backendHost);
  }

  async #migrationParts(request: DriverMigrationRequest): Promise<MigrationParts> {
    this.#poolOf(request.source);
    this.#checkDestinationHost(request);
    const peer = this.#peerFor(request.destinationHost);
    if (!peer || peer.config.mode !== EfsMode.FILE_SYSTEM) {
      throw new DriverError(`${formatHost(request.destinationHost)} is not a file-system EFS backend ${this.backendHost} can reach`, {
        shareId: request.source.share_id,
      });
    }
    const [source, destination] = await Promise.all([this.#findFileSystem(request.source), peer.#findFileSystem(request.destination)]);
    return { peer, source, destination };
  }

  #checkDestinationHost(request: DriverMigrationRequest): void {
    const destinationHost = formatHost(request.destinationHost);
    if (request.destination.host !== destinationHost) {
      throw new DriverError(`Destination instance ${request.destination.id} is on ${request.destination.host}, not on ${destinationHost}`, {
        shareId: request.source.share_id,
      });
    }
  }

  #notStarted(request: DriverMigrationRequest): DriverError {
    return new DriverError(`Migration of instance ${request.source.id} to ${request.destination.id} was not started (no EFS replication between them)`, {
      shareId: request.source.share_id,
    });
  }

  /** The replication whose source is `fileSystemId`, or null. */
  async #replicationOf(fileSystemId: string): Promise<ReplicationConfigurationDescription | null> {
    try {
      const { Replications: found = [] } = await this.client.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: fileSystemId }));
      return found.find((replication) => replication.SourceFileSystemId === fileSystemId) ?? null;
    } catch (err) {
      if (isEfsError(err, 'ReplicationNotFound', 'FileSystemNotFound')) return null;
      throw err;
    }
  }

  /** The replication of `source` into `destination`, or undefined. */
  async #replicationTo(source: FileSystemDescription, destination: FileSystemDescription): Promise<Destination | undefined> {
    const replication = await this.#replicationOf(source.FileSystemId!);
    return replication?.Destinations?.find((candidate) => candidate.FileSystemId === destination.FileSystemId);
  }

  #checkReplicationTarget(replication: ReplicationConfigurationDescription, destinationId: string, ids: ErrorIds): void {
    if (replication.Destinations?.some((candidate) => candidate.FileSystemId === destinationId)) return;
    const others = (replication.Destinations ?? []).map((candidate) => `${candidate.FileSystemId} in ${candidate.Region}`).join(', ');
    throw new DriverError(
      `File system ${replication.SourceFileSystemId} already replicates to ${others || 'another file system'}; EFS allows one replication per file system: delete that one first`,
      ids,
    );
  }

  /** Read-only for the final sync: the policy first, then the moment, so the moment is after the policy took effect. */
  async #makeSourceReadOnly(instance: ShareInstance, source: FileSystemDescription): Promise<Date> {
    const target = { fileSystemArn: this.#fileSystemArn(source), sidPrefix: statementPrefix(instance.id) };
    await this.#updatePolicy(source.FileSystemId!, (policy) => withReadOnly(policy, target, true));
    const recorded = tagValue(source.Tags, EfsTag.READ_ONLY_SINCE);
    if (recorded !== undefined && !Number.isNaN(Date.parse(recorded))) return new Date(recorded);
    const now = this.#now();
    await this.client.send(new TagResourceCommand({ ResourceId: source.FileSystemId, Tags: [{ Key: EfsTag.READ_ONLY_SINCE, Value: now.toISOString() }] }));
    return now;
  }

  /** Until a sync finished after `since`: then every write the source acknowledged before it went read-only is on the destination. */
  async #waitForSyncAfter(source: FileSystemDescription, destination: FileSystemDescription, since: Date, ids: ErrorIds, deadline: Deadline): Promise<void> {
    await this.#poll(deadline, ids, async () => {
      const replication = await this.#replicationTo(source, destination);
      if (!replication) throw new DriverError(`The replication from ${source.FileSystemId} to ${destination.FileSystemId} disappeared before the final sync`, ids);
      if (replication.Status === 'ERROR') {
        throw new DriverError(`EFS replication from ${source.FileSystemId} to ${destination.FileSystemId} failed: ${replication.StatusMessage ?? 'no reason given'}`, ids);
      }
      const last = replication.LastReplicatedTimestamp;
      return last !== undefined && last.getTime() > since.getTime()
        ? { value: true }
        : {
            waiting: `EFS replication from ${source.FileSystemId} to ${destination.FileSystemId} has not synced since the source went read-only at ${since.toISOString()} (last sync: ${last?.toISOString() ?? 'none'})`,
          };
    });
  }

  // ---- common ----

  #capabilities(pool: ResolvedEfsPool, usedBytes: number, extra: Record<string, unknown>): PoolCapabilities {
    return {
      pool_name: pool.name,
      share_backend_name: this.config.share_backend_name,
      vendor_name: EFS_VENDOR_NAME,
      driver_version: EFS_DRIVER_VERSION,
      storage_protocol: EFS_STORAGE_PROTOCOL,
      total_capacity_gb: pool.total_capacity_gb,
      free_capacity_gb: roundDown(Math.max(0, pool.total_capacity_gb - usedBytes / GIB)),
      reserved_percentage: 0,
      driver_handles_share_servers: this.driverHandlesShareServers,
      snapshot_support: false,
      create_share_from_snapshot_support: false,
      revert_to_snapshot_support: false,
      mount_snapshot_support: false,
      security_service_types: [],
      efs_mode: this.config.mode,
      efs_region: this.config.region,
      efs_metered_size_gb: roundDown(usedBytes / GIB),
      ...extra,
    };
  }

  #tags(instance: ShareInstance, pool: ResolvedEfsPool): Tag[] {
    return [
      { Key: EfsTag.NAME, Value: `share-${instance.id}` },
      { Key: EfsTag.INSTANCE_ID, Value: instance.id },
      { Key: EfsTag.SHARE_ID, Value: instance.share_id },
      { Key: EfsTag.BACKEND, Value: this.backendHost },
      { Key: EfsTag.POOL, Value: pool.name },
    ];
  }

  async #specsOf(instance: ShareInstance): Promise<{ specs: Readonly<Record<string, string>>; label: string }> {
    const type = await this.#deps.shareTypes.get(instance.share_type_id);
    if (!type) throw new DriverError(`Share type ${instance.share_type_id} of instance ${instance.id} does not exist`, { shareId: instance.share_id });
    return { specs: type.extra_specs, label: `Share type "${type.name}"` };
  }

  /** The pool of an instance of this backend; DriverError if its host is not one of this backend's pools. */
  #poolOf(instance: ShareInstance): ResolvedEfsPool {
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
    const pool = this.#pools.get(host.pool);
    if (!pool) throw new DriverError(`Instance ${instance.id} is in pool "${host.pool}", which ${this.backendHost} does not have`, ids);
    return pool;
  }

  #deadline(): Deadline {
    const seconds = this.config.wait_timeout_seconds;
    return { until: this.#now().getTime() + seconds * 1000, seconds };
  }

  /** Probes until it yields a value; EfsNotReadyError, naming what it waited for, once the call's budget is spent. */
  async #poll<T>(deadline: Deadline, ids: ErrorIds, probe: () => Promise<Probe<T>>): Promise<T> {
    const interval = this.config.poll_interval_seconds * 1000;
    for (;;) {
      const result = await probe();
      if ('value' in result) return result.value;
      if (this.#now().getTime() + interval > deadline.until) {
        throw new EfsNotReadyError(
          `${this.backendHost}: ${result.waiting} after waiting ${deadline.seconds}s; calling again resumes`,
          ids,
        );
      }
      await (this.#deps.sleep ?? delay)(interval);
    }
  }

  #now(): Date {
    return this.#deps.clock?.() ?? new Date();
  }

  /** Domain errors pass through; EFS errors become DriverErrors that say what failed (throttling: what to do). */
  async #run<T>(action: string, ids: ErrorIds, body: () => Promise<T>): Promise<T> {
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

function fileSystemCapabilities(fileSystem: FileSystemDescription): Record<string, unknown> {
  return {
    efs_file_system_id: fileSystem.FileSystemId,
    efs_encrypted: fileSystem.Encrypted === true,
    efs_performance_mode: fileSystem.PerformanceMode,
    efs_throughput_mode: fileSystem.ThroughputMode,
    ...(fileSystem.ProvisionedThroughputInMibps === undefined ? {} : { efs_provisioned_throughput_mibps: fileSystem.ProvisionedThroughputInMibps }),
    efs_availability: fileSystem.AvailabilityZoneName === undefined ? 'regional' : 'one_zone',
    efs_availability_zone: fileSystem.AvailabilityZoneName ?? 'regional',
  };
}

function settingsCapabilities(settings: ResolvedEfsFileSystemSettings): Record<string, unknown> {
  return {
    efs_encrypted: settings.encrypted,
    efs_performance_mode: settings.performance_mode,
    efs_throughput_mode: settings.throughput_mode,
    ...(settings.provisioned_throughput_mibps === undefined ? {} : { efs_provisioned_throughput_mibps: settings.provisioned_throughput_mibps }),
    efs_availability: settings.availability_zone === undefined ? 'regional' : 'one_zone',
    efs_availability_zone: settings.availability_zone ?? 'regional',
  };
}

/** Phase 1 is done after the first sync; before it, the destination's metered size over the source's, short of 100. */
function replicationStatus(replication: Destination, source: FileSystemDescription, destination: FileSystemDescription): DriverMigrationStatus {
  if (replication.LastReplicatedTimestamp !== undefined) return PHASE1_DONE;
  const total = sizeOf(source);
  const done = total === 0 ? 0 : Math.min(99, Math.floor((sizeOf(destination) / total) * 100));
  return { phase1Done: false, totalProgress: done };
}

function sizeOf(fileSystem: FileSystemDescription): number {
  return fileSystem.SizeInBytes?.Value ?? 0;
}

function tagValue(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.Key === key)?.Value;
}

function roundDown(gb: number): number {
  return Math.floor(gb * 100) / 100;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
