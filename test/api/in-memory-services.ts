import type { QuotaService } from '../../lambdas/core/quotas/quota-service.ts';
import { QUOTA_KEYS, UNLIMITED_QUOTAS, type QuotaUsage } from '../../lambdas/core/quotas/quota-model.ts';
import { randomUUID } from 'node:crypto';
import type { SecurityService, ShareNetwork } from '../../lambdas/core/model.ts';
import type { ShareStore } from '../../lambdas/core/ports.ts';
import type { SecurityServiceService, ShareNetworkService } from '../../lambdas/core/services.ts';
import type { CatalogCollection } from '../../lambdas/core/share-networks/ports.ts';
import { CatalogSecurityServiceService, CatalogShareNetworkService } from '../../lambdas/core/share-networks/share-network-service.ts';
import { isIP } from 'node:net';
import { StoredScheduleService, type ScheduleService } from '../../lambdas/core/schedules/schedule-service.ts';
import { InMemoryScheduleStore, RecordingScheduler } from '../support/in-memory-schedule-store.ts';
import { inMemoryShareListing } from '../support/in-memory-share-listing.ts';
import { DriverShareService, type ShareServiceDeps } from '../../lambdas/core/shares/share-service.ts';
import type { ShareListRequest, SharePage } from '../../lambdas/core/shares/share-list.ts';
import { DriverSnapshotService } from '../../lambdas/core/snapshots/snapshot-service.ts';
import { ConcurrentUpdateError } from '../../lambdas/core/errors.ts';
import type { SnapshotService } from '../../lambdas/core/services.ts';
import type { DriverRegistry, ShareDriver } from '../../lambdas/drivers/driver.ts';
import {
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  InvalidShareStateError,
  NotFoundError,
  UnauthorizedError,
} from '../../lambdas/core/errors.ts';
import { parseHost } from '../../lambdas/core/host.ts';
import type { AccessRule, Migration, Pool, Share, ShareType } from '../../lambdas/core/model.ts';
import type {
  AllowAccessRequest,
  CreateShareRequest,
  CreateShareTypeRequest,
  DomainServices,
  MigrationProgressView,
  MigrationService,
  PoolFilterRequest,
  PoolService,
  ShareService,
  ShareResizeService,
  ShareTypeAccessService,
  ShareTypeService,
  StartMigrationRequest,
  TokenVerifier,
} from '../../lambdas/core/services.ts';
import { PHASE1_DONE_STATES, SWITCHOVER_STATES, TaskState, isBusy, isTerminal } from '../../lambdas/core/task-state.ts';

/**
 * A test double of our own port, DomainServices, kept in memory: small, but it refuses what the real
 * services refuse, with the same domain error classes (not found, busy share, bad input, conflicts),
 * so the API's translation of them is what the tests exercise.
 */

export interface TestIdentity {
  readonly token: string;
  readonly projectId: string;
  readonly userId: string;
  readonly isAdmin: boolean;
}

export const ADMIN: TestIdentity = { token: 'admin-token', projectId: 'project-a', userId: 'admin', isAdmin: true };
export const ALICE: TestIdentity = { token: 'alice-token', projectId: 'project-a', userId: 'alice', isAdmin: false };
export const BOB: TestIdentity = { token: 'bob-token', projectId: 'project-b', userId: 'bob', isAdmin: false };

export function testPool(name: string, overrides: Partial<Pool['capabilities']> = {}): Pool {
  const { host, backend, pool } = parseHost(name);
  return {
    name,
    host,
    backend,
    pool,
    capabilities: {
      pool_name: pool,
      share_backend_name: backend,
      vendor_name: 'test',
      driver_version: '1.0',
      storage_protocol: 'NFS_CIFS',
      total_capacity_gb: 100,
      free_capacity_gb: 100,
      reserved_percentage: 0,
      driver_handles_share_servers: false,
      snapshot_support: false,
      create_share_from_snapshot_support: false,
      revert_to_snapshot_support: false,
      mount_snapshot_support: false,
      security_service_types: [],
      ...overrides,
    },
  };
}

export interface InMemoryOptions {
  readonly pools?: readonly Pool[];
  readonly identities?: readonly TestIdentity[];
  /** Phase 1 finishes as soon as a migration starts (for the CLI smoke run). */
  readonly instantPhase1?: boolean;
}

const now = (): string => new Date().toISOString();

