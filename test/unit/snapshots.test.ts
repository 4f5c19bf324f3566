import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConcurrentUpdateError, InvalidRequestError, InvalidShareStateError, NotFoundError } from '../../lambdas/core/errors.ts';
import type { MigrationDeps } from '../../lambdas/core/migrations/migration-deps.ts';
import { validateMigrationInput } from '../../lambdas/core/migrations/migration-request.ts';
import type { Migration, Share, ShareInstance, ShareSnapshot, ShareSnapshotInstance, ShareType } from '../../lambdas/core/model.ts';
import type { MigrationStore, ShareStore, VersionedStore } from '../../lambdas/core/ports.ts';
import type { ShareTypeService } from '../../lambdas/core/services.ts';
import { withoutInstance } from '../../lambdas/core/shares/share-instances.ts';
import { oldestFirst, withSnapshotInstancesMoved, withoutSnapshotInstancesOn } from '../../lambdas/core/snapshots/share-snapshots.ts';
import { assertSnapshotsReplayed, planSnapshotReplay, snapshotDestination, snapshotReplayProblem } from '../../lambdas/core/snapshots/snapshot-migration.ts';
import { DriverSnapshotService } from '../../lambdas/core/snapshots/snapshot-service.ts';
import type { DriverRegistry, ShareDriver } from '../../lambdas/drivers/driver.ts';
import { inMemoryShareListing } from '../support/in-memory-share-listing.ts';

const T0 = '2026-01-01T00:00:00.000Z';

function instance(id: string, host = 'local@alpha#default'): ShareInstance {
  return { id, share_id: 'share-1', host, status: 'available', share_type_id: 'type-snap', export_locations: [], created_at: T0 };
}

function copy(id: string, shareInstanceId: string, status: ShareSnapshotInstance['status'] = 'available'): ShareSnapshotInstance {
  return { id, share_instance_id: shareInstanceId, status, provider_location: `snapshots/${id}`, created_at: T0 };
}

function snapshot(id: string, createdAt: string, copies: ShareSnapshotInstance[]): ShareSnapshot {
  return { id, share_id: 'share-1', name: id, description: null, size: 1, status: 'available', project_id: 'p', user_id: 'u', created_at: createdAt, updated_at: null, instances: copies };
}

function share(overrides: Partial<Share> = {}): Share {
  return {
    id: 'share-1', name: 'data', description: null, size: 1, share_proto: 'NFS', share_type_id: 'type-snap', project_id: 'p', user_id: 'u',
    status: 'available', task_state: null, is_public: false, metadata: {}, availability_zone: null, share_network_id: null,
    active_instance_id: 'src', instances: [instance('src')], access_rules: [], migration_id: null, created_at: T0, updated_at: T0, version: 1,
    ...overrides,
  };
}

/** A versioned store in a Map, conditional on the version like the real tables. */
function mapStore<T extends { readonly id: string; readonly version: number }>(items: T[] = []): VersionedStore<T> & { items: Map<string, T> } {
  const map = new Map(items.map((i) => [i.id, i]));
  return {
    items: map,
    get: async (id) => map.get(id) ?? null,
    list: async () => [...map.values()],
    create: async (item) => {
      map.set(item.id, item);
    },
    replace: async (item) => {
      if (map.get(item.id)?.version !== item.version - 1) throw new ConcurrentUpdateError(`${item.id} changed`);
      map.set(item.id, item);
    },
    delete: async (id) => {
      map.delete(id);
    },
  };
}

/** The map store with the share lists over its shares. */
function asShareStore(store: ReturnType<typeof mapStore<Share>>): ShareStore {
  return { ...store, ...inMemoryShareListing(() => store.items.values()) };
}

const snapType: ShareType = { id: 'type-snap', name: 'snap', description: null, is_public: true, extra_specs: { driver_handles_share_servers: 'False', snapshot_support: 'True' }, created_at: T0 };
const plainType: ShareType = { ...snapType, id: 'type-plain', name: 'plain', extra_specs: { driver_handles_share_servers: 'False' } };
const shareTypes = { get: async (id: string) => [snapType, plainType].find((t) => t.id === id) ?? Promise.reject(new NotFoundError(`no ${id}`)) } as unknown as ShareTypeService;

