import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AccessRule, ExportLocation, PoolCapabilities, ShareInstance, ShareSnapshotInstance } from '../../core/model.ts';
import type { Host } from '../../core/host.ts';
import { DriverError, DriverMigrationCommittedError } from '../../core/errors.ts';
import type {
  CopyMount, CreateInstanceRequest, DataPurge, DriverMigrationRequest, DriverMigrationStatus, MigrationCompatibility, ShareDriver,
  SwitchoverBlockers,
} from '../driver.ts';

export const DRIVER_CALLS = [
  'listPools', 'createInstance', 'deleteInstance', 'applyAccessRules', 'getCopyMount', 'switchoverBlockers', 'dataLeftBehind',
  'createSnapshot', 'deleteSnapshot', 'getSnapshotMount', 'createInstanceFromSnapshot', 'extendInstance', 'shrinkInstance',
  'migrationCheckCompatibility', 'migrationStart', 'migrationContinue', 'migrationComplete', 'migrationCancel', 'migrationGetProgress',
] as const;
export type DriverCall = (typeof DRIVER_CALLS)[number];

/**
 * Configurable failures and delays, as Manila's dummy driver has them: a backend config's `faults`.
 * For operators rehearsing failure handling and for tests; a backend without `faults` is untouched.
 */
export interface DriverFaults {
  /** Calls that fail, with the message the driver error carries. */
  readonly fail?: Partial<Record<DriverCall, string>>;
  /**
   * Calls that do their work, then fail with this message: a driver whose answer is lost (its process
   * died, the network dropped) after it acted.
   */
  readonly fail_after?: Partial<Record<DriverCall, string>>;
  /**
   * Once migrationComplete has been called for a destination instance (whatever its outcome),
   * migrationCancel refuses with DriverMigrationCommittedError: a driver whose switch commits part-way
   * (EFS once its replication has failed over). Remembered by this driver object, not across restarts.
   */
  readonly commit_on_complete?: boolean;
  /** Calls that wait this many milliseconds first. */
  readonly delay_ms?: Partial<Record<DriverCall, number>>;
  /** Overrides of the compatibility answer (e.g. claim nondisruptive to rehearse a driver that promises it). */
  readonly compatibility?: Partial<MigrationCompatibility>;
  /**
   * Clients that keep the source connected after it went read-only, as EFS reports them: the switchover
   * waits (or the operator confirms). Counted per instance by this driver object, not across restarts.
   */
  readonly switchover_connections?: SwitchoverConnectionsFault;
  /**
   * deleteInstance leaves the instance's data behind, as EFS does when it deletes an access point:
   * moved to `<backend root>/.leftover/shares/share-<id>`, which dataLeftBehind then names for the purge
   * task. Remembered by this driver object, not across restarts.
   */
  readonly leave_data_on_delete?: boolean;
}

export interface SwitchoverConnectionsFault {
  /** Connections reported. */
  readonly connections: number;
  /** @default 'instance' */
  readonly scope?: 'instance' | 'shared';
  /** How many answers report them, per instance; later ones are the wrapped driver's. @default - every one */
  readonly polls?: number;
  /** The retryAfterSeconds of those answers. @default - none (the workflow's backoff) */
  readonly retry_after_seconds?: number;
}

export class FaultInjectingDriver implements ShareDriver {
  readonly backendHost: string;
  readonly driverHandlesShareServers: boolean;
  private readonly inner: ShareDriver;
  private readonly faults: DriverFaults;
  /** Destination instances whose migrationComplete was called (commit_on_complete). */
  private readonly committed = new Set<string>();
  /** Answers given per instance (switchover_connections). */
  private readonly blockerAnswers = new Map<string, number>();
  /** The `.leftover` root of each instance whose data deleteInstance left (leave_data_on_delete). */
  private readonly leftovers = new Map<string, string>();

  constructor(inner: ShareDriver, faults: DriverFaults) {
    this.inner = inner;
    this.faults = faults;
    this.backendHost = inner.backendHost;
    this.driverHandlesShareServers = inner.driverHandlesShareServers;
  }

  listPools(): Promise<PoolCapabilities[]> {
    return this.call('listPools', undefined, () => this.inner.listPools());
  }

  createInstance(request: CreateInstanceRequest): Promise<readonly ExportLocation[]> {
    return this.call('createInstance', request.instance.share_id, () => this.inner.createInstance(request));
  }

  deleteInstance(instance: ShareInstance): Promise<void> {
    return this.call('deleteInstance', instance.share_id, async () => {
      if (this.faults.leave_data_on_delete) await this.leaveData(instance);
      await this.inner.deleteInstance(instance);
    });
  }

