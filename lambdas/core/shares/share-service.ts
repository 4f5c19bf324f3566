import type { DriverRegistry } from '../../drivers/driver.ts';
import { ForbiddenError, InvalidRequestError, InvalidShareStateError, NotFoundError } from '../errors.ts';
import type { AccessRule, Share, ShareInstance } from '../model.ts';
import { ShareStatus } from '../model.ts';
import type { Clock, IdGenerator, ShareStore } from '../ports.ts';
import type { AllowAccessRequest, CreateShareRequest, ShareDeletion, ShareNetworkService, ShareService, ShareTypeService } from '../services.ts';
import { withPendingPurge } from '../purges/data-purges.ts';
import { placementForNetwork } from '../share-networks/placement.ts';
import { isBusy } from '../task-state.ts';
import { updateVersioned } from '../versioned-update.ts';
import type { DriverPoolService } from '../pools/pool-service.ts';
import { validateAllowAccess } from './access-rule-validation.ts';
import { activeInstance } from './share-instances.ts';
import { inScope, type ShareListRequest, type SharePage } from './share-list.ts';

export interface ShareServiceDeps {
  readonly shares: ShareStore;
  readonly shareTypes: ShareTypeService;
  readonly shareNetworks: ShareNetworkService;
  readonly pools: DriverPoolService;
  readonly drivers: DriverRegistry;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

export class DriverShareService implements ShareService {
  private readonly deps: ShareServiceDeps;

  constructor(deps: ShareServiceDeps) {
    this.deps = deps;
  }

  async create(request: CreateShareRequest): Promise<Share> {
    const { shares, shareTypes, pools, drivers, clock, ids } = this.deps;
    if (!Number.isInteger(request.size) || request.size < 1) {
      throw new InvalidRequestError(`Share size must be a positive whole number of GiB, not ${String(request.size)}.`);
    }
    if (request.share_proto !== 'NFS' && request.share_proto !== 'CIFS') {
      throw new InvalidRequestError(`Invalid share protocol ${String(request.share_proto)}: NFS or CIFS.`);
    }
    const type = request.share_type ? await shareTypes.get(request.share_type) : await shareTypes.getDefault();
    const needs = await placementForNetwork(this.deps.shareNetworks, type, request.share_network_id ?? null);
    const { passed, rejected } = await pools.candidates(type, request.size, needs);
    const pool = request.only_host ? passed.find((p) => p.name === request.only_host) : passed[0];
    if (request.only_host && !pool) {
      const why = rejected.find((r) => r.pool === request.only_host)?.reason ?? 'no such pool';
      throw new InvalidRequestError(`No valid host was found: only_host ${request.only_host} cannot take this share (${why}).`);
    }
    if (!pool) {
      const why = rejected.map((r) => `${r.pool}: ${r.reason}`).join('; ');
      throw new InvalidRequestError(`No valid host was found for share type ${type.name}. ${why}`);
    }
    const now = clock.now().toISOString();
    const shareId = ids.newId();
    const instance: ShareInstance = {
      id: ids.newId(),
      share_id: shareId,
      host: pool.name,
      status: ShareStatus.CREATING,
      share_type_id: type.id,
      export_locations: [],
      share_network_id: request.share_network_id ?? null,
      created_at: now,
    };
    const share: Share = {
      id: shareId,
      name: request.name ?? null,
      description: request.description ?? null,
      size: request.size,
      share_proto: request.share_proto,
      share_type_id: type.id,
      project_id: request.project_id,
      user_id: request.user_id,
      status: ShareStatus.CREATING,
      task_state: null,
      is_public: request.is_public ?? false,
      metadata: request.metadata ?? {},
      availability_zone: request.availability_zone ?? null,
      share_network_id: request.share_network_id ?? null,
      active_instance_id: instance.id,
      instances: [instance],
      access_rules: [],
      migration_id: null,
      created_at: now,
      updated_at: now,
      version: 1,
    };
    await shares.create(share);
    try {
      const exportLocations = await drivers.forHost(pool.name).createInstance({
        instance,
        pool: pool.pool,
        size_gb: request.size,
        share_proto: request.share_proto,
      });
      return await updateVersioned(shares, shareId, (s) => ({
        ...s,
        status: ShareStatus.AVAILABLE,
        instances: s.instances.map((i) => (i.id === instance.id ? { ...i, status: ShareStatus.AVAILABLE, export_locations: exportLocations } : i)),
        updated_at: clock.now().toISOString(),
      }), { shareId }, 'Share');
    } catch (err) {
      await updateVersioned(shares, shareId, (s) => ({
        ...s,
        status: ShareStatus.ERROR,
        instances: s.instances.map((i) => (i.id === instance.id ? { ...i, status: ShareStatus.ERROR } : i)),
      }), { shareId }, 'Share');
      throw err;
    }
  }

