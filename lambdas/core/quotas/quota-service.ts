import { InvalidRequestError } from '../errors.ts';
import type { Share } from '../model.ts';
import type { CatalogCollection } from '../share-networks/ports.ts';
import type { QuotaEnforcer } from './quota-enforcer.ts';
import {
  ShareLimitExceededError, ShareNetworksLimitExceededError, ShareSizeExceedsAvailableQuotaError, ShareSizeExceedsLimitError,
  SnapshotLimitExceededError, SnapshotSizeExceedsAvailableQuotaError,
} from './quota-errors.ts';
import { QUOTA_KEYS, type ProjectQuotaRecord, type QuotaKey, type QuotaLimits, type QuotaUsage } from './quota-model.ts';
import { projectUsage, type QuotaUsageDeps } from './quota-usage.ts';

export interface QuotaDeps extends QuotaUsageDeps {
  /** Each project's own limits, keyed by project id (catalog items `quota#<project>`). */
  readonly records: CatalogCollection<ProjectQuotaRecord>;
  /** The configured defaults (SMIG_QUOTA_DEFAULTS; unlimited when not configured). */
  readonly defaults: QuotaLimits;
}

/** Whose quotas: a project's, or its quotas for one share type (by id). */
export interface QuotaScope {
  readonly projectId: string;
  readonly shareTypeId?: string;
}

/** The quota sets the API serves (routes/quota-sets.ts). */
export interface QuotaService {
  defaults(): QuotaLimits;
  limits(scope: QuotaScope): Promise<QuotaLimits>;
  /** What the scope holds now, of `wanted` (all when absent). */
  usage(scope: QuotaScope, wanted?: readonly QuotaKey[]): Promise<QuotaUsage>;
  update(scope: QuotaScope, changes: Readonly<Partial<Record<QuotaKey, number>>>, force: boolean): Promise<QuotaLimits>;
  reset(scope: QuotaScope): Promise<void>;
}

/**
 * Quota sets (manila/api/v2/quota_sets.py, manila/quota.py DbQuotaDriver) and their enforcement. A
 * project's limit is its own value, else the default; a share type's is its own, else the project's. A
 * check reads the usage only when a limit it concerns is not unlimited, so a service without quotas pays
 * nothing. Usage is counted at the time of the check, not reserved: two requests racing for the last of a
 * quota may both pass.
 */
export class StoredQuotaService implements QuotaService, QuotaEnforcer {
  private readonly deps: QuotaDeps;

  constructor(deps: QuotaDeps) {
    this.deps = deps;
  }

  defaults(): QuotaLimits {
    return this.deps.defaults;
  }

  async limits(scope: QuotaScope): Promise<QuotaLimits> {
    return this.limitsFrom(await this.deps.records.get(scope.projectId), scope);
  }

  private limitsFrom(record: ProjectQuotaRecord | null, scope: QuotaScope): QuotaLimits {
    const typeLimits = scope.shareTypeId === undefined ? {} : (record?.share_types?.[scope.shareTypeId] ?? {});
    return { ...this.deps.defaults, ...(record?.limits ?? {}), ...typeLimits };
  }

  usage(scope: QuotaScope, wanted?: readonly QuotaKey[]): Promise<QuotaUsage> {
    return projectUsage(this.deps, scope.projectId, { ...(scope.shareTypeId !== undefined ? { shareTypeId: scope.shareTypeId } : {}), ...(wanted ? { wanted } : {}) });
  }

  /**
   * Sets the given limits, checked as Manila's _update and get_settable_quotas check them: -1 is unlimited
   * and anything below is refused; without `force`, a limit below what is used is refused, and a share
   * type's limit above its project's.
   */
  async update(scope: QuotaScope, changes: Readonly<Partial<Record<QuotaKey, number>>>, force: boolean): Promise<QuotaLimits> {
    const keys = Object.keys(changes) as QuotaKey[];
    const usage = force ? null : await this.usage(scope, keys);
    const current = await this.limits(scope);
    const maximum = scope.shareTypeId === undefined ? null : await this.limits({ projectId: scope.projectId });
    for (const key of keys) {
      const value = changes[key]!;
      if (usage && value >= 0 && current[key] >= 0 && usage[key] > value) {
        throw new InvalidRequestError(`Quota value ${value} for ${key} is smaller than already used and reserved ${usage[key]}.`);
      }
      if (value < -1) throw new InvalidRequestError('Quota limit must be -1 or greater.');
      if (force || !usage) continue;
      const max = maximum?.[key] ?? -1;
      if (value < usage[key] && (max !== -1 || value !== -1)) throw new InvalidRequestError(`Quota limit must be greater than ${usage[key]}.`);
      if (max !== -1 && value > max) throw new InvalidRequestError(`Quota limit must be less than ${max}.`);
    }
    const record = (await this.deps.records.get(scope.projectId)) ?? { id: scope.projectId, limits: {} };
    const next: ProjectQuotaRecord = scope.shareTypeId === undefined
      ? { ...record, limits: { ...record.limits, ...changes } }
      : { ...record, share_types: { ...record.share_types, [scope.shareTypeId]: { ...record.share_types?.[scope.shareTypeId], ...changes } } };
    await this.deps.records.put(next);
    return this.limits(scope);
  }

