import type { DriverRegistry } from '../../drivers/driver.ts';
import { ForbiddenError, InvalidRequestError, InvalidShareStateError, NotFoundError } from '../errors.ts';
import type { AccessRule, Pool, Share, ShareInstance, ShareType } from '../model.ts';
import { ShareStatus } from '../model.ts';
import type { Clock, IdGenerator, ShareStore } from '../ports.ts';
import type { AllowAccessRequest, CreateShareRequest, ShareDeletion, ShareNetworkService, ShareService, ShareTypeService } from '../services.ts';
import { withPendingPurge } from '../purges/data-purges.ts';
import { placementForNetwork } from '../share-networks/placement.ts';
import { isBusy } from '../task-state.ts';
import { updateVersioned } from '../versioned-update.ts';
import type { DriverPoolService } from '../pools/pool-service.ts';
import { findZone, poolZone, typeZones } from '../pools/availability-zones.ts';
import { validateAllowAccess } from './access-rule-validation.ts';
import type { QuotaEnforcer } from '../quotas/quota-enforcer.ts';
import { AccessRuleStates, hasQueuedRules, isBeingDenied, markInProgress, rulesToEnforce, settleRules } from './access-rule-states.ts';
import { activeInstance } from './share-instances.ts';
import { snapshotSource } from './share-from-snapshot.ts';
import { inScope, type ShareListRequest, type SharePage } from './share-list.ts';

export interface ShareServiceDeps {
  readonly shares: ShareStore;
  readonly shareTypes: ShareTypeService;
  readonly shareNetworks: ShareNetworkService;
  readonly pools: DriverPoolService;
  readonly drivers: DriverRegistry;
  /** The project's quotas, checked before a share is placed. @default - none enforced */
  readonly quotas?: QuotaEnforcer;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

export class DriverShareService implements ShareService {
  private readonly deps: ShareServiceDeps;

  constructor(deps: ShareServiceDeps) {
    this.deps = deps;
  }

