import type { Share, ShareNetwork } from '../model.ts';
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
 * kept as counters (Manila's quota_usages), so it cannot drift: every share counts once in `shares`, and
 * its size once per instance in `gigabytes` (a migration's destination counts while both instances exist);
 * its snapshots in `snapshots` and `snapshot_gigabytes`. Reads the project's shares page by page from the
 * list index; only the resources in `wanted` are counted (share networks cost a read of the catalog's).
 */
export async function projectUsage(deps: QuotaUsageDeps, projectId: string, options: { shareTypeId?: string; wanted?: readonly QuotaKey[] } = {}): Promise<QuotaUsage> {
  const usage: Record<QuotaKey, number> = Object.fromEntries(QUOTA_KEYS.map((key) => [key, 0])) as Record<QuotaKey, number>;
  const wanted = new Set(options.wanted ?? QUOTA_KEYS);
  const shareKeys: readonly QuotaKey[] = ['shares', 'gigabytes', 'snapshots', 'snapshot_gigabytes'];
  if (shareKeys.some((key) => wanted.has(key))) {
    for await (const share of projectShares(deps.shares, projectId, options.shareTypeId)) {
      usage.shares += 1;
      usage.gigabytes += share.size * Math.max(1, share.instances.length);
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

async function* projectShares(shares: ShareStore, projectId: string, shareTypeId: string | undefined): AsyncGenerator<Share> {
  let after: Share | null = null;
  for (;;) {
    const page: Share[] = await shares.listPage({
      scope: { kind: 'project', projectId, withPublic: false },
      filter: shareTypeId === undefined ? {} : { share_type_id: shareTypeId },
      sort: { field: 'created_at', dir: 'asc' },
      offset: 0,
      limit: PAGE,
    }, after);
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!;
  }
}
