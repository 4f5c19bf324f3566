/**
 * The local driver: a backend is a folder on this machine, its pools are subfolders.
 *
 * ```
 * <root>/<pool>/share-<instance id>/
 *   data/                 the share's data; its absolute path is the export location and the copy mount
 *   instance.json         which instance this is (id, share, pool, size, protocol)
 *   access-rules.json     the complete rule set last applied, with each rule's effective level
 *   readonly-modes.json   only while read-only: original modes of the paths whose write bits were removed
 *   snapshots/<id>/       the instance's snapshots: read-only copies of data/ (snapshots.ts)
 * <root>/.migrations/<destination instance id>.json   a driver-assisted migration that was started
 * ```
 *
 * Nothing but the data sits in `data/`, so a copy of it never carries the driver's bookkeeping.
 *
 * Driver-assisted migration: between two pools of this backend on one file system, an instance moves with
 * a single rename of its folder (data, modes, owners, times, links and bookkeeping all intact, in O(1)).
 * Anything else is refused by the compatibility check and left to the host-assisted copy. Snapshots live in
 * the instance folder, so the rename carries them too (preserve_snapshots).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, rename, rmdir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { DriverError, errorMessage, ShareMigrationError, type ErrorIds } from '../../core/errors.ts';
import { formatHost, parseHost, type Host } from '../../core/host.ts';
import type { AccessRule, ExportLocation, PoolCapabilities, ShareInstance, ShareProto, ShareSnapshotInstance } from '../../core/model.ts';
import { MetadataCapability, METADATA_KINDS } from '../../core/pools/metadata.ts';
import type {
  CopyMount,
  CreateInstanceRequest,
  DataPurge,
  DriverMigrationRequest,
  DriverMigrationStatus,
  MigrationCompatibility,
  ShareDriver,
  SwitchoverBlockers,
} from '../driver.ts';
import { resolveLocalBackendConfig, type LocalBackendConfig, type LocalPoolConfig, type ResolvedLocalBackendConfig } from './config.ts';
import { exists, isErrno, readJson, removeTree, writeJsonAtomic } from './fs-util.ts';
import { makeReadOnly, restoreOriginalModes } from './read-only.ts';
import { LocalSnapshotFiles, removeSnapshot, snapshotDir, snapshotLocation, takeSnapshot } from './snapshots.ts';

export const LOCAL_DRIVER_VERSION = '1.0.0';
export const LOCAL_VENDOR_NAME = 'share-migration';
export const LOCAL_STORAGE_PROTOCOL = 'NFS_CIFS';

/** Names inside an instance folder. */
export const LocalInstanceFiles = {
  DATA: 'data',
  INSTANCE: 'instance.json',
  ACCESS_RULES: 'access-rules.json',
  ORIGINAL_MODES: 'readonly-modes.json',
} as const;

const MIGRATIONS_DIR = '.migrations';
const GIB = 1024 ** 3;
/** The mode of a new share's root (as `mkdir` under the usual umask 022 gives it). */
const NEW_SHARE_ROOT_MODE = 0o755;

/**
 * Where the copy task finds an instance's data. `originalModesFile` exists only while the instance is
 * read-only; for every data-relative path it lists, the copy must take that mode instead of the one it
 * reads from the (write-stripped) source, so the destination ends with the source's real modes
 * (`read-only.ts`: `readOriginalModes`, `effectiveMode`).
 */
export interface LocalCopyMount extends CopyMount {
  readonly originalModesFile: string;
}

/** `instance.json`. */
export interface LocalInstanceRecord {
  readonly version: 1;
  readonly instance_id: string;
  readonly share_id: string;
  readonly pool: string;
  readonly size_gb: number;
  readonly share_proto: ShareProto;
}

/** `access-rules.json`. */
export interface LocalAccessRulesRecord {
  readonly version: 1;
  readonly read_only: boolean;
  readonly rules: readonly LocalAppliedRule[];
}