  applyAccessRules(instance: ShareInstance, rules: readonly AccessRule[], options: { readOnly: boolean }): Promise<void> {
    return this.call('applyAccessRules', instance.share_id, () => this.inner.applyAccessRules(instance, rules, options));
  }

  getCopyMount(instance: ShareInstance): Promise<CopyMount> {
    return this.call('getCopyMount', instance.share_id, () => this.inner.getCopyMount(instance));
  }

  switchoverBlockers(instance: ShareInstance, readOnlySince: Date): Promise<SwitchoverBlockers> {
    return this.call('switchoverBlockers', instance.share_id, () => {
      const fault = this.faults.switchover_connections;
      const answered = this.blockerAnswers.get(instance.id) ?? 0;
      this.blockerAnswers.set(instance.id, answered + 1);
      if (!fault || (fault.polls !== undefined && answered >= fault.polls)) return this.inner.switchoverBlockers(instance, readOnlySince);
      return Promise.resolve({
        clear: false,
        connections: fault.connections,
        scope: fault.scope ?? 'instance',
        ...(fault.retry_after_seconds === undefined ? {} : { retryAfterSeconds: fault.retry_after_seconds }),
        detail: `${fault.connections} client connection(s) since the source went read-only at ${readOnlySince.toISOString()} (injected fault)`,
      });
    });
  }

  dataLeftBehind(instance: ShareInstance): Promise<DataPurge | null> {
    return this.call('dataLeftBehind', instance.share_id, async () => {
      const root = this.leftovers.get(instance.id);
      const folder = `shares/share-${instance.id}`;
      if (root !== undefined && (await stat(path.join(root, folder)).catch(() => null))) {
        return { mount: { path: root }, folder, location: `${root}/${folder} (left by an injected fault)` };
      }
      return this.inner.dataLeftBehind(instance);
    });
  }