/** A catalog collection in a Map. */
class MapCollection<T extends { readonly id: string }> implements CatalogCollection<T> {
  readonly #items = new Map<string, T>();
  async get(id: string): Promise<T | null> {
    return this.#items.get(id) ?? null;
  }
  async list(): Promise<T[]> {
    return [...this.#items.values()];
  }
  async put(item: T): Promise<void> {
    this.#items.set(item.id, item);
  }
  async delete(id: string): Promise<void> {
    this.#items.delete(id);
  }
}

export class InMemoryServices implements DomainServices {
  readonly shareRecords = new Map<string, Share>();
  readonly typeRecords = new Map<string, ShareType>();
  readonly migrationRecords = new Map<string, Migration>();
  readonly poolList: Pool[];
  readonly shares: ShareService;
  /** extend and shrink are served only by the embedded runtime's tests (test/api/share-resize.test.ts). */
  readonly resizes: ShareResizeService = {
    extend: async () => { throw new InvalidRequestError('Extend share operation not supported.'); },
    shrink: async () => { throw new InvalidRequestError('Shrink share operation not supported.'); },
  };
  readonly shareTypes: ShareTypeService;
  /** Type access is served only by the embedded runtime's tests (test/api/share-type-access.test.ts). */
  readonly shareTypeAccess: ShareTypeAccessService = {
    listProjects: async () => { throw new InvalidRequestError('Share type access is not served here.'); },
    addProject: async () => { throw new InvalidRequestError('Share type access is not served here.'); },
    removeProject: async () => { throw new InvalidRequestError('Share type access is not served here.'); },
  };
  /** Quotas are served only by the embedded runtime's tests (test/api/quota-sets.test.ts): unlimited here. */
  readonly quotas: QuotaService = {
    defaults: () => UNLIMITED_QUOTAS,
    limits: async () => UNLIMITED_QUOTAS,
    usage: async () => Object.fromEntries(QUOTA_KEYS.map((key) => [key, 0])) as QuotaUsage,
    update: async () => { throw new InvalidRequestError('Quota sets are not served here.'); },
    reset: async () => { throw new InvalidRequestError('Quota sets are not served here.'); },
  };
  readonly pools: PoolService;
  readonly migrations: MigrationService & { advance(shareId: string, state: TaskState, totalProgress?: number): void };
  readonly tokens: TokenVerifier;
  readonly shareNetworks: ShareNetworkService;
  readonly securityServices: SecurityServiceService;
  readonly schedules: ScheduleService;
  readonly snapshots: SnapshotService;
  readonly scheduleRecords = new InMemoryScheduleStore();
  readonly scheduler = new RecordingScheduler();
  /** Shares whose data purge was started (startDataPurge). */
  readonly purgesStarted: string[] = [];

  constructor(options: InMemoryOptions = {}) {
    this.poolList = [...(options.pools ?? [testPool('local@alpha#default'), testPool('local@beta#default')])];
    const identities = new Map((options.identities ?? [ADMIN, ALICE, BOB]).map((i) => [i.token, i]));
    this.tokens = {
      verify: async (token) => {
        const identity = token === undefined ? undefined : identities.get(token);
        if (!identity) throw new UnauthorizedError('The request you have made requires authentication.');
        return { projectId: identity.projectId, userId: identity.userId, isAdmin: identity.isAdmin };
      },
    };
    this.shareTypes = this.shareTypeService();
    this.pools = this.poolService();
    this.shares = this.shareService();
    this.migrations = this.migrationService(options.instantPhase1 ?? false);
    // The real services over in-memory collections: only the storage is a stand-in.
    const networkDeps = {
      networks: new MapCollection<ShareNetwork>(),
      securityServices: new MapCollection<SecurityService>(),
      shares: { list: async () => [...this.shareRecords.values()] } as unknown as ShareStore,
      clock: { now: () => new Date() },
      ids: { newId: () => randomUUID() },
    };
    this.shareNetworks = new CatalogShareNetworkService(networkDeps);
    this.securityServices = new CatalogSecurityServiceService(networkDeps);
    // The real snapshot service over the share map, with a driver that only answers.
    this.snapshots = new DriverSnapshotService({
      shares: this.shareStore(),
      shareTypes: this.shareTypes,
      drivers: answeringSnapshotDrivers(),
      clock: { now: () => new Date() },
      ids: { newId: () => randomUUID() },
    });
    // The real schedule service over an in-memory store; a scheduler that only records what it was asked.
    this.schedules = new StoredScheduleService({
      schedules: this.scheduleRecords,
      scheduler: this.scheduler,
      shares: { get: async (id) => this.shareRecords.get(id) ?? null },
      pools: {
        get: async (host) => {
          const pool = this.poolList.find((p) => p.name === host);
          if (!pool) throw new NotFoundError(`Pool ${host} not found.`);
          return pool;
        },
      },
      shareTypes: this.shareTypes,
      migrations: this.migrations,
      clock: { now: () => new Date() },
      ids: { newId: () => randomUUID() },
    });
  }