export interface LocalAppliedRule {
  readonly id: string;
  readonly access_type: AccessRule['access_type'];
  readonly access_to: string;
  /** What the rule asks for. */
  readonly access_level: AccessRule['access_level'];
  /** What is in force: `ro` while the instance is read-only. */
  readonly effective_level: AccessRule['access_level'];
}

/** `.migrations/<destination instance id>.json`: written by migrationStart, removed by complete and cancel. */
interface MigrationMarker {
  readonly version: 1;
  readonly source_instance_id: string;
  readonly destination_instance_id: string;
  readonly source_pool: string;
  readonly destination_pool: string;
  /** The destination pool folder did not exist before: cancel removes it again if it is still empty. */
  readonly created_pool: boolean;
  readonly started_at: string;
}

const COMPATIBLE: MigrationCompatibility = {
  compatible: true,
  writable: true,
  nondisruptive: false,
  preserve_metadata: true,
  preserve_snapshots: true,
};

function incompatible(reason: string): MigrationCompatibility {
  return { compatible: false, writable: false, nondisruptive: false, preserve_metadata: false, preserve_snapshots: false, reason };
}

const PHASE1_DONE: DriverMigrationStatus = { phase1Done: true, totalProgress: 100 };
const NOT_STARTED: DriverMigrationStatus = { phase1Done: false, totalProgress: 0 };

interface InstanceLocation {
  readonly pool: string;
  /** `<root>/<pool>/share-<id>` */
  readonly dir: string;
}

interface MigrationLocations {
  readonly source: InstanceLocation;
  readonly destination: InstanceLocation;
  readonly marker: string;
}

export class LocalDriver implements ShareDriver {
  readonly backendHost: string;
  readonly driverHandlesShareServers: boolean;
  readonly config: ResolvedLocalBackendConfig;
  readonly #pools: ReadonlyMap<string, LocalPoolConfig>;

  /** Validates `config` (LocalConfigError saying what to fix); touches no file until the first call. */
  constructor(config: LocalBackendConfig) {
    this.config = resolveLocalBackendConfig(config);
    this.backendHost = `${this.config.host}@${this.config.backend}`;
    this.driverHandlesShareServers = this.config.driver_handles_share_servers;
    this.#pools = new Map(this.config.pools.map((pool) => [pool.name, pool]));
  }

  /** `<root>/<pool>` */
  poolPath(pool: string): string {
    return path.join(this.config.root, pool);
  }

  /** `<root>/<pool>/share-<instance id>`, for an instance of this backend. */
  instancePath(instance: ShareInstance): string {
    return this.#locate(instance).dir;
  }

  async listPools(): Promise<PoolCapabilities[]> {
    return this.#run('listing pools', {}, () => Promise.all(this.config.pools.map((pool) => this.#capabilities(pool))));
  }