  createSnapshot(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<string> {
    return this.call('createSnapshot', instance.share_id, () => this.snapshotCall('createSnapshot', instance)(instance, snapshot));
  }

  deleteSnapshot(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<void> {
    return this.call('deleteSnapshot', instance.share_id, () => this.snapshotCall('deleteSnapshot', instance)(instance, snapshot));
  }

  getSnapshotMount(instance: ShareInstance, snapshot: ShareSnapshotInstance): Promise<CopyMount> {
    return this.call('getSnapshotMount', instance.share_id, () => this.snapshotCall('getSnapshotMount', instance)(instance, snapshot));
  }

  createInstanceFromSnapshot(request: CreateInstanceRequest, source: ShareInstance, snapshot: ShareSnapshotInstance): Promise<readonly ExportLocation[]> {
    return this.call('createInstanceFromSnapshot', request.instance.share_id, () => {
      if (!this.inner.createInstanceFromSnapshot) {
        throw new DriverError(`${this.backendHost} cannot create a share from a snapshot (no createInstanceFromSnapshot)`, { shareId: request.instance.share_id });
      }
      return this.inner.createInstanceFromSnapshot(request, source, snapshot);
    });
  }

  extendInstance(instance: ShareInstance, newSizeGb: number): Promise<void> {
    return this.call('extendInstance', instance.share_id, () => this.resizeCall('extendInstance', instance)(instance, newSizeGb));
  }

  shrinkInstance(instance: ShareInstance, newSizeGb: number): Promise<void> {
    return this.call('shrinkInstance', instance.share_id, () => this.resizeCall('shrinkInstance', instance)(instance, newSizeGb));
  }

  async migrationCheckCompatibility(source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility> {
    const answer = await this.call('migrationCheckCompatibility', source.share_id, () => this.inner.migrationCheckCompatibility(source, destinationHost));
    return { ...answer, ...this.faults.compatibility };
  }

  migrationStart(request: DriverMigrationRequest): Promise<void> {
    return this.call('migrationStart', request.source.share_id, () => this.inner.migrationStart(request));
  }

  migrationContinue(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    return this.call('migrationContinue', request.source.share_id, () => this.inner.migrationContinue(request));
  }

  migrationComplete(request: DriverMigrationRequest): Promise<readonly ExportLocation[]> {
    if (this.faults.commit_on_complete) this.committed.add(request.destination.id);
    return this.call('migrationComplete', request.source.share_id, () => this.inner.migrationComplete(request));
  }

  migrationCancel(request: DriverMigrationRequest): Promise<void> {
    return this.call('migrationCancel', request.source.share_id, () => {
      if (this.committed.has(request.destination.id)) {
        throw new DriverMigrationCommittedError(
          `${this.backendHost}: the switch of instance ${request.source.id} to ${request.destination.id} is committed; nothing was undone (injected fault)`,
          { shareId: request.source.share_id },
        );
      }
      return this.inner.migrationCancel(request);
    });
  }

  migrationGetProgress(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    return this.call('migrationGetProgress', request.source.share_id, () => this.inner.migrationGetProgress(request));
  }

  /** Moves the instance's data out of its folder, to where deleteInstance does not look (leave_data_on_delete). */
  private async leaveData(instance: ShareInstance): Promise<void> {
    const mount = await this.inner.getCopyMount(instance).catch(() => null);
    if (!mount) return; // Already gone.
    // The local driver's layout: <root>/<pool>/share-<id>/data.
    const root = path.resolve(mount.path, '..', '..', '..', '.leftover');
    const leftover = path.join(root, 'shares', `share-${instance.id}`);
    await mkdir(path.dirname(leftover), { recursive: true });
    await rename(mount.path, leftover);
    this.leftovers.set(instance.id, root);
  }

  /** The wrapped driver's snapshot call, bound; a DriverError if it has none. */
  private snapshotCall<K extends 'createSnapshot' | 'deleteSnapshot' | 'getSnapshotMount'>(name: K, instance: ShareInstance): NonNullable<ShareDriver[K]> {
    const fn = this.inner[name];
    if (!fn) throw new DriverError(`${this.backendHost} does not support snapshots (no ${name})`, { shareId: instance.share_id });
    return fn.bind(this.inner) as NonNullable<ShareDriver[K]>;
  }

  /** The wrapped driver's extend or shrink, bound; a DriverError if it has none. */
  private resizeCall<K extends 'extendInstance' | 'shrinkInstance'>(name: K, instance: ShareInstance): NonNullable<ShareDriver[K]> {
    const fn = this.inner[name];
    if (!fn) throw new DriverError(`${this.backendHost} cannot resize instances (no ${name})`, { shareId: instance.share_id });
    return fn.bind(this.inner) as NonNullable<ShareDriver[K]>;
  }

  private async call<T>(name: DriverCall, shareId: string | undefined, run: () => Promise<T>): Promise<T> {
    const delay = this.faults.delay_ms?.[name];
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    const failure = this.faults.fail?.[name];
    if (failure !== undefined) throw new DriverError(`${this.backendHost} ${name} failed: ${failure} (injected fault)`, { shareId });
    const result = await run();
    const lost = this.faults.fail_after?.[name];
    if (lost !== undefined) throw new DriverError(`${this.backendHost} ${name} failed after acting: ${lost} (injected fault)`, { shareId });
    return result;
  }
}

/** Checks a `faults` config value; returns what is wrong, or null. */
export function faultsProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'must be an object { fail?, fail_after?, delay_ms?, compatibility?, commit_on_complete?, switchover_connections?, leave_data_on_delete? }';
  }
  const {
    fail, fail_after: failAfter, delay_ms: delays, compatibility, commit_on_complete: commitOnComplete,
    switchover_connections: connections, leave_data_on_delete: leaveData, ...rest
  } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return `has unknown key(s) ${Object.keys(rest).join(', ')}`;
  if (commitOnComplete !== undefined && typeof commitOnComplete !== 'boolean') return 'commit_on_complete must be true or false';
  if (leaveData !== undefined && typeof leaveData !== 'boolean') return 'leave_data_on_delete must be true or false';
  if (connections !== undefined) {
    const problem = switchoverConnectionsProblem(connections);
    if (problem) return `switchover_connections ${problem}`;
  }
  for (const [label, map, ok] of [
    ['fail', fail, (v: unknown) => typeof v === 'string'],
    ['fail_after', failAfter, (v: unknown) => typeof v === 'string'],
    ['delay_ms', delays, (v: unknown) => typeof v === 'number' && v >= 0],
  ] as const) {
    if (map === undefined) continue;
    if (typeof map !== 'object' || map === null) return `${label} must be an object keyed by driver call`;
    for (const [call, v] of Object.entries(map)) {
      if (!(DRIVER_CALLS as readonly string[]).includes(call)) return `${label}.${call} is not a driver call (${DRIVER_CALLS.join(', ')})`;
      if (!ok(v)) return `${label}.${call} has an invalid value`;
    }
  }
  if (compatibility !== undefined && (typeof compatibility !== 'object' || compatibility === null)) return 'compatibility must be an object';
  return null;
}

function switchoverConnectionsProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object { connections, scope?, polls?, retry_after_seconds? }';
  const { connections, scope, polls, retry_after_seconds: retry, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return `has unknown key(s) ${Object.keys(rest).join(', ')}`;
  const count = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (!count(connections) || connections === 0) return 'connections must be a whole number above 0';
  if (scope !== undefined && scope !== 'instance' && scope !== 'shared') return "scope must be 'instance' or 'shared'";
  if (polls !== undefined && !count(polls)) return 'polls must be a whole number';
  if (retry !== undefined && !(typeof retry === 'number' && retry > 0)) return 'retry_after_seconds must be a number above 0';
  return null;
}