/** A driver that records its snapshot calls and can be told to fail the next one. */
function recordingDriver() {
  const calls: string[] = [];
  let failNext: string | null = null;
  const driver = {
    createSnapshot: async (inst: ShareInstance, snap: ShareSnapshotInstance) => {
      calls.push(`create ${inst.id}/${snap.id}`);
      if (failNext) {
        const message = failNext;
        failNext = null;
        throw new Error(message);
      }
      return `snapshots/${snap.id}`;
    },
    deleteSnapshot: async (inst: ShareInstance, snap: ShareSnapshotInstance) => {
      calls.push(`delete ${inst.id}/${snap.id}`);
    },
    getSnapshotMount: async (inst: ShareInstance, snap: ShareSnapshotInstance) => ({ path: `/${inst.id}/snapshots/${snap.id}/data`, originalModesFile: `/${inst.id}/snapshots/${snap.id}/modes` }),
    getCopyMount: async (inst: ShareInstance) => ({ path: `/${inst.id}/data` }),
  } as unknown as ShareDriver;
  const drivers: DriverRegistry = { forHost: () => driver, all: () => [driver] };
  return { drivers, calls, failOnce: (message: string) => { failNext = message; } };
}

describe('Module: share-snapshots', () => {
  it('orders snapshots oldest first, ties by id', () => {
    // Act
    const ordered = oldestFirst([snapshot('b', '2026-01-02T00:00:00.000Z', []), snapshot('c', T0, []), snapshot('a', T0, [])]);

    // Assess
    expect(ordered.map((s) => s.id)).toEqual(['a', 'c', 'b']);
  });

  it('removing a share instance removes the snapshot copies on it, and keeps a snapshot left with none as error', () => {
    // Prepare
    const s = share({
      instances: [instance('src'), instance('dst', 'local@beta#default')],
      snapshots: [snapshot('s1', T0, [copy('c1', 'src'), copy('c2', 'dst')]), snapshot('s2', T0, [copy('c3', 'dst')])],
    });

    // Act
    const without = withoutInstance(s, 'dst');

    // Assess
    expect(without.instances.map((i) => i.id)).toEqual(['src']);
    expect(without.snapshots!.map((x) => [x.id, x.status, x.instances.map((i) => i.id)])).toEqual([['s1', 'available', ['c1']], ['s2', 'error', []]]);
    expect(withoutSnapshotInstancesOn(share(), 'src')).toEqual(share());
  });

  it('moves the copies of one share instance to another (a driver-assisted migration)', () => {
    // Act
    const moved = withSnapshotInstancesMoved(share({ snapshots: [snapshot('s1', T0, [copy('c1', 'src')])] }), 'src', 'dst');

    // Assess
    expect(moved.snapshots![0]!.instances).toEqual([{ ...copy('c1', 'dst') }]);
  });
});

describe('Module: guarantees', () => {
  it('accepts force_host_assisted_migration with preserve_snapshots: the host-assisted path replays snapshots', () => {
    // Act
    const validated = validateMigrationInput({ share_id: 's', host: 'a@b#c', force_host_assisted_migration: true, preserve_snapshots: true });

    // Assess
    expect(validated.options).toMatchObject({ force_host_assisted_migration: true, preserve_snapshots: true });
  });
});

