import type { QuotaEnforcer } from '../quotas/quota-enforcer.ts';
import type { DriverRegistry, ShareDriver } from '../../drivers/driver.ts';
import { DriverError, InvalidRequestError, InvalidShareStateError, NotFoundError, type ErrorIds } from '../errors.ts';
import type { Share, ShareInstance, ShareSnapshot, ShareSnapshotInstance } from '../model.ts';
import { ShareStatus, SnapshotStatus } from '../model.ts';
import { parseBooleanSpec } from '../pools/pool-filter.ts';
import type { Clock, IdGenerator, ShareStore } from '../ports.ts';
import type { CreateSnapshotRequest, ShareTypeService, SnapshotFilter, SnapshotService } from '../services.ts';
import { activeInstance, findInstance } from '../shares/share-instances.ts';
import { isBusy } from '../task-state.ts';
import { updateVersioned } from '../versioned-update.ts';
import { findSnapshot, locateSnapshot, snapshotsOf, snapshotOf, withSnapshot, withoutSnapshot } from './share-snapshots.ts';

export interface SnapshotServiceDeps {
  readonly shares: ShareStore;
  readonly shareTypes: ShareTypeService;
  readonly drivers: DriverRegistry;
  /** The project's snapshots and snapshot_gigabytes quotas. @default - none enforced */
  readonly quotas?: QuotaEnforcer;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/**
 * Manila's share snapshot calls on the share's record and its driver. A snapshot is written `creating`
 * (a conditional write that also checks the share is not busy), taken by the driver, then marked
 * `available` (or `error`); deletion mirrors it. While a migration holds the share both are refused,
 * as Manila refuses them for a busy share, so the snapshots a migration replays cannot change under it.
 */
export class DriverSnapshotService implements SnapshotService {
  private readonly deps: SnapshotServiceDeps;

  constructor(deps: SnapshotServiceDeps) {
    this.deps = deps;
  }

  async create(request: CreateSnapshotRequest): Promise<ShareSnapshot> {
    const { shares, clock, ids } = this.deps;
    const shareIds = { shareId: request.share_id };
    const share = await shares.get(request.share_id);
    if (!share) throw new NotFoundError(`Share ${request.share_id} could not be found.`, shareIds);
    if (!(await this.supportsSnapshots(share))) {
      throw new InvalidRequestError(`Snapshots cannot be created for share '${share.id}' since it does not have that capability.`, shareIds);
    }
    await this.deps.quotas?.checkNewSnapshot(share);
    const now = clock.now().toISOString();
    const snapshot: ShareSnapshot = {
      id: ids.newId(),
      share_id: share.id,
      name: request.name ?? null,
      description: request.description ?? null,
      size: share.size,
      status: SnapshotStatus.CREATING,
      project_id: request.project_id,
      user_id: request.user_id,
      created_at: now,
      updated_at: null,
      instances: [],
    };
    let instance: ShareInstance | undefined;
    const written = await updateVersioned(shares, share.id, (s) => {
      assertNotBusy(s);
      if (!request.force && s.status !== ShareStatus.AVAILABLE) {
        throw new InvalidShareStateError(`Invalid share: Source share status must be ${ShareStatus.AVAILABLE}.`, shareIds);
      }
      instance = activeInstance(s);
      const copy: ShareSnapshotInstance = {
        id: ids.newId(), share_instance_id: instance.id, status: SnapshotStatus.CREATING, provider_location: null, created_at: now,
      };
      return withSnapshot({ ...s, updated_at: now }, { ...snapshot, instances: [copy] });
    }, shareIds, 'Share');
    const created = snapshotOf(written, snapshot.id);
    const copy = created.instances[0]!;
    let location: string;
    try {
      location = await this.driverFor(instance!, shareIds).createSnapshot!(instance!, copy);
    } catch (err) {
      await this.setStatus(share.id, snapshot.id, SnapshotStatus.ERROR).catch(() => undefined);
      throw err;
    }
    const done = await updateVersioned(shares, share.id, (s) => {
      const current = findSnapshot(s, snapshot.id);
      if (!current) throw new NotFoundError(`Snapshot ${snapshot.id} could not be found.`, shareIds);
      return withSnapshot({ ...s, updated_at: clock.now().toISOString() }, {
        ...current,
        status: SnapshotStatus.AVAILABLE,
        updated_at: clock.now().toISOString(),
        instances: current.instances.map((i) => (i.id === copy.id ? { ...i, status: SnapshotStatus.AVAILABLE, provider_location: location } : i)),
      });
    }, shareIds, 'Share');
    return snapshotOf(done, snapshot.id);
  }

  async get(snapshotId: string): Promise<ShareSnapshot> {
    const { snapshot } = await this.locate(snapshotId);
    return snapshot;
  }