  async get(shareId: string): Promise<Share> {
    const share = await this.deps.shares.get(shareId);
    if (!share) throw new NotFoundError(`Share ${shareId} could not be found.`, { shareId });
    return share;
  }

  /**
   * The page from the store's indexes. Manila's marker is the id of the last share the caller saw; it is
   * resolved to that share's position in the list's order, so the page costs what it holds whatever the
   * marker's depth. A marker that names no share the caller could list is refused, as Cinder refuses it
   * (Manila ignores markers): a page after an unknown position would silently repeat or skip shares.
   */
  async list(request: ShareListRequest): Promise<SharePage> {
    const { shares } = this.deps;
    const { marker, withCount, ...query } = request;
    let after: Share | null = null;
    if (marker !== undefined) {
      after = await shares.get(marker);
      if (!after || !inScope(after, query.scope)) throw new InvalidRequestError(`The marker ${marker} could not be found.`);
    }
    const [page, count] = await Promise.all([shares.listPage(query, after), withCount ? shares.countList(query) : undefined]);
    return count === undefined ? { shares: page } : { shares: page, count };
  }

  /**
   * Deletes every instance, then the record; an instance whose driver says it left data (dataLeftBehind:
   * an EFS access point's folder) keeps the share `deleting` with that data recorded in `purges`, for the
   * purge execution the API starts, which removes the record once the data is gone. Run again on a
   * `deleting` share (a retried delete), it redoes what is left.
   */
  async delete(shareId: string): Promise<ShareDeletion> {
    const { shares, drivers, clock } = this.deps;
    const ids = { shareId };
    const deleting = await updateVersioned(shares, shareId, (s) => {
      if (s.migration_id !== null || isBusy(s.task_state)) {
        throw new ForbiddenError('Share is busy with an active migration and cannot be deleted.', { shareId, migrationId: s.migration_id ?? undefined });
      }
      const allowed: string[] = [ShareStatus.AVAILABLE, ShareStatus.ERROR, ShareStatus.INACTIVE, ShareStatus.DELETING];
      if (!allowed.includes(s.status)) {
        throw new ForbiddenError(`Share status must be one of ${allowed.join(', ')}, not ${s.status}.`, ids);
      }
      const snapshots = s.snapshots?.length ?? 0;
      if (snapshots > 0) throw new ForbiddenError(`Invalid share: Share still has ${snapshots} dependent snapshots.`, ids);
      return s.status === ShareStatus.DELETING ? s : { ...s, status: ShareStatus.DELETING, updated_at: clock.now().toISOString() };
    }, ids, 'Share');
    const leftData: ShareInstance[] = [];
    for (const instance of deleting.instances) {
      const driver = drivers.forHost(instance.host);
      await driver.deleteInstance(instance);
      if (await driver.dataLeftBehind(instance)) leftData.push(instance);
    }
    if (leftData.length === 0) {
      await shares.delete(shareId, deleting.version);
      return { purge_pending: false };
    }
    const at = clock.now().toISOString();
    await updateVersioned(shares, shareId, (s) => {
      const before = s.purges ?? [];
      const purges = leftData.reduce((records, instance) => withPendingPurge(records, instance, at) ?? records, before);
      return purges === before ? s : { ...s, purges, updated_at: at };
    }, ids, 'Share');
    return { purge_pending: true };
  }

