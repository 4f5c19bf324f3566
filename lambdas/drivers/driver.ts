import type { AccessRule, ExportLocation, PoolCapabilities, ShareInstance, ShareProto, ShareSnapshotInstance } from '../core/model.ts';
import type { Host } from '../core/host.ts';

/** How the copy task reaches an instance's data: a path in its file system (a folder, or a mount point). */
/** An EFS volume the copy task's container must mount to reach an instance (ECS mounts EFS natively). */
export interface CopyVolume {
  readonly fileSystemId: string;
  /** Mounted with IAM authorization through this access point; absent: `rootDirectory` of the file system. */
  readonly accessPointId?: string;
  /** Where the container sees it: the mount's `path`. */
  readonly containerPath: string;
  readonly rootDirectory: string;
  readonly region: string;
}

export interface CopyMount {
  readonly path: string;
  /** The volume that puts the instance at `path` in the copy container; absent when `path` is reachable as it is. */
  readonly volume?: CopyVolume;
  /**
   * Where a driver that enforces read-only mode by changing file modes records the original ones
   * (exists only while the instance is read-only); the copy task gives the destination those.
   */
  readonly originalModesFile?: string;
}

/**
 * Who may still write to an instance whose access rules were made read-only at a given moment: the
 * switchover's proof that no acknowledged write is lost. A backend may enforce read-only mode only for
 * clients that connect afterwards (EFS evaluates its file system policy when a client connects), so the
 * driver says what the backend reports about clients connected since.
 */
export interface SwitchoverBlockers {
  /** No client that may still write remains: the final copy (or sync) may run. */
  readonly clear: boolean;
  /** Connections the backend reports that may still write (0 when clear). */
  readonly connections: number;
  /**
   * What the count covers. `enforced`: the driver's read-only mode holds for every client, nothing to
   * count; `instance`: this instance's clients only; `shared`: the backend counts the clients of other
   * instances too (one EFS file system behind several access points), so a non-zero count cannot be
   * attributed and only zero proves anything.
   */
  readonly scope: 'enforced' | 'instance' | 'shared';
  /**
   * When clear: from this moment on no client could write. Whatever the source acknowledged is on it by
   * then; a final copy or sync must start after it. ISO 8601.
   */
  readonly clearSince?: string;
  /** When it is worth asking again (the backend's reporting granularity), in seconds. @default - the workflow's backoff */
  readonly retryAfterSeconds?: number;
  /** What the driver measured, in words, for the migration record. */
  readonly detail: string;
}

/**
 * Data a deleted instance left on its backend, and how a purge task reaches it: the backend's root at
 * `mount.path` (with the volume that puts it there) and the instance's folder inside it. EFS has no API
 * for a file system's contents, so deleting an access point leaves its folder; the purge task removes it.
 */
export interface DataPurge {
  /** The backend's root as the purge task sees it. */
  readonly mount: CopyMount;
  /** The folder to remove, relative to `mount.path`: `shares/share-<instance id>` (the purge task refuses anything else). */
  readonly folder: string;
  /** Where the data is, in the backend's words, for the record (e.g. `fs-123:/shares/share-<id>`). */
  readonly location: string;
}

/** A driver's answer to "can you migrate this instance natively?" (Manila's migration_check_compatibility). */
export interface MigrationCompatibility {
  readonly compatible: boolean;
  readonly writable: boolean;
  readonly nondisruptive: boolean;
  readonly preserve_metadata: boolean;
  readonly preserve_snapshots: boolean;
  /** Why not, when not compatible: shown in the migration record. */
  readonly reason?: string;
}

export interface CreateInstanceRequest {
  readonly instance: ShareInstance;
  readonly pool: string;
  readonly size_gb: number;
  readonly share_proto: ShareProto;
}

export interface DriverMigrationRequest {
  readonly source: ShareInstance;
  readonly destination: ShareInstance;
  readonly destinationHost: Host;
  /**
   * migrationComplete only: from when no client could still write to the source, as the workflow
   * established it (switchoverBlockers answered clear) or the operator confirmed it, after making the
   * source's rules read-only. The driver's final sync must start after it.
   * @default - the driver makes the source read-only itself and establishes the moment on its own
   */
  readonly writersGoneSince?: Date;
}

export interface DriverMigrationStatus {
  /** Phase 1 is over: the destination holds the data and only completion is left. */
  readonly phase1Done: boolean;
  /** 0..100 */
  readonly totalProgress: number;
}