  share(id: string): Share {
    const share = this.shareRecords.get(id);
    if (!share) throw new NotFoundError(`Share ${id} could not be found.`, { shareId: id });
    return share;
  }

  /** The share map as a versioned store (conditional on the version, like the real tables). */
  private shareStore(): ShareStore {
    const records = this.shareRecords;
    return {
      get: async (id) => records.get(id) ?? null,
      list: async () => [...records.values()],
      ...inMemoryShareListing(() => records.values()),
      create: async (share) => {
        if (records.has(share.id)) throw new ConflictError(`Share ${share.id} exists.`);
        records.set(share.id, share);
      },
      replace: async (share) => {
        if (records.get(share.id)?.version !== share.version - 1) throw new ConcurrentUpdateError(`Share ${share.id} changed.`);
        records.set(share.id, share);
      },
      delete: async (id) => {
        records.delete(id);
      },
    };
  }

  private async listShares(request: ShareListRequest): Promise<SharePage> {
    const listing = new DriverShareService({ shares: this.shareStore() } as unknown as ShareServiceDeps);
    return listing.list(request);
  }

  private put(share: Share): Share {
    const next = { ...share, version: share.version + 1, updated_at: now() };
    this.shareRecords.set(share.id, next);
    return next;
  }

  private shareTypeService(): ShareTypeService {
    const types = this.typeRecords;
    const find = (idOrName: string): ShareType => {
      const type = types.get(idOrName) ?? [...types.values()].find((t) => t.name === idOrName);
      if (!type) throw new NotFoundError(`Share type ${idOrName} could not be found.`);
      return type;
    };
    return {
      create: async (request: CreateShareTypeRequest) => {
        if (!('driver_handles_share_servers' in request.extra_specs)) {
          throw new InvalidRequestError('Required extra specification driver_handles_share_servers is missing.');
        }
        if ([...types.values()].some((t) => t.name === request.name)) throw new ConflictError(`Share Type ${request.name} already exists.`);
        const type: ShareType = {
          id: randomUUID(),
          name: request.name,
          description: request.description ?? null,
          is_public: request.is_public ?? true,
          extra_specs: { ...request.extra_specs },
          created_at: now(),
        };
        types.set(type.id, type);
        return type;
      },
      update: async (id, request) => {
        const type = find(id);
        if (request.name && [...types.values()].some((t) => t.name === request.name && t.id !== type.id)) {
          throw new ConflictError(`Share Type ${request.name} already exists.`);
        }
        const next: ShareType = {
          ...type,
          ...(request.name ? { name: request.name } : {}),
          ...(request.description === '' ? { description: null } : request.description ? { description: request.description } : {}),
          ...(request.is_public !== undefined ? { is_public: request.is_public } : {}),
        };
        types.set(type.id, next);
        return next;
      },
      get: async (idOrName) => find(idOrName),
      getDefault: async () => {
        const type = [...types.values()].find((t) => t.name === 'default');
        if (!type) throw new NotFoundError('Default share type default is not configured.');
        return type;
      },
      list: async () => [...types.values()],
      setExtraSpecs: async (id, specs) => {
        const type = find(id);
        const next = { ...type, extra_specs: { ...type.extra_specs, ...specs } };
        types.set(type.id, next);
        return next;
      },
      unsetExtraSpec: async (id, key) => {
        const type = find(id);
        if (key === 'driver_handles_share_servers') throw new InvalidRequestError('Extra spec driver_handles_share_servers is required and cannot be deleted.');
        if (!(key in type.extra_specs)) throw new NotFoundError(`Share type extra spec ${key} not found for type ${type.id}.`);
        const { [key]: _removed, ...rest } = type.extra_specs;
        types.set(type.id, { ...type, extra_specs: rest });
      },
      delete: async (id) => {
        const type = find(id);
        if ([...this.shareRecords.values()].some((s) => s.share_type_id === type.id)) {
          throw new InvalidRequestError(`Share type ${type.id} is in use.`);
        }
        types.delete(type.id);
      },
    };
  }