describe('Class: DriverSnapshotService', () => {
  let shares: ReturnType<typeof mapStore<Share>>;
  let driver: ReturnType<typeof recordingDriver>;
  let service: DriverSnapshotService;

  beforeEach(() => {
    shares = mapStore([share()]);
    driver = recordingDriver();
    let tick = 0;
    const clock = { now: () => new Date(Date.parse(T0) + 1000 * tick++) };
    service = new DriverSnapshotService({ shares: asShareStore(shares), shareTypes, drivers: driver.drivers, clock, ids: { newId: randomUUID } });
  });

  const request = { share_id: 'share-1', name: 'nightly', description: 'd', project_id: 'p', user_id: 'u' };

  describe('Method: create', () => {
    it('writes the snapshot, lets the driver take it on the active instance, and marks it available', async () => {
      // Act
      const created = await service.create(request);

      // Assess
      expect(created).toMatchObject({ share_id: 'share-1', name: 'nightly', description: 'd', size: 1, status: 'available' });
      expect(created.instances).toEqual([expect.objectContaining({ share_instance_id: 'src', status: 'available', provider_location: `snapshots/${created.instances[0]!.id}` })]);
      expect(driver.calls).toEqual([`create src/${created.instances[0]!.id}`]);
      expect(shares.items.get('share-1')!.snapshots).toEqual([created]);
    });

    it('marks the snapshot error when the driver fails', async () => {
      // Prepare
      driver.failOnce('disk full');

      // Act & Assess
      await expect(service.create(request)).rejects.toThrow('disk full');
      expect(shares.items.get('share-1')!.snapshots!.map((s) => s.status)).toEqual(['error']);
    });

    it.each([
      ['a migration holds the share', share({ migration_id: 'm-1', status: 'migrating', task_state: 'data_copying_in_progress' }), InvalidShareStateError, /Share is busy with an active task: Share share-1 is busy as part of an active task: data_copying_in_progress\./],
      ['the share is not available', share({ status: 'error' }), InvalidShareStateError, /Source share status must be available/],
      ['its type lacks snapshot_support', share({ share_type_id: 'type-plain' }), InvalidRequestError, /does not have that capability/],
    ])('is refused when %s, and the driver is not called', async (_why, current, errorClass, message) => {
      // Prepare
      shares.items.set('share-1', current);

      // Act & Assess
      await expect(service.create(request)).rejects.toThrow(errorClass);
      await expect(service.create(request)).rejects.toThrow(message);
      expect(driver.calls).toEqual([]);
    });

    it('with force, snapshots a share whose status is not available', async () => {
      // Prepare
      shares.items.set('share-1', share({ status: 'error' }));

      // Act & Assess
      await expect(service.create({ ...request, force: true })).resolves.toMatchObject({ status: 'available' });
    });
  });

  describe('Method: delete', () => {
    it('deletes every copy, then the record', async () => {
      // Prepare
      const created = await service.create(request);

      // Act
      await service.delete(created.id);

      // Assess
      expect(driver.calls.at(-1)).toBe(`delete src/${created.instances[0]!.id}`);
      expect(shares.items.get('share-1')!.snapshots).toEqual([]);
      await expect(service.get(created.id)).rejects.toThrow(`Snapshot ${created.id} could not be found.`);
    });

    it('is refused while a migration holds the share', async () => {
      // Prepare
      const created = await service.create(request);
      shares.items.set('share-1', { ...shares.items.get('share-1')!, migration_id: 'm-1', task_state: 'migration_in_progress' });

      // Act & Assess
      await expect(service.delete(created.id)).rejects.toThrow(/Share is busy with an active task/);
      expect(shares.items.get('share-1')!.snapshots!.map((s) => s.status)).toEqual(['available']);
    });
  });

  describe('Method: list', () => {
    it('lists every share\'s snapshots, newest first, filtered', async () => {
      // Prepare
      const first = await service.create({ ...request, name: 'one' });
      const second = await service.create({ ...request, name: 'two' });

      // Act & Assess
      expect((await service.list()).map((s) => s.id)).toEqual([second.id, first.id]);
      expect((await service.list({ name: 'one' })).map((s) => s.id)).toEqual([first.id]);
      expect(await service.list({ share_id: 'nope' })).toEqual([]);
    });
  });
});