  /** DELETE: back to the defaults (the project's own limits, or its limits for one type). */
  async reset(scope: QuotaScope): Promise<void> {
    const record = await this.deps.records.get(scope.projectId);
    if (!record) return;
    if (scope.shareTypeId === undefined) {
      await this.deps.records.delete(scope.projectId);
      return;
    }
    const { [scope.shareTypeId]: _gone, ...others } = record.share_types ?? {};
    await this.deps.records.put({ ...record, share_types: others });
  }

  async checkShareSize(projectId: string, sizeGb: number): Promise<void> {
    const limit = (await this.limits({ projectId })).per_share_gigabytes;
    if (limit >= 0 && sizeGb > limit) throw new ShareSizeExceedsLimitError(projectId, sizeGb, limit);
  }

  async checkNewShare(projectId: string, shareTypeId: string, sizeGb: number): Promise<void> {
    const overs = await this.overs([{ projectId }, { projectId, shareTypeId }], { shares: 1, gigabytes: sizeGb });
    if (overs.has('gigabytes')) throw new ShareSizeExceedsAvailableQuotaError(projectId);
    if (overs.has('shares')) throw new ShareLimitExceededError(projectId, overs.get('shares')!);
  }

  async checkMigrationToType(share: Share, newShareTypeId: string): Promise<void> {
    if (newShareTypeId === share.share_type_id) return;
    await this.checkNewShare(share.project_id, newShareTypeId, share.size);
  }

  async checkExtend(share: Share, increaseGb: number): Promise<void> {
    const scopes = [{ projectId: share.project_id }, { projectId: share.project_id, shareTypeId: share.share_type_id }];
    if ((await this.overs(scopes, { gigabytes: increaseGb })).has('gigabytes')) throw new ShareSizeExceedsAvailableQuotaError(share.project_id);
  }

  async checkNewSnapshot(share: Share): Promise<void> {
    const scopes = [{ projectId: share.project_id }, { projectId: share.project_id, shareTypeId: share.share_type_id }];
    const overs = await this.overs(scopes, { snapshots: 1, snapshot_gigabytes: share.size });
    if (overs.has('snapshot_gigabytes')) throw new SnapshotSizeExceedsAvailableQuotaError(share.project_id);
    if (overs.has('snapshots')) throw new SnapshotLimitExceededError(share.project_id, overs.get('snapshots')!);
  }

  async checkNewShareNetwork(projectId: string): Promise<void> {
    const overs = await this.overs([{ projectId }], { share_networks: 1 });
    if (overs.has('share_networks')) throw new ShareNetworksLimitExceededError(projectId, overs.get('share_networks')!);
  }

  /**
   * The resources `deltas` would take past a limit in any of `scopes` (all of one project), each with the
   * limit it passes (the first scope's first). One read of the project's record; usage only where limited.
   */
  private async overs(scopes: readonly QuotaScope[], deltas: Readonly<Partial<Record<QuotaKey, number>>>): Promise<Map<QuotaKey, number>> {
    const overs = new Map<QuotaKey, number>();
    const keys = (Object.keys(deltas) as QuotaKey[]).filter((key) => QUOTA_KEYS.includes(key));
    const record = await this.deps.records.get(scopes[0]!.projectId);
    for (const scope of scopes) {
      const limits = this.limitsFrom(record, scope);
      const limited = keys.filter((key) => limits[key] >= 0);
      if (limited.length === 0) continue;
      const usage = await this.usage(scope, limited);
      for (const key of limited) {
        if (!overs.has(key) && usage[key] + deltas[key]! > limits[key]) overs.set(key, limits[key]);
      }
    }
    return overs;
  }
}
