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
 * a single rename of its folder (rename-migration.ts). Snapshots live in the instance folder, so the rename
 * carries them too (preserve_snapshots). Where instances live: instance-locator.ts; what a pool reports:
 * pool-capabilities.ts; the records beside the data: records.ts.
 */
import { chmod, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { DriverError } from '../../core/errors.ts';
import type { Host } from '../../core/host.ts';
import type { AccessRule, ExportLocation, PoolCapabilities, ShareInstance, ShareSnapshotInstance } from '../../core/model.ts';
import type {
  CreateInstanceRequest,
  DataPurge,
  DriverMigrationRequest,
  DriverMigrationStatus,
  MigrationCompatibility,
  ShareDriver,
  SwitchoverBlockers,
} from '../driver.ts';
import { resolveLocalBackendConfig, type LocalBackendConfig, type ResolvedLocalBackendConfig } from './config.ts';
import { exists, isErrno, readJson, removeTree, writeJsonAtomic } from './fs-util.ts';
import { InstanceLocator } from './instance-locator.ts';
import { poolCapabilities } from './pool-capabilities.ts';
import { makeReadOnly, restoreOriginalModes } from './read-only.ts';
import { LocalInstanceFiles, type LocalAccessRulesRecord, type LocalCopyMount, type LocalInstanceRecord } from './records.ts';
import { RenameMigration } from './rename-migration.ts';
import { extendLocalInstance, shrinkLocalInstance } from './resize.ts';
import { cloneSnapshotData, LocalSnapshotFiles, removeSnapshot, snapshotDir, snapshotLocation, takeSnapshot } from './snapshots.ts';

export { LOCAL_DRIVER_VERSION, LOCAL_STORAGE_PROTOCOL, LOCAL_VENDOR_NAME } from './pool-capabilities.ts';
export { LocalInstanceFiles, type LocalAccessRulesRecord, type LocalAppliedRule, type LocalCopyMount, type LocalInstanceRecord } from './records.ts';

/** The mode of a new share's root (as `mkdir` under the usual umask 022 gives it). */
const NEW_SHARE_ROOT_MODE = 0o755;

export class LocalDriver implements ShareDriver {
  readonly backendHost: string;
  readonly driverHandlesShareServers: boolean;
  readonly config: ResolvedLocalBackendConfig;
  readonly #at: InstanceLocator;
  readonly #rename: RenameMigration;

  /** Validates `config` (LocalConfigError saying what to fix); touches no file until the first call. */
  constructor(config: LocalBackendConfig) {
    this.config = resolveLocalBackendConfig(config);
    this.#at = new InstanceLocator(this.config);
    this.#rename = new RenameMigration(this.#at);
    this.backendHost = this.#at.backendHost;
    this.driverHandlesShareServers = this.config.driver_handles_share_servers;
  }

  /** `<root>/<pool>` */
  poolPath(pool: string): string {
    return this.#at.poolPath(pool);
  }

  /** `<root>/<pool>/share-<instance id>`, for an instance of this backend. */
  instancePath(instance: ShareInstance): string {
    return this.#at.locate(instance).dir;
  }

  async listPools(): Promise<PoolCapabilities[]> {
    return this.#at.run('listing pools', {}, () => Promise.all(this.config.pools.map((pool) => poolCapabilities(this.#at, pool))));
  }

  /** The size instance.json records (resize.ts). */
  async extendInstance(instance: ShareInstance, newSizeGb: number): Promise<void> {
    return this.#at.run(`extending instance ${instance.id}`, { shareId: instance.share_id }, () => extendLocalInstance(this.#at, instance, newSizeGb));
  }

  async shrinkInstance(instance: ShareInstance, newSizeGb: number): Promise<void> {
    return this.#at.run(`shrinking instance ${instance.id}`, { shareId: instance.share_id }, () => shrinkLocalInstance(this.#at, instance, newSizeGb));
  }

  async createInstance(request: CreateInstanceRequest): Promise<readonly ExportLocation[]> {
    return this.#at.run(`creating instance ${request.instance.id}`, { shareId: request.instance.share_id }, () => this.#create(request));
  }

  /** A new instance whose data is a clone of the snapshot's (snapshots.ts cloneSnapshotData), in the same way as createInstance. */
  async createInstanceFromSnapshot(request: CreateInstanceRequest, source: ShareInstance, snapshot: ShareSnapshotInstance): Promise<readonly ExportLocation[]> {
    const { instance } = request;
    return this.#at.run(`creating instance ${instance.id} from snapshot ${snapshot.id}`, { shareId: instance.share_id }, async () => {
      checkSnapshotId(snapshot, source);
      const folder = snapshotDir(await this.#at.existingInstanceDir(source), snapshot.id);
      if (!(await exists(folder))) {
        throw new DriverError(`Snapshot ${snapshot.id} of instance ${source.id} does not exist on ${this.backendHost} (no folder ${folder})`, { shareId: source.share_id });
      }
      return this.#create(request, (data) => cloneSnapshotData(folder, data));
    });
  }

  /** `fill` makes the data folder (absent: an empty one); the instance is built aside and renamed into place. */
  async #create(request: CreateInstanceRequest, fill?: (data: string) => Promise<void>): Promise<readonly ExportLocation[]> {
    const { instance } = request;
    const location = this.#at.locate(instance);
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
      if (fill) {
        await mkdir(staging, { recursive: true });
        await fill(data);
      } else {
        await mkdir(data, { recursive: true });
        // A new share's root is 0755 whatever the process's umask (the runtime runs with 077 to keep its
        // own files private): what clients see of a new export must not depend on how it was started.
        await chmod(data, NEW_SHARE_ROOT_MODE);
      }
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
    return this.#at.exportLocations(location);
  }

  async deleteInstance(instance: ShareInstance): Promise<void> {
    return this.#at.run(`deleting instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      const location = this.#at.locate(instance);
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
    return this.#at.run(`applying access rules to instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      const dir = await this.#at.existingInstanceDir(instance);
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
    return this.#at.run(`reading access rules of instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      const dir = await this.#at.existingInstanceDir(instance);
      return ((await readJson(path.join(dir, LocalInstanceFiles.ACCESS_RULES))) as LocalAccessRulesRecord | undefined) ?? null;
    });
  }

  async getCopyMount(instance: ShareInstance): Promise<LocalCopyMount> {
    return this.#at.run(`locating instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      const dir = await this.#at.existingInstanceDir(instance);
      return { path: path.join(dir, LocalInstanceFiles.DATA), originalModesFile: path.join(dir, LocalInstanceFiles.ORIGINAL_MODES) };
    });
  }

  /**
   * Read-only mode removes the write bits of every entry when it is applied, which no later open for
   * writing gets past; a descriptor opened for writing before keeps writing, and the final copy fails on
   * any change it sees. Nothing to count, nothing to wait for.
   */
  async switchoverBlockers(instance: ShareInstance, readOnlySince: Date): Promise<SwitchoverBlockers> {
    this.#at.locate(instance);
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
    return this.#at.run(`looking for data instance ${instance.id} left`, { shareId: instance.share_id }, async () => {
      const { dir } = this.#at.locate(instance);
      if (await exists(dir)) throw new DriverError(`Instance ${instance.id} still exists at ${dir}: delete it first`, { shareId: instance.share_id });
      return null;
    });
  }

  /** A read-only copy of the data under `snapshots/<id>/` (snapshots.ts), reflinked where the file system allows. */
  async createSnapshot(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<string> {
    return this.#at.run(`snapshotting instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      if (!this.config.snapshot_support) {
        throw new DriverError(`${this.backendHost} does not support snapshots (snapshot_support is false in its config)`, { shareId: instance.share_id });
      }
      const dir = await this.#at.existingInstanceDir(instance);
      checkSnapshotId(snapshot, instance);
      await takeSnapshot(dir, path.join(dir, LocalInstanceFiles.DATA), path.join(dir, LocalInstanceFiles.ORIGINAL_MODES), snapshot.id);
      return snapshotLocation(snapshot.id);
    });
  }

  async deleteSnapshot(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<void> {
    return this.#at.run(`deleting snapshot ${snapshot.id} of instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      checkSnapshotId(snapshot, instance);
      const { dir } = this.#at.locate(instance);
      // An instance that is gone took its snapshots with it.
      if (await exists(dir)) await removeSnapshot(dir, snapshot.id);
    });
  }

  async getSnapshotMount(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<LocalCopyMount> {
    return this.#at.run(`locating snapshot ${snapshot.id} of instance ${instance.id}`, { shareId: instance.share_id }, async () => {
      checkSnapshotId(snapshot, instance);
      const dir = snapshotDir(await this.#at.existingInstanceDir(instance), snapshot.id);
      if (!(await exists(dir))) {
        throw new DriverError(`Snapshot ${snapshot.id} of instance ${instance.id} does not exist on ${this.backendHost} (no folder ${dir})`, { shareId: instance.share_id });
      }
      return { path: path.join(dir, LocalSnapshotFiles.DATA), originalModesFile: path.join(dir, LocalSnapshotFiles.ORIGINAL_MODES) };
    });
  }

  /** Compatible only between pools of this backend whose folders are on one file system (rename-migration.ts). */
  async migrationCheckCompatibility(source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility> {
    return this.#at.run(`checking migration compatibility of instance ${source.id}`, { shareId: source.share_id }, () =>
      this.#rename.compatibility(source, destinationHost),
    );
  }

  /** Checks the preconditions and prepares the destination pool; moves no data. */
  async migrationStart(request: DriverMigrationRequest): Promise<void> {
    return this.#at.run(`starting migration of instance ${request.source.id}`, { shareId: request.source.share_id }, () => this.#rename.start(request));
  }

  /** A rename needs no phase-1 copy: once started, phase 1 is done. */
  async migrationContinue(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    return this.#at.run(`continuing migration of instance ${request.source.id}`, { shareId: request.source.share_id }, () => this.#rename.continue(request));
  }

  async migrationGetProgress(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    return this.#at.run(`reading migration progress of instance ${request.source.id}`, { shareId: request.source.share_id }, () => this.#rename.status(request));
  }

  /** Renames the source instance folder to the destination's; run again after success, it changes nothing. */
  async migrationComplete(request: DriverMigrationRequest): Promise<readonly ExportLocation[]> {
    return this.#at.run(`completing migration of instance ${request.source.id}`, { shareId: request.source.share_id }, () => this.#rename.complete(request));
  }

  /** Removes what migrationStart created, renaming a completed move back; the source is not touched otherwise. */
  async migrationCancel(request: DriverMigrationRequest): Promise<void> {
    return this.#at.run(`cancelling migration of instance ${request.source.id}`, { shareId: request.source.share_id }, () => this.#rename.cancel(request));
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

}

function checkSnapshotId(snapshot: ShareSnapshotInstance, instance: ShareInstance): void {
  if (!/^[A-Za-z0-9_-]+$/.test(snapshot.id)) {
    throw new DriverError(`Snapshot id "${snapshot.id}" cannot name a folder`, { shareId: instance.share_id });
  }
}