  private poolService(): PoolService {
    const matches = (value: string, pattern: string | undefined) => pattern === undefined || new RegExp(`^${pattern}$`).test(value);
    return {
      list: async (filter: PoolFilterRequest = {}) => {
        const type = filter.share_type === undefined ? undefined : await this.shareTypes.get(filter.share_type);
        return this.poolList.filter(
          (p) =>
            matches(p.host, filter.host) &&
            matches(p.backend, filter.backend) &&
            matches(p.pool, filter.pool) &&
            (type === undefined || dhss(type) === p.capabilities.driver_handles_share_servers),
        );
      },
    };
  }

  private shareService(): ShareService {
    return {
      create: async (request: CreateShareRequest) => {
        if (!Number.isInteger(request.size) || request.size < 1) throw new InvalidRequestError(`Share size must be a positive whole number of GiB, not ${request.size}.`);
        const type = request.share_type ? await this.shareTypes.get(request.share_type) : await this.shareTypes.getDefault();
        const pool = this.poolList.find(
          (p) =>
            p.capabilities.driver_handles_share_servers === dhss(type) &&
            p.capabilities.free_capacity_gb >= request.size &&
            (!request.only_host || p.name === request.only_host),
        );
        if (!pool) throw new InvalidRequestError(`No valid host was found for share type ${type.name}.`);
        const id = randomUUID();
        const instanceId = randomUUID();
        const created = now();
        const share: Share = {
          id,
          name: request.name ?? null,
          description: request.description ?? null,
          size: request.size,
          share_proto: request.share_proto,
          share_type_id: type.id,
          project_id: request.project_id,
          user_id: request.user_id,
          status: 'available',
          task_state: null,
          is_public: request.is_public ?? false,
          metadata: { ...request.metadata },
          availability_zone: request.availability_zone ?? 'nova',
          share_network_id: request.share_network_id ?? null,
          active_instance_id: instanceId,
          instances: [
            {
              id: instanceId,
              share_id: id,
              host: pool.name,
              status: 'available',
              share_type_id: type.id,
              export_locations: [
                { id: randomUUID(), path: `127.0.0.1:/exports/${pool.backend}/${id}`, preferred: true, is_admin_only: false },
                { id: randomUUID(), path: `10.0.0.1:/admin/${id}`, preferred: false, is_admin_only: true },
              ],
              created_at: created,
            },
          ],
          access_rules: [],
          migration_id: null,
          created_at: created,
          updated_at: created,
          version: 1,
        };
        this.shareRecords.set(id, share);
        return share;
      },
      get: async (shareId) => this.share(shareId),
      // The real list (resolving the marker, paging) over the in-memory store.
      list: (request) => this.listShares(request),
      delete: async (shareId) => {
        const share = this.share(shareId);
        if (share.migration_id !== null || isBusy(share.task_state)) {
          throw new ForbiddenError('Share is busy with an active migration and cannot be deleted.', { shareId, migrationId: share.migration_id ?? undefined });
        }
        const snapshots = share.snapshots?.length ?? 0;
        if (snapshots > 0) throw new ForbiddenError(`Invalid share: Share still has ${snapshots} dependent snapshots.`, { shareId });
        // A share whose metadata says so left data on its backend, as an EFS access point does.
        if (share.metadata['test:leaves-data'] === 'true') {
          this.put({ ...share, status: 'deleting' });
          return { purge_pending: true };
        }
        this.shareRecords.delete(shareId);
        return { purge_pending: false };
      },
      allowAccess: async (shareId, request: AllowAccessRequest) => {
        const share = this.share(shareId);
        assertAccessChangeAllowed(share);
        if (request.access_type === 'ip' && !isIpOrCidr(request.access_to)) {
          throw new InvalidRequestError(`Invalid IP access rule: ${request.access_to} is not an IP address or CIDR.`, { shareId });
        }
        if (share.access_rules.some((r) => r.access_type === request.access_type && r.access_to === request.access_to)) {
          throw new InvalidRequestError(`Share access ${request.access_type}:${request.access_to} exists.`, { shareId });
        }
        const rule: AccessRule = {
          id: randomUUID(),
          access_type: request.access_type,
          access_to: request.access_to,
          access_level: request.access_level,
          state: 'active',
          access_key: null,
          metadata: { ...request.metadata },
          created_at: now(),
          updated_at: null,
        };
        this.put({ ...share, access_rules: [...share.access_rules, rule] });
        return rule;
      },
      denyAccess: async (shareId, accessId) => {
        const share = this.share(shareId);
        assertAccessChangeAllowed(share);
        if (!share.access_rules.some((r) => r.id === accessId)) throw new NotFoundError(`Access rule ${accessId} not found.`, { shareId });
        this.put({ ...share, access_rules: share.access_rules.filter((r) => r.id !== accessId) });
      },
      listAccessRules: async (shareId) => [...this.share(shareId).access_rules],
      resetStatus: async (shareId, status) => {
        const share = this.share(shareId);
        this.put({ ...share, status, instances: share.instances.map((i) => (i.id === share.active_instance_id ? { ...i, status } : i)) });
      },
    };
  }