/**
 * A backend's driver. It answers and acts; the workflow owns state (Manila's manager/driver split).
 * Every call is idempotent: Step Functions may run any step twice.
 */
export interface ShareDriver {
  /** `host@backend`, e.g. `local@alpha`. */
  readonly backendHost: string;
  readonly driverHandlesShareServers: boolean;

  listPools(): Promise<PoolCapabilities[]>;

  createInstance(request: CreateInstanceRequest): Promise<readonly ExportLocation[]>;
  /** Removes the instance and its data. Succeeds if it is already gone. */
  deleteInstance(instance: ShareInstance): Promise<void>;
  /** Makes `rules` the instance's complete rule set; `readOnly` downgrades every rule to ro. */
  applyAccessRules(instance: ShareInstance, rules: readonly AccessRule[], options: { readOnly: boolean }): Promise<void>;
  /** Where the copy task reads or writes this instance's data. */
  getCopyMount(instance: ShareInstance): Promise<CopyMount>;
  /**
   * After `applyAccessRules(..., { readOnly: true })` returned at `readOnlySince`: who may still write
   * (SwitchoverBlockers). Asked until clear before the final copy, and by nothing else.
   */
  switchoverBlockers(instance: ShareInstance, readOnlySince: Date): Promise<SwitchoverBlockers>;
  /**
   * After `deleteInstance`: the data the instance left on the backend, or null when deleting it removed
   * everything. Refuses (DriverError) an instance that still exists: its data is not left over.
   */
  dataLeftBehind(instance: ShareInstance): Promise<DataPurge | null>;

  /**
   * Snapshots, for drivers whose pools report snapshot_support (Manila's create_snapshot and friends);
   * a driver without them leaves these out. A snapshot instance is addressed by its id within its share
   * instance: when a driver-assisted migration moves the instance, its snapshots move with it.
   *
   * Takes a read-only, point-in-time copy of the instance's data; returns its provider location.
   * Idempotent: a snapshot that already exists is kept and its location returned.
   */
  createSnapshot?(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<string>;
  /** Removes a snapshot. Succeeds if it is already gone. */
  deleteSnapshot?(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<void>;
  /** Where the copy task reads a snapshot's data (a migration replays it onto the destination from there). */
  getSnapshotMount?(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<CopyMount>;
  /**
   * Manila's create_share_from_snapshot, for drivers whose pools report create_share_from_snapshot_support:
   * creates `request.instance` holding the data of `snapshot` (a snapshot instance of `source`, on this
   * backend). Idempotent like createInstance: an instance that exists is kept. A driver without it cannot
   * (the domain refuses, nothing changes).
   */
  createInstanceFromSnapshot?(request: CreateInstanceRequest, source: ShareInstance, snapshot: ShareSnapshotInstance): Promise<readonly ExportLocation[]>;

  /**
   * Manila's extend_share: the instance may hold `newSizeGb` from now on. A backend without room refuses
   * (DriverError). A driver without it cannot extend (the API refuses, nothing changes). Idempotent.
   */
  extendInstance?(instance: ShareInstance, newSizeGb: number): Promise<void>;
  /**
   * Manila's shrink_share: the instance holds at most `newSizeGb` from now on. When it holds more data than
   * that, ShareShrinkingPossibleDataLossError (lambdas/core/shares/resize-errors.ts) and nothing changes.
   * Idempotent.
   */
  shrinkInstance?(instance: ShareInstance, newSizeGb: number): Promise<void>;

  migrationCheckCompatibility(source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility>;
  migrationStart(request: DriverMigrationRequest): Promise<void>;
  migrationContinue(request: DriverMigrationRequest): Promise<DriverMigrationStatus>;
  /** Switches the data over; returns the destination's export locations. */
  migrationComplete(request: DriverMigrationRequest): Promise<readonly ExportLocation[]>;
  /** Undoes whatever migrationStart/Continue allocated; the source is left as it was. */
  migrationCancel(request: DriverMigrationRequest): Promise<void>;
  migrationGetProgress(request: DriverMigrationRequest): Promise<DriverMigrationStatus>;
}

/** Finds the driver of a `host@backend#pool` or `host@backend`. */
export interface DriverRegistry {
  forHost(host: string): ShareDriver;
  all(): readonly ShareDriver[];
}