  async list(filter: SnapshotFilter = {}): Promise<ShareSnapshot[]> {
    // Snapshots live in their share's record: the shares that have any, from the store's index of them.
    const shares = filter.share_id ? [await this.deps.shares.get(filter.share_id)].filter((s): s is Share => s !== null) : await this.deps.shares.listWithSnapshots();
    return shares
      .flatMap((s) => snapshotsOf(s))
      .filter((s) => filter.name === undefined || s.name === filter.name)
      .filter((s) => filter.status === undefined || s.status === filter.status)
      .sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** Manila: only an available or errored snapshot of a share no task holds; its copies go first, then the record. */
  async delete(snapshotId: string): Promise<void> {
    const { shares, clock } = this.deps;
    const { share } = await this.locate(snapshotId);
    const shareIds = { shareId: share.id };
    const deleting = await updateVersioned(shares, share.id, (s) => {
      const snapshot = snapshotOf(s, snapshotId);
      assertNotBusy(s);
      const allowed: string[] = [SnapshotStatus.AVAILABLE, SnapshotStatus.ERROR, SnapshotStatus.DELETING];
      if (!allowed.includes(snapshot.status)) {
        throw new InvalidShareStateError(`Invalid share snapshot: Share Snapshot status must be one of ('available', 'error'), not ${snapshot.status}.`, shareIds);
      }
      if (snapshot.status === SnapshotStatus.DELETING) return s;
      const now = clock.now().toISOString();
      return withSnapshot({ ...s, updated_at: now }, {
        ...snapshot,
        status: SnapshotStatus.DELETING,
        updated_at: now,
        instances: snapshot.instances.map((i) => ({ ...i, status: SnapshotStatus.DELETING })),
      });
    }, shareIds, 'Share');
    const snapshot = snapshotOf(deleting, snapshotId);
    try {
      for (const copy of snapshot.instances) {
        const instance = findInstance(deleting, copy.share_instance_id);
        // A copy whose share instance is gone went with it.
        if (instance) await this.driverFor(instance, shareIds).deleteSnapshot!(instance, copy);
      }
    } catch (err) {
      await this.setStatus(share.id, snapshotId, SnapshotStatus.ERROR).catch(() => undefined);
      throw err;
    }
    await updateVersioned(shares, share.id, (s) => (findSnapshot(s, snapshotId) ? withoutSnapshot({ ...s, updated_at: clock.now().toISOString() }, snapshotId) : s), shareIds, 'Share');
  }

  /** Manila's rule: the share type says snapshot_support (the scheduler then placed it on a pool that has it). */
  private async supportsSnapshots(share: Share): Promise<boolean> {
    const type = await this.deps.shareTypes.get(share.share_type_id).catch((err: unknown) => {
      if (err instanceof NotFoundError) return null;
      throw err;
    });
    return parseBooleanSpec(type?.extra_specs['snapshot_support']) === true;
  }

  private driverFor(instance: ShareInstance, ids: ErrorIds): Required<Pick<ShareDriver, 'createSnapshot' | 'deleteSnapshot'>> {
    const driver = this.deps.drivers.forHost(instance.host);
    if (!driver.createSnapshot || !driver.deleteSnapshot) {
      throw new DriverError(`The driver of ${instance.host} does not support snapshots`, ids);
    }
    return driver as Required<Pick<ShareDriver, 'createSnapshot' | 'deleteSnapshot'>>;
  }

  private async setStatus(shareId: string, snapshotId: string, status: SnapshotStatus): Promise<void> {
    await updateVersioned(this.deps.shares, shareId, (s) => {
      const snapshot = findSnapshot(s, snapshotId);
      if (!snapshot) return s;
      const now = this.deps.clock.now().toISOString();
      return withSnapshot({ ...s, updated_at: now }, { ...snapshot, status, updated_at: now, instances: snapshot.instances.map((i) => ({ ...i, status })) });
    }, { shareId }, 'Share');
  }

  /** The snapshot and its share: snapshots live in their share's record, so every share that has snapshots is looked at. */
  private locate(snapshotId: string): Promise<{ share: Share; snapshot: ShareSnapshot }> {
    return locateSnapshot(this.deps.shares, snapshotId);
  }
}

/** Manila's ShareBusyException: a migration (or another task) holds the share. */
function assertNotBusy(share: Share): void {
  if (share.migration_id !== null || isBusy(share.task_state)) {
    throw new InvalidShareStateError(
      `Share is busy with an active task: Share ${share.id} is busy as part of an active task: ${share.task_state ?? 'migration'}.`,
      { shareId: share.id, migrationId: share.migration_id ?? undefined },
    );
  }
}