describe('Module: snapshot-migration', () => {
  const migration: Migration = {
    id: 'm-1', share_id: 'share-1', source_host: 'local@alpha#default', destination_host: 'local@beta#default', source_instance_id: 'src', destination_instance_id: 'dst',
    options: { writable: true, preserve_metadata: true, preserve_snapshots: true, nondisruptive: false, force_host_assisted_migration: false, new_share_type_id: null, new_share_network_id: null, auto_complete: false, refresh_interval: null },
    mechanism: 'host_assisted', mechanism_reason: null, task_state: 'data_copying_in_progress', history: [], progress: null, copies: [], cancel_requested: false,
    complete_requested: false, task_token: null, execution_id: null, error: null, read_only_since: null, read_only_until: null, created_at: T0, updated_at: T0, version: 1,
  };
  const migrating = () => share({
    status: 'migrating', task_state: 'data_copying_in_progress', migration_id: 'm-1',
    instances: [instance('src'), instance('dst', 'local@beta#default')],
    snapshots: [snapshot('newer', '2026-01-03T00:00:00.000Z', [copy('c-newer', 'src')]), snapshot('older', '2026-01-02T00:00:00.000Z', [copy('c-older', 'src')])],
  });
  let shares: ReturnType<typeof mapStore<Share>>;
  let migrations: ReturnType<typeof mapStore<Migration>>;
  let driver: ReturnType<typeof recordingDriver>;
  let deps: MigrationDeps;
  let snapshotSupport: boolean;

  beforeEach(() => {
    shares = mapStore([migrating()]);
    migrations = mapStore([migration]);
    driver = recordingDriver();
    snapshotSupport = true;
    deps = {
      shares: asShareStore(shares),
      migrations: migrations as unknown as MigrationStore,
      drivers: driver.drivers,
      pools: { get: async (host: string) => ({ name: host, capabilities: { snapshot_support: snapshotSupport } }) },
      clock: { now: () => new Date() },
      ids: { newId: randomUUID },
    } as unknown as MigrationDeps;
  });

  it('plans the oldest snapshot first, with the copy task reading its mount, in the task definition prepare just recorded', async () => {
    // Prepare: the record has the task definition, the migration in hand (read before) not yet
    migrations.items.set('m-1', { ...migration, copy_task_definition: 'copy:7', version: 2 });

    // Act
    const plan = await planSnapshotReplay(deps, migration, 0);

    // Assess
    expect(plan).toEqual({
      more: true, index: 0, count: 2, snapshot_id: 'older',
      copy: { source: '/src/snapshots/c-older/data', destination: '/dst/data', source_modes: '/src/snapshots/c-older/modes', preserve_metadata: 'true', task_definition: 'copy:7' },
    });
    expect(migrations.items.get('m-1')!.snapshot_replay).toEqual({ replayed: 0, total: 2, snapshot_id: 'older', snapshot_name: 'older' });
  });

  it('snapshots the destination once, even when run again or retried after a driver failure, then plans past it', async () => {
    // Prepare
    driver.failOnce('busy');

    // Act
    await expect(snapshotDestination(deps, migration, 'older')).rejects.toThrow('busy');
    await snapshotDestination(deps, migration, 'older');
    await snapshotDestination(deps, migration, 'older');
    const next = await planSnapshotReplay(deps, migration, 0);

    // Assess
    const older = shares.items.get('share-1')!.snapshots!.find((s) => s.id === 'older')!;
    expect(older.instances).toEqual([copy('c-older', 'src'), expect.objectContaining({ share_instance_id: 'dst', status: 'available', created_at: expect.any(String) })]);
    expect(older.created_at).toBe('2026-01-02T00:00:00.000Z');
    expect(driver.calls.filter((c) => c.startsWith('create dst/'))).toHaveLength(2);
    expect(new Set(driver.calls.filter((c) => c.startsWith('create dst/'))).size).toBe(1);
    expect(next).toMatchObject({ more: true, index: 1, snapshot_id: 'newer' });
    expect(() => assertSnapshotsReplayed(shares.items.get('share-1')!, migration)).toThrow(/newer were not replayed/);
  });

  it('says why the host-assisted path cannot carry snapshots: one not available, or a destination without snapshot support', async () => {
    // Prepare
    const withError = { ...migrating(), snapshots: [{ ...snapshot('broken', T0, []), status: 'error' as const }] };

    // Act & Assess
    expect(await snapshotReplayProblem(deps, withError, 'local@beta#default')).toMatch(/all snapshots must have 'available' status .*\(broken is error\)/);
    snapshotSupport = false;
    expect(await snapshotReplayProblem(deps, migrating(), 'local@beta#default')).toMatch(/does not support snapshots/);
    expect(await snapshotReplayProblem(deps, share(), 'local@beta#default')).toBeNull();
  });
});