  async allowAccess(shareId: string, request: AllowAccessRequest): Promise<AccessRule> {
    const { shares, clock, ids } = this.deps;
    validateAllowAccess(request, { shareId });
    const now = clock.now().toISOString();
    const rule: AccessRule = {
      id: ids.newId(),
      access_type: request.access_type,
      access_to: request.access_to,
      access_level: request.access_level,
      state: 'active',
      access_key: null,
      metadata: request.metadata ?? {},
      created_at: now,
      updated_at: null,
    };
    const share = await updateVersioned(shares, shareId, (s) => {
      assertAccessChangeAllowed(s);
      if (s.access_rules.some((r) => r.access_type === rule.access_type && r.access_to === rule.access_to)) {
        throw new InvalidRequestError(`Share access ${rule.access_type}:${rule.access_to} exists.`, { shareId });
      }
      return { ...s, access_rules: [...s.access_rules, rule], updated_at: now };
    }, { shareId }, 'Share');
    await this.applyAccessRules(share);
    return rule;
  }

  async denyAccess(shareId: string, accessId: string): Promise<void> {
    const { shares, clock } = this.deps;
    const share = await updateVersioned(shares, shareId, (s) => {
      assertAccessChangeAllowed(s);
      if (!s.access_rules.some((r) => r.id === accessId)) {
        throw new NotFoundError(`Access rule ${accessId} not found.`, { shareId });
      }
      return { ...s, access_rules: s.access_rules.filter((r) => r.id !== accessId), updated_at: clock.now().toISOString() };
    }, { shareId }, 'Share');
    await this.applyAccessRules(share);
  }

  async listAccessRules(shareId: string): Promise<AccessRule[]> {
    return [...(await this.get(shareId)).access_rules];
  }

  /**
   * Applies the share's rules on its backend until the record holds what was applied. Racing requests
   * write one after the other but may reach the driver in the other order, and the backend must end with
   * the rules of the last write, not an older set applied later: whoever applied a set the record no
   * longer holds applies the current one. Stops once the share is busy (a migration applies the rules
   * from then on, read-only at its switchover) or after MAX_APPLY_ROUNDS.
   */
  private async applyAccessRules(written: Share): Promise<void> {
    let share = written;
    for (let round = 1; ; round++) {
      const instance = activeInstance(share);
      await this.deps.drivers.forHost(instance.host).applyAccessRules(instance, share.access_rules, { readOnly: false });
      const current = await this.deps.shares.get(share.id);
      if (!current || round >= MAX_APPLY_ROUNDS || sameRules(current, share) || !accessChangeAllowed(current)) return;
      share = current;
    }
  }
}

/** Rounds of applyAccessRules per request: each is one driver call; a burst of 50 requests settles in two or three. */
const MAX_APPLY_ROUNDS = 10;

function sameRules(a: Share, b: Share): boolean {
  const key = (s: Share) => JSON.stringify(s.access_rules.map((r) => [r.id, r.access_level]));
  return activeInstance(a).id === activeInstance(b).id && key(a) === key(b);
}

function accessChangeAllowed(share: Share): boolean {
  return share.migration_id === null && !isBusy(share.task_state) && share.status === ShareStatus.AVAILABLE;
}

/** Manila refuses access changes while a migration holds the share (ShareBusyException). */
function assertAccessChangeAllowed(share: Share): void {
  if (accessChangeAllowed(share)) return;
  if (share.migration_id !== null || isBusy(share.task_state)) {
    throw new InvalidShareStateError('Share is busy with an active task: access rules cannot change during a migration.', {
      shareId: share.id,
      migrationId: share.migration_id ?? undefined,
    });
  }
  if (share.status !== ShareStatus.AVAILABLE) {
    throw new InvalidShareStateError(`Share status must be available, not ${share.status}.`, { shareId: share.id });
  }
}
