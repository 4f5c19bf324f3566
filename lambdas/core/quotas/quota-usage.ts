import type { Share, ShareInstance, ShareNetwork } from '../model.ts';
import { ShareStatus } from '../model.ts';
import type { ShareStore } from '../ports.ts';
import type { CatalogCollection } from '../share-networks/ports.ts';
import { QUOTA_KEYS, type QuotaKey, type QuotaUsage } from './quota-model.ts';

/** A page of a project's shares while counting its usage: the list indexes' largest page. */
const PAGE = 1000;

export interface QuotaUsageDeps {
  readonly shares: ShareStore;
  readonly shareNetworks: CatalogCollection<ShareNetwork>;
}

/**
 * What a project (or its shares of one type) holds now, counted from the shares themselves rather than
 * kept as counters (Manila's quota_usages), so it cannot drift. A share's size counts once per instance in
 * `gigabytes` (a migration's destination counts while both instances exist), and the share once per share
 * type its instances are of in `shares`: a migration to a new type holds one share of each type until it
 * ends, as Manila reserves it (share/api.py _modify_quotas_for_share_migration). Of one type, that type's
 * instances count: the share's active instance is of the share's type, a migration's destination of the
 * type it was created with. Snapshots count in `snapshots` and `snapshot_gigabytes`, under the share's type.
 * Reads the project's shares page by page from the list index (of one type: that type's shares, and the
 * shares being migrated, whose destination may be of it); only the resources in `wanted` are counted
 * (share networks cost a read of the catalog's).
 */
export async function projectUsage(deps: QuotaUsageDeps, projectId: string, options: { shareTypeId?: string; wanted?: readonly QuotaKey[] } = {}): Promise<QuotaUsage> {
  const usage: Record<QuotaKey, number> = Object.fromEntries(QUOTA_KEYS.map((key) => [key, 0])) as Record<QuotaKey, number>;
  const wanted = new Set(options.wanted ?? QUOTA_KEYS);
  const shareKeys: readonly QuotaKey[] = ['shares', 'gigabytes', 'snapshots', 'snapshot_gigabytes'];
  if (shareKeys.some((key) => wanted.has(key))) {
    for await (const share of sharesToCount(deps.shares, projectId, options.shareTypeId)) {
      const types = share.instances.map((i) => instanceType(share, i));
      const held = options.shareTypeId === undefined ? Math.max(1, types.length) : types.filter((t) => t === options.shareTypeId).length;
      if (held === 0) continue;
      usage.shares += options.shareTypeId === undefined ? Math.max(1, new Set(types).size) : 1;
      usage.gigabytes += share.size * held;
      if (options.shareTypeId !== undefined && share.share_type_id !== options.shareTypeId) continue;
      for (const snapshot of share.snapshots ?? []) {
        usage.snapshots += 1;
        usage.snapshot_gigabytes += snapshot.size;
      }
    }
  }
  if (wanted.has('share_networks') && options.shareTypeId === undefined) {
    usage.share_networks = (await deps.shareNetworks.list()).filter((n) => n.project_id === projectId).length;
  }
  return usage;
}

/**
 * The type an instance holds quota in: the active instance the share's (a retype in place changes only
 * the share's), any other (a migration's destination) its own.
 */
function instanceType(share: Share, instance: ShareInstance): string {
  return instance.id === share.active_instance_id ? share.share_type_id : instance.share_type_id;
}

/** The project's shares; of one type, its shares and those being migrated (their destination may be of it), each once. */
async function* sharesToCount(shares: ShareStore, projectId: string, shareTypeId: string | undefined): AsyncGenerator<Share> {
  if (shareTypeId === undefined) {
    yield* projectShares(shares, projectId, {});
    return;
  }
  yield* projectShares(shares, projectId, { share_type_id: shareTypeId });
  for await (const share of projectShares(shares, projectId, { status: ShareStatus.MIGRATING })) {
    if (share.share_type_id !== shareTypeId) yield share;
  }
}

async function* projectShares(shares: ShareStore, projectId: string, filter: { share_type_id?: string; status?: string }): AsyncGenerator<Share> {
  let after: Share | null = null;
  for (;;) {
    const page: Share[] = await shares.listPage({
      scope: { kind: 'project', projectId, withPublic: false },
      filter,
      sort: { field: 'created_at', dir: 'asc' },
      offset: 0,
      limit: PAGE,
    }, after);
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!;
  }
}