  async create(request: CreateShareRequest): Promise<Share> {
    const { shares, shareTypes, drivers, clock, ids } = this.deps;
    if (!Number.isInteger(request.size) || request.size < 1) {
      throw new InvalidRequestError(`Share size must be a positive whole number of GiB, not ${String(request.size)}.`);
    }
    if (request.share_proto !== 'NFS' && request.share_proto !== 'CIFS') {
      throw new InvalidRequestError(`Invalid share protocol ${String(request.share_proto)}: NFS or CIFS.`);
    }
    // From a snapshot: the parent's type, network and pool (share-from-snapshot.ts), checked before quotas as in Manila.
    const source = request.snapshot_id ? await snapshotSource(this.deps, request.snapshot_id, request) : null;
    const type = source?.type ?? (request.share_type ? await shareTypes.get(request.share_type) : await shareTypes.getDefault());
    // Manila's order (share/api.py create): the per-share limit, then shares and gigabytes, before placement.
    await this.deps.quotas?.checkShareSize(request.project_id, request.size);
    await this.deps.quotas?.checkNewShare(request.project_id, type.id, request.size);
    const pool = source?.pool ?? (await this.place(type, request));
    const shareNetworkId = source ? source.shareNetworkId : (request.share_network_id ?? null);
    const now = clock.now().toISOString();
    const shareId = ids.newId();
    const instance: ShareInstance = {
      id: ids.newId(),
      share_id: shareId,
      host: pool.name,
      status: ShareStatus.CREATING,
      share_type_id: type.id,
      export_locations: [],
      share_network_id: shareNetworkId,
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
      // Manila's instance takes its host's zone, whether or not one was asked for.
      availability_zone: poolZone(pool),
      share_network_id: shareNetworkId,
      snapshot_id: source?.snapshot.id ?? null,
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
      const driver = drivers.forHost(pool.name);
      const creation = { instance, pool: pool.pool, size_gb: request.size, share_proto: request.share_proto };
      const exportLocations = source
        ? await driver.createInstanceFromSnapshot!(creation, source.instance, source.copy)
        : await driver.createInstance(creation);
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

  /** The pool the scheduler picks (or the only_host hint names) for a new, empty share. */
  private async place(type: ShareType, request: CreateShareRequest): Promise<Pool> {
    const zone = await this.requestedZone(type, request.availability_zone ?? null);
    const networkNeeds = await placementForNetwork(this.deps.shareNetworks, type, request.share_network_id ?? null);
    const needs = zone === undefined ? networkNeeds : { ...networkNeeds, availabilityZone: zone };
    const { passed, rejected } = await this.deps.pools.candidates(type, request.size, needs);
    const pool = request.only_host ? passed.find((p) => p.name === request.only_host) : passed[0];
    if (request.only_host && !pool) {
      const why = rejected.find((r) => r.pool === request.only_host)?.reason ?? 'no such pool';
      throw new InvalidRequestError(`No valid host was found: only_host ${request.only_host} cannot take this share (${why}).`);
    }
    if (!pool) {
      const why = rejected.map((r) => `${r.pool}: ${r.reason}`).join('; ');
      throw new InvalidRequestError(`No valid host was found for share type ${type.name}. ${why}`);
    }
    return pool;
  }

  /**
   * The zone a create asks for, by name (manila/api/v2/shares.py _create): one no pool belongs to is not
   * found, and one outside the type's `availability_zones` is bad input.
   */
  private async requestedZone(type: ShareType, requested: string | null): Promise<string | undefined> {
    if (requested === null || requested === '') return undefined;
    const zone = findZone(await this.deps.pools.list(), requested);
    if (!zone) throw new NotFoundError(`Availability zone ${requested} could not be found.`);
    const allowed = typeZones(type);
    if (allowed !== null && !allowed.includes(zone.name)) {
      throw new InvalidRequestError(`Share type ${type.name} is not supported within the availability zone chosen ${zone.name}.`);
    }
    return zone.name;
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
   * `deleting` share (a retried delete), it redoes what is left. Forced (force_delete), the share's status
   * is not checked and an instance its driver failed to delete is dropped from the record all the same,
   * as Manila's share manager does with force; a share a migration holds, or with snapshots, is still
   * refused (400 there, as Manila's ShareBusyException and InvalidShare reach a forced delete).
   */
  async delete(shareId: string, options: { readonly force?: boolean } = {}): Promise<ShareDeletion> {
    const { shares, drivers, clock } = this.deps;
    const ids = { shareId };
    const force = options.force === true;
    const deleting = await updateVersioned(shares, shareId, (s) => {
      if (s.migration_id !== null || isBusy(s.task_state)) {
        const message = 'Share is busy with an active migration and cannot be deleted.';
        const migration = { shareId, migrationId: s.migration_id ?? undefined };
        throw force ? new InvalidShareStateError(message, migration) : new ForbiddenError(message, migration);
      }
      const allowed: string[] = [ShareStatus.AVAILABLE, ShareStatus.ERROR, ShareStatus.INACTIVE, ShareStatus.DELETING];
      if (!force && !allowed.includes(s.status)) {
        throw new ForbiddenError(`Share status must be one of ${allowed.join(', ')}, not ${s.status}.`, ids);
      }
      const snapshots = s.snapshots?.length ?? 0;
      if (snapshots > 0) {
        const message = `Invalid share: Share still has ${snapshots} dependent snapshots.`;
        throw force ? new InvalidShareStateError(message, ids) : new ForbiddenError(message, ids);
      }
      return s.status === ShareStatus.DELETING ? s : { ...s, status: ShareStatus.DELETING, updated_at: clock.now().toISOString() };
    }, ids, 'Share');
    const leftData: ShareInstance[] = [];
    for (const instance of deleting.instances) {
      const driver = drivers.forHost(instance.host);
      try {
        await driver.deleteInstance(instance);
        if (await driver.dataLeftBehind(instance)) leftData.push(instance);
      } catch (err) {
        if (!force) throw err;
      }
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

  async resetStatus(shareId: string, status: ShareStatus): Promise<void> {
    const { shares, clock } = this.deps;
    await updateVersioned(shares, shareId, (s) => ({
      ...s,
      status,
      instances: s.instances.map((i) => (i.id === s.active_instance_id ? { ...i, status } : i)),
      updated_at: clock.now().toISOString(),
    }), { shareId }, 'Share');
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
      state: AccessRuleStates.QUEUED_TO_APPLY,
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

  /** Marks the rule `queued_to_deny`; it is removed once the driver enforces the rules without it. */
  async denyAccess(shareId: string, accessId: string): Promise<void> {
    const { shares, clock } = this.deps;
    const share = await updateVersioned(shares, shareId, (s) => {
      assertAccessChangeAllowed(s);
      const rule = s.access_rules.find((r) => r.id === accessId);
      if (!rule) throw new NotFoundError(`Access rule ${accessId} not found.`, { shareId });
      if (isBeingDenied(rule)) return s;
      const at = clock.now().toISOString();
      const rules = s.access_rules.map((r) => (r.id === accessId ? { ...r, state: AccessRuleStates.QUEUED_TO_DENY, updated_at: at } : r));
      return { ...s, access_rules: rules, updated_at: at };
    }, { shareId }, 'Share');
    await this.applyAccessRules(share);
  }

  async listAccessRules(shareId: string): Promise<AccessRule[]> {
    return [...(await this.get(shareId)).access_rules];
  }

  /**
   * Applies the share's rules on its backend until the record holds what was applied, moving each rule
   * through Manila's states (access-rule-states.ts): queued rules become applying/denying, the driver
   * enforces the set, then they are active (or gone), or error when the driver failed. Racing requests
   * write one after the other but may reach the driver in the other order, and the backend must end with
   * the rules of the last write, not an older set applied later: whoever applied a set the record no
   * longer holds applies the current one. Once a migration holds the share it enforces the rules
   * (read-only at its switchover), so the driver is not called and the queued rules are settled as
   * applied. Stops after MAX_APPLY_ROUNDS.
   */
  private async applyAccessRules(written: Share): Promise<void> {
    const { shares, drivers, clock } = this.deps;
    const ids = { shareId: written.id };
    for (let round = 1; ; round++) {
      const snapshot = await updateVersioned(shares, written.id, (s) => (
        hasQueuedRules(s) ? { ...s, access_rules: markInProgress(s.access_rules, clock.now().toISOString()) } : s
      ), ids, 'Share');
      let outcome: 'applied' | 'failed' = 'applied';
      if (accessChangeAllowed(snapshot)) {
        const instance = activeInstance(snapshot);
        try {
          await drivers.forHost(instance.host).applyAccessRules(instance, rulesToEnforce(snapshot), { readOnly: false });
        } catch {
          // Manila's answer to a driver that failed: the rules it was given are in `error`, and so is the
          // share's access_rules_status; the request itself was accepted.
          outcome = 'failed';
        }
      }
      const current = await updateVersioned(shares, written.id, (s) => {
        const rules = settleRules(s.access_rules, snapshot, outcome, clock.now().toISOString());
        return rules.every((r, i) => r === s.access_rules[i]) && rules.length === s.access_rules.length ? s : { ...s, access_rules: rules };
      }, ids, 'Share');
      if (round >= MAX_APPLY_ROUNDS || sameRules(current, snapshot) || !accessChangeAllowed(current)) return;
    }
  }
}

/** Rounds of applyAccessRules per request: each is one driver call; a burst of 50 requests settles in two or three. */
const MAX_APPLY_ROUNDS = 10;

function sameRules(a: Share, b: Share): boolean {
  const key = (s: Share) => JSON.stringify(rulesToEnforce(s).map((r) => [r.id, r.access_level]));
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