  async createInstance(request: CreateInstanceRequest): Promise<readonly ExportLocation[]> {
    const { instance } = request;
    return this.#run(`creating instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      const location = this.#locate(instance);
      if (location.pool !== request.pool) {
        throw new DriverError(`Instance ${instance.id} is on ${instance.host} but was asked to be created in pool "${request.pool}"`, {
          shareId: instance.share_id,
        });
      }
      if (!(await exists(location.dir))) {
        // Built aside and renamed into place, so an instance folder is either complete or absent.
        const poolDir = this.poolPath(location.pool);
        const staging = path.join(poolDir, `.creating-${path.basename(location.dir)}`);
        await mkdir(poolDir, { recursive: true });
        await removeTree(staging);
        const data = path.join(staging, LocalInstanceFiles.DATA);
        await mkdir(data, { recursive: true });
        // A new share's root is 0755 whatever the process's umask (the runtime runs with 077 to keep its
        // own files private): what clients see of a new export must not depend on how it was started.
        await chmod(data, NEW_SHARE_ROOT_MODE);
        const record: LocalInstanceRecord = {
          version: 1,
          instance_id: instance.id,
          share_id: instance.share_id,
          pool: location.pool,
          size_gb: request.size_gb,
          share_proto: request.share_proto,
        };
        await writeJsonAtomic(path.join(staging, LocalInstanceFiles.INSTANCE), record);
        if (this.config.driver_handles_share_servers) await this.#ensureShareServer(path.dirname(location.dir), instance);
        try {
          await rename(staging, location.dir);
        } catch (err) {
          // Another call created it meanwhile: theirs stands.
          if (!isErrno(err, 'ENOTEMPTY', 'EEXIST')) throw err;
          await removeTree(staging);
        }
      }
      return this.#exportLocations(location);
    });
  }

  async deleteInstance(instance: ShareInstance): Promise<void> {
    return this.#run(`deleting instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      const location = this.#locate(instance);
      // Renamed out of sight first, so a half-deleted instance is never seen as an instance.
      const trash = path.join(this.poolPath(location.pool), `.deleting-${path.basename(location.dir)}`);
      await removeTree(trash);
      try {
        await rename(location.dir, trash);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
      await removeTree(trash);
    });
  }

  /**
   * Records `rules` as the complete rule set and puts the data in or out of read-only mode (`read-only.ts`:
   * write bits removed with the original modes recorded beside the data, and restored exactly).
   */
  async applyAccessRules(instance: ShareInstance, rules: readonly AccessRule[], options: { readOnly: boolean }): Promise<void> {
    return this.#run(`applying access rules to instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      const dir = await this.#existingInstanceDir(instance);
      const data = path.join(dir, LocalInstanceFiles.DATA);
      const modesFile = path.join(dir, LocalInstanceFiles.ORIGINAL_MODES);
      if (options.readOnly) {
        await makeReadOnly(data, modesFile);
      } else {
        await restoreOriginalModes(data, modesFile);
      }
      const record: LocalAccessRulesRecord = {
        version: 1,
        read_only: options.readOnly,
        rules: rules.map((rule) => ({
          id: rule.id,
          access_type: rule.access_type,
          access_to: rule.access_to,
          access_level: rule.access_level,
          effective_level: options.readOnly ? 'ro' : rule.access_level,
        })),
      };
      await writeJsonAtomic(path.join(dir, LocalInstanceFiles.ACCESS_RULES), record);
    });
  }

  /** The rule set last applied, or null if none was. */
  async getAccessRules(instance: ShareInstance): Promise<LocalAccessRulesRecord | null> {
    return this.#run(`reading access rules of instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      const dir = await this.#existingInstanceDir(instance);
      return ((await readJson(path.join(dir, LocalInstanceFiles.ACCESS_RULES))) as LocalAccessRulesRecord | undefined) ?? null;
    });
  }

  async getCopyMount(instance: ShareInstance): Promise<LocalCopyMount> {
    return this.#run(`locating instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      const dir = await this.#existingInstanceDir(instance);
      return { path: path.join(dir, LocalInstanceFiles.DATA), originalModesFile: path.join(dir, LocalInstanceFiles.ORIGINAL_MODES) };
    });
  }

  /**
   * Read-only mode removes the write bits of every entry when it is applied, which no later open for
   * writing gets past; a descriptor opened for writing before keeps writing, and the final copy fails on
   * any change it sees. Nothing to count, nothing to wait for.
   */
  async switchoverBlockers(instance: ShareInstance, readOnlySince: Date): Promise<SwitchoverBlockers> {
    this.#locate(instance);
    return {
      clear: true,
      connections: 0,
      scope: 'enforced',
      clearSince: readOnlySince.toISOString(),
      detail: 'write bits removed from every entry; the final copy fails on any change it sees',
    };
  }

  /** Deleting an instance removes its folder and everything in it: nothing is left behind. */
  async dataLeftBehind(instance: ShareInstance): Promise<DataPurge | null> {
    return this.#run(`looking for data instance ${instance.id} left`, { shareId: instance.share_id }, async () => {
      const { dir } = this.#locate(instance);
      if (await exists(dir)) throw new DriverError(`Instance ${instance.id} still exists at ${dir}: delete it first`, { shareId: instance.share_id });
      return null;
    });
  }

  /** A read-only copy of the data under `snapshots/<id>/` (snapshots.ts), reflinked where the file system allows. */
  async createSnapshot(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<string> {
    return this.#run(`snapshotting instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      if (!this.config.snapshot_support) {
        throw new DriverError(`${this.backendHost} does not support snapshots (snapshot_support is false in its config)`, { shareId: instance.share_id });
      }
      const dir = await this.#existingInstanceDir(instance);
      checkSnapshotId(snapshot, instance);
      await takeSnapshot(dir, path.join(dir, LocalInstanceFiles.DATA), path.join(dir, LocalInstanceFiles.ORIGINAL_MODES), snapshot.id);
      return snapshotLocation(snapshot.id);
    });
  }

  async deleteSnapshot(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<void> {
    return this.#run(`deleting snapshot ${snapshot.id} of instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      checkSnapshotId(snapshot, instance);
      const { dir } = this.#locate(instance);
      // An instance that is gone took its snapshots with it.
      if (await exists(dir)) await removeSnapshot(dir, snapshot.id);
    });
  }

  async getSnapshotMount(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<LocalCopyMount> {
    return this.#run(`locating snapshot ${snapshot.id} of instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      checkSnapshotId(snapshot, instance);
      const dir = snapshotDir(await this.#existingInstanceDir(instance), snapshot.id);
      if (!(await exists(dir))) {
        throw new DriverError(`Snapshot ${snapshot.id} of instance ${instance.id} does not exist on ${this.backendHost} (no folder ${dir})`, { shareId: instance.share_id });
      }
      return { path: path.join(dir, LocalSnapshotFiles.DATA), originalModesFile: path.join(dir, LocalSnapshotFiles.ORIGINAL_MODES) };
    });
  }

  /** Compatible only between pools of this backend whose folders are on one file system (a rename works). */
  async migrationCheckCompatibility(source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility> {
    return this.#run(`checking migration compatibility of instance ${source.id}`, { shareId: source.share_id }, () =>
      this.#compatibility(source, destinationHost),
    );
  }

  /** Checks the preconditions and prepares the destination pool; moves no data. */
  async migrationStart(request: DriverMigrationRequest): Promise<void> {
    return this.#run(`starting migration of instance ${request.source.id}`, { shareId: request.source.share_id }, async () => {
      const compatibility = await this.#compatibility(request.source, request.destinationHost);
      if (!compatibility.compatible) {
        throw new DriverError(`${this.backendHost} cannot migrate instance ${request.source.id}: ${compatibility.reason}`, {
          shareId: request.source.share_id,
        });
      }
      const at = this.#migrationLocations(request);
      const marker = await this.#readMarker(at.marker);
      if (marker) {
        if (marker.source_instance_id !== request.source.id) {
          throw new DriverError(
            `Destination instance ${request.destination.id} is already the target of a migration from instance ${marker.source_instance_id}`,
            { shareId: request.source.share_id },
          );
        }
        return;
      }
      const [sourceExists, destinationExists] = await Promise.all([exists(at.source.dir), exists(at.destination.dir)]);
      if (!sourceExists && destinationExists) return; // Already completed.
      if (!sourceExists) {
        throw new DriverError(`Source instance ${request.source.id} does not exist at ${at.source.dir}`, { shareId: request.source.share_id });
      }
      if (destinationExists) {
        throw new DriverError(`Destination instance folder ${at.destination.dir} already exists; a rename would overwrite it`, {
          shareId: request.source.share_id,
        });
      }
      const poolDir = this.poolPath(at.destination.pool);
      const createdPool = !(await exists(poolDir));
      await mkdir(poolDir, { recursive: true });
      await mkdir(path.dirname(at.marker), { recursive: true });
      const record: MigrationMarker = {
        version: 1,
        source_instance_id: request.source.id,
        destination_instance_id: request.destination.id,
        source_pool: at.source.pool,
        destination_pool: at.destination.pool,
        created_pool: createdPool,
        started_at: new Date().toISOString(),
      };
      await writeJsonAtomic(at.marker, record);
    });
  }

  /** A rename needs no phase-1 copy: once started, phase 1 is done. */
  async migrationContinue(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    return this.#run(`continuing migration of instance ${request.source.id}`, { shareId: request.source.share_id }, async () => {
      const status = await this.#status(request);
      if (!status.phase1Done) {
        throw new DriverError(`Migration of instance ${request.source.id} to ${request.destination.id} was not started`, {
          shareId: request.source.share_id,
        });
      }
      return status;
    });
  }

  async migrationGetProgress(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    return this.#run(`reading migration progress of instance ${request.source.id}`, { shareId: request.source.share_id }, () =>
      this.#status(request),
    );
  }

  /** Renames the source instance folder to the destination's; run again after success, it changes nothing. */
  async migrationComplete(request: DriverMigrationRequest): Promise<readonly ExportLocation[]> {
    return this.#run(`completing migration of instance ${request.source.id}`, { shareId: request.source.share_id }, async () => {
      const at = this.#migrationLocations(request);
      const [sourceExists, destinationExists] = await Promise.all([exists(at.source.dir), exists(at.destination.dir)]);
      if (sourceExists) {
        if (!(await exists(at.marker))) {
          throw new DriverError(`Migration of instance ${request.source.id} to ${request.destination.id} was not started`, {
            shareId: request.source.share_id,
          });
        }
        if (destinationExists) {
          throw new DriverError(`Destination instance folder ${at.destination.dir} appeared after the migration started`, {
            shareId: request.source.share_id,
          });
        }
        await rename(at.source.dir, at.destination.dir);
      } else if (!destinationExists) {
        throw new DriverError(`Neither source ${at.source.dir} nor destination ${at.destination.dir} exists`, {
          shareId: request.source.share_id,
        });
      }
      await this.#rewriteIdentity(at.destination.dir, request.destination, at.destination.pool);
      await removeTree(at.marker);
      return this.#exportLocations(at.destination);
    });
  }

  /**
   * Removes what migrationStart created; the source is not touched. Should it run after migrationComplete
   * (a failure between the rename and the switchover), it renames the folder back, so the source is again
   * exactly as it was.
   */
  async migrationCancel(request: DriverMigrationRequest): Promise<void> {
    return this.#run(`cancelling migration of instance ${request.source.id}`, { shareId: request.source.share_id }, async () => {
      const at = this.#migrationLocations(request);
      const [sourceExists, destinationExists] = await Promise.all([exists(at.source.dir), exists(at.destination.dir)]);
      if (!sourceExists && destinationExists) {
        await rename(at.destination.dir, at.source.dir);
        await this.#rewriteIdentity(at.source.dir, request.source, at.source.pool);
      }
      const marker = await this.#readMarker(at.marker);
      await removeTree(at.marker);
      if (marker?.created_pool) {
        try {
          await rmdir(this.poolPath(marker.destination_pool));
        } catch (err) {
          // Something else lives there now: it stays.
          if (!isErrno(err, 'ENOTEMPTY', 'EEXIST', 'ENOENT')) throw err;
        }
      }
    });
  }

  async #compatibility(source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility> {
    const from = this.#locate(source);
    if (this.config.driver_handles_share_servers) {
      return incompatible(`${this.backendHost} handles share servers: the local driver does not move instances between share servers`);
    }
    if (destinationHost.host !== this.config.host || destinationHost.backend !== this.config.backend) {
      return incompatible(
        `different backend: ${formatHost(destinationHost)} is not on ${this.backendHost}, and the local driver only moves instances between pools of one backend`,
      );
    }
    if (!this.#pools.has(destinationHost.pool)) {
      return incompatible(`unknown pool: ${this.backendHost} has no pool "${destinationHost.pool}"`);
    }
    const [fromDevice, toDevice] = await Promise.all([
      deviceOf(this.poolPath(from.pool)),
      deviceOf(this.poolPath(destinationHost.pool)),
    ]);
    if (fromDevice !== toDevice) {
      return incompatible(`different file system: pools "${from.pool}" and "${destinationHost.pool}" of ${this.backendHost} cannot be joined by a rename`);
    }
    return COMPATIBLE;
  }

  async #status(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    const at = this.#migrationLocations(request);
    if (await exists(at.marker)) return PHASE1_DONE;
    const [sourceExists, destinationExists] = await Promise.all([exists(at.source.dir), exists(at.destination.dir)]);
    return !sourceExists && destinationExists ? PHASE1_DONE : NOT_STARTED;
  }

  #migrationLocations(request: DriverMigrationRequest): MigrationLocations {
    const destinationHost = formatHost(request.destinationHost);
    if (request.destination.host !== destinationHost) {
      throw new DriverError(`Destination instance ${request.destination.id} is on ${request.destination.host}, not on ${destinationHost}`, {
        shareId: request.source.share_id,
      });
    }
    return {
      source: this.#locate(request.source),
      destination: this.#locate(request.destination),
      marker: path.join(this.config.root, MIGRATIONS_DIR, `${request.destination.id}.json`),
    };
  }

  async #readMarker(file: string): Promise<MigrationMarker | null> {
    return ((await readJson(file)) as MigrationMarker | undefined) ?? null;
  }

  /** Makes a moved folder's instance.json name the instance it now is. */
  async #rewriteIdentity(dir: string, instance: ShareInstance, pool: string): Promise<void> {
    const file = path.join(dir, LocalInstanceFiles.INSTANCE);
    const current = (await readJson(file)) as LocalInstanceRecord | undefined;
    if (current?.instance_id === instance.id && current.pool === pool) return;
    const record: LocalInstanceRecord = {
      version: 1,
      instance_id: instance.id,
      share_id: instance.share_id,
      pool,
      size_gb: current?.size_gb ?? 0,
      share_proto: current?.share_proto ?? 'NFS',
    };
    await writeJsonAtomic(file, record);
  }

  async #capabilities(pool: LocalPoolConfig): Promise<PoolCapabilities> {
    const dir = this.poolPath(pool.name);
    await mkdir(dir, { recursive: true });
    const fs = await statfs(dir);
    const fsTotal = (fs.blocks * fs.bsize) / GIB;
    const fsFree = (fs.bavail * fs.bsize) / GIB;
    const allocated = await this.#allocatedGb(dir);
    const total = pool.total_capacity_gb ?? fsTotal;
    const free = pool.total_capacity_gb === undefined ? fsFree : Math.min(fsFree, Math.max(0, pool.total_capacity_gb - allocated));
    return {
      pool_name: pool.name,
      share_backend_name: this.config.share_backend_name,
      vendor_name: LOCAL_VENDOR_NAME,
      driver_version: LOCAL_DRIVER_VERSION,
      storage_protocol: LOCAL_STORAGE_PROTOCOL,
      total_capacity_gb: roundDown(total),
      free_capacity_gb: roundDown(free),
      allocated_capacity_gb: allocated,
      reserved_percentage: 0,
      driver_handles_share_servers: this.config.driver_handles_share_servers,
      snapshot_support: this.config.snapshot_support,
      create_share_from_snapshot_support: false,
      revert_to_snapshot_support: false,
      mount_snapshot_support: false,
      security_service_types: [...this.config.security_service_types],
      [MetadataCapability.PRESERVED]: [...(this.config.metadata_preserved ?? METADATA_KINDS)],
    };
  }

  /** The sum of the sizes of the instances in a pool folder. */
  async #allocatedGb(poolDir: string): Promise<number> {
    let total = 0;
    for (const name of await readdir(poolDir)) {
      if (!name.startsWith('share-')) continue;
      const record = (await readJson(path.join(poolDir, name, LocalInstanceFiles.INSTANCE))) as LocalInstanceRecord | undefined;
      total += record?.size_gb ?? 0;
    }
    return total;
  }

  #exportLocations(location: InstanceLocation): ExportLocation[] {
    const data = path.join(location.dir, LocalInstanceFiles.DATA);
    return [{ id: stableId(`${this.backendHost}:${data}`), path: data, preferred: true, is_admin_only: false }];
  }

  async #existingInstanceDir(instance: ShareInstance): Promise<string> {
    const { dir } = this.#locate(instance);
    if (!(await exists(dir))) {
      throw new DriverError(`Instance ${instance.id} does not exist on ${this.backendHost} (no folder ${dir})`, { shareId: instance.share_id });
    }
    return dir;
  }

  /** Where an instance of this backend lives; DriverError if its host is not one of this backend's pools. */
  #locate(instance: ShareInstance): InstanceLocation {
    let host: Host;
    try {
      host = parseHost(instance.host);
    } catch (err) {
      throw new DriverError(`Instance ${instance.id} has no valid host: ${errorMessage(err)}`, { shareId: instance.share_id }, { cause: err });
    }
    if (host.host !== this.config.host || host.backend !== this.config.backend) {
      throw new DriverError(`Instance ${instance.id} is on ${instance.host}, not on ${this.backendHost}`, { shareId: instance.share_id });
    }
    if (!this.#pools.has(host.pool)) {
      throw new DriverError(`Instance ${instance.id} is in pool "${host.pool}", which ${this.backendHost} does not have`, {
        shareId: instance.share_id,
      });
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(instance.id) || instance.id.startsWith('.')) {
      throw new DriverError(`Instance id "${instance.id}" cannot name a folder`, { shareId: instance.share_id });
    }
    if (!this.config.driver_handles_share_servers) {
      return { pool: host.pool, dir: path.join(this.poolPath(host.pool), `share-${instance.id}`) };
    }
    // The share server of the instance's share network holds it; the server folder is made on first use.
    const network = instance.share_network_id;
    if (!network || !/^[A-Za-z0-9_-]+$/.test(network)) {
      throw new DriverError(`Instance ${instance.id} needs a share network on ${this.backendHost}, which handles share servers`, { shareId: instance.share_id });
    }
    return { pool: host.pool, dir: path.join(this.poolPath(host.pool), 'servers', `server-${network}`, `share-${instance.id}`) };
  }

  /** The share server of a share network: its folder and a record of what it serves, made on first use. */
  async #ensureShareServer(serverDir: string, instance: ShareInstance): Promise<void> {
    const record = path.join(serverDir, 'server.json');
    if (await exists(record)) return;
    await mkdir(serverDir, { recursive: true });
    await writeJsonAtomic(record, {
      version: 1,
      share_network_id: instance.share_network_id,
      backend: this.backendHost,
      security_service_types: this.config.security_service_types,
      created_at: new Date().toISOString(),
    });
  }

  /** Domain errors pass through; anything else (a file system error) becomes a DriverError that says what failed. */
  async #run<T>(action: string, ids: ErrorIds, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      if (err instanceof ShareMigrationError) throw err;
      throw new DriverError(`${this.backendHost}: ${action} failed: ${errorMessage(err)}`, ids, { cause: err });
    }
  }
}

function checkSnapshotId(snapshot: ShareSnapshotInstance, instance: ShareInstance): void {
  if (!/^[A-Za-z0-9_-]+$/.test(snapshot.id)) {
    throw new DriverError(`Snapshot id "${snapshot.id}" cannot name a folder`, { shareId: instance.share_id });
  }
}

/** st_dev of a folder, or of its nearest existing ancestor if it does not exist yet. */
async function deviceOf(target: string): Promise<number> {
  try {
    return (await stat(target)).dev;
  } catch (err) {
    const parent = path.dirname(target);
    if (!isErrno(err, 'ENOENT') || parent === target) throw err;
    return deviceOf(parent);
  }
}

function roundDown(gb: number): number {
  return Math.floor(gb * 100) / 100;
}

/** A UUID-shaped id derived from `seed`, so the same instance always reports the same export location id. */
function stableId(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