  private migrationService(instantPhase1: boolean): InMemoryServices['migrations'] {
    const setState = (shareId: string, state: TaskState, progress?: number): void => {
      const share = this.share(shareId);
      const migration = share.migration_id ? this.migrationRecords.get(share.migration_id) : undefined;
      const ended = isTerminal(state);
      if (migration) {
        this.migrationRecords.set(migration.id, {
          ...migration,
          task_state: state,
          history: [...migration.history, { task_state: state, at: now() }],
          progress: progress === undefined ? migration.progress : { ...emptyProgress(), total_progress: progress },
          version: migration.version + 1,
        });
      }
      const moved = state === TaskState.MIGRATION_SUCCESS && migration;
      this.put({
        ...share,
        task_state: state,
        status: ended ? 'available' : share.status,
        migration_id: ended ? null : share.migration_id,
        instances: moved ? share.instances.map((i) => (i.id === share.active_instance_id ? { ...i, host: migration.destination_host } : i)) : share.instances,
      });
    };
    const latest = (shareId: string): Migration | undefined =>
      [...this.migrationRecords.values()].filter((m) => m.share_id === shareId).sort((a, b) => b.created_at.localeCompare(a.created_at))[0];

    return {
      start: async (shareId: string, request: StartMigrationRequest) => {
        const share = this.share(shareId);
        const ids = { shareId, migrationId: share.migration_id ?? undefined };
        if (share.migration_id !== null || isBusy(share.task_state)) throw new InvalidShareStateError(`Share is busy with an active task (${share.task_state}).`, ids);
        if (share.status !== 'available') throw new InvalidShareStateError(`Share status must be available, not ${share.status}.`, ids);
        const destination = parseHost(request.host);
        if (request.force_host_assisted_migration && request.nondisruptive) {
          throw new InvalidRequestError('Invalid parameter combination: force_host_assisted_migration cannot be combined with nondisruptive.', { shareId });
        }
        if (request.new_share_network_id) throw new InvalidRequestError('new_share_network_id is not supported yet.', { shareId });
        const source = share.instances.find((i) => i.id === share.active_instance_id)!;
        if (source.host === request.host && !request.new_share_type_id) {
          throw new InvalidRequestError(`Destination host ${request.host} is the same as the share's current host.`, { shareId });
        }
        if (!this.poolList.some((p) => p.name === request.host)) {
          throw new InvalidRequestError(`Destination host ${request.host} was not found among the pools.`, { shareId });
        }
        if (request.new_share_type_id) await this.shareTypes.get(request.new_share_type_id);
        const created = now();
        const migration: Migration = {
          id: randomUUID(),
          share_id: shareId,
          source_host: source.host,
          destination_host: `${destination.host}@${destination.backend}#${destination.pool}`,
          source_instance_id: source.id,
          destination_instance_id: randomUUID(),
          options: {
            writable: request.writable,
            preserve_metadata: request.preserve_metadata,
            preserve_snapshots: request.preserve_snapshots,
            nondisruptive: request.nondisruptive,
            force_host_assisted_migration: request.force_host_assisted_migration,
            new_share_type_id: request.new_share_type_id ?? null,
            new_share_network_id: null,
            auto_complete: request.auto_complete ?? false,
            refresh_interval: request.refresh_interval ?? null,
          },
          mechanism: null,
          mechanism_reason: null,
          task_state: TaskState.MIGRATION_STARTING,
          history: [{ task_state: TaskState.MIGRATION_STARTING, at: created }],
          progress: null,
          copies: [],
          cancel_requested: false,
          complete_requested: false,
          task_token: 'secret-task-token',
          execution_id: `execution-${shareId}`,
          error: null,
          read_only_since: null,
          read_only_until: null,
          created_at: created,
          updated_at: created,
          version: 1,
        };
        this.migrationRecords.set(migration.id, migration);
        this.put({ ...share, status: 'migrating', task_state: TaskState.MIGRATION_STARTING, migration_id: migration.id });
        if (instantPhase1) setState(shareId, TaskState.DATA_COPYING_COMPLETED, 100);
        return this.migrationRecords.get(migration.id)!;
      },
      getProgress: async (shareId): Promise<MigrationProgressView> => {
        const share = this.share(shareId);
        const migration = latest(shareId);
        if (!migration || share.task_state === null) {
          throw new InvalidShareStateError(`There is no migration being performed for share ${shareId} at this moment.`, { shareId });
        }
        const state = share.task_state;
        const done = isTerminal(state) || PHASE1_DONE_STATES.includes(state) || SWITCHOVER_STATES.includes(state);
        return {
          task_state: state,
          total_progress: done ? 100 : (migration.progress?.total_progress ?? 0),
          details: migration.progress ? { bytes_done: migration.progress.bytes_done } : {},
        };
      },
      complete: async (shareId) => {
        const share = this.share(shareId);
        if (share.task_state === null || !PHASE1_DONE_STATES.includes(share.task_state)) {
          throw new InvalidShareStateError(`First migration phase of share ${shareId} not completed yet.`, { shareId, migrationId: share.migration_id ?? undefined });
        }
        setState(shareId, TaskState.MIGRATION_COMPLETING);
        setState(shareId, TaskState.MIGRATION_SUCCESS);
      },
      cancel: async (shareId) => {
        const share = this.share(shareId);
        if (!isBusy(share.task_state) || (share.task_state !== null && SWITCHOVER_STATES.includes(share.task_state))) {
          throw new InvalidShareStateError(`Migration of share ${shareId} cannot be cancelled at this moment.`, { shareId });
        }
        setState(shareId, TaskState.MIGRATION_CANCELLED);
      },
      resetTaskState: async (shareId, taskState) => {
        this.put({ ...this.share(shareId), task_state: taskState });
      },
      // Retype composes pool filtering and migration; it is exercised against the real services end to end.
      retype: async () => {
        throw new Error('retype is not modelled by the in-memory services: see test/e2e/retype.test.ts');
      },
      listForShare: async (shareId) => {
        this.share(shareId);
        return [...this.migrationRecords.values()].filter((m) => m.share_id === shareId).sort((a, b) => b.created_at.localeCompare(a.created_at));
      },
      get: async (migrationId) => {
        const migration = this.migrationRecords.get(migrationId);
        if (!migration) throw new NotFoundError(`Migration ${migrationId} could not be found.`, { migrationId });
        return migration;
      },
      startDataPurge: async (shareId) => {
        this.purgesStarted.push(shareId);
      },
      advance: (shareId, state, totalProgress) => setState(shareId, state, totalProgress),
    };
  }
}

function isIpOrCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

function dhss(type: ShareType): boolean {
  return /^(<is>\s*)?(true|1|yes)$/i.test(type.extra_specs['driver_handles_share_servers'] ?? '');
}

function assertAccessChangeAllowed(share: Share): void {
  if (share.migration_id !== null || isBusy(share.task_state)) {
    throw new InvalidShareStateError('Share is busy with an active task: access rules cannot change during a migration.', {
      shareId: share.id,
      migrationId: share.migration_id ?? undefined,
    });
  }
}

function emptyProgress(): NonNullable<Migration['progress']> {
  return {
    pass: 'bulk',
    phase: 'copying',
    files_done: 0,
    files_total: 0,
    bytes_done: 0,
    bytes_total: 0,
    bytes_per_second: 0,
    eta_seconds: null,
    total_progress: 0,
    updated_at: now(),
  };
}

/** Drivers that take and remove snapshots without storage: every host answers. */
function answeringSnapshotDrivers(): DriverRegistry {
  const driver = {
    createSnapshot: async (_instance: unknown, snapshot: { id: string }) => `snapshots/${snapshot.id}`,
    deleteSnapshot: async () => undefined,
  } as unknown as ShareDriver;
  return { forHost: () => driver, all: () => [driver] };
}
