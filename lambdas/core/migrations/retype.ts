import { InvalidRequestError, InvalidShareStateError } from '../errors.ts';
import { ShareStatus, type Pool } from '../model.ts';
import { filterPools } from '../pools/pool-filter.ts';
import type { MigrationService, RetypeRequest, RetypeResult } from '../services.ts';
import { activeInstance } from '../shares/share-instances.ts';
import { isBusy } from '../task-state.ts';
import { updateVersioned } from '../versioned-update.ts';
import { metadataAtRisk } from './guarantees.ts';
import type { MigrationDeps } from './migration-deps.ts';
import { loadShare } from './migration-records.ts';

/**
 * Retype through migration: if the share's pool satisfies the new type, only the type changes;
 * otherwise the pool filter and weigher pick the destination and a migration with new_share_type_id
 * moves the share there (the type changes at switchover).
 */
export async function retypeShare(deps: MigrationDeps, migrations: MigrationService, shareId: string, request: RetypeRequest): Promise<RetypeResult> {
  const ids = { shareId };
  const policy = request.migration_policy ?? 'on-demand';
  if (policy !== 'on-demand' && policy !== 'never') throw new InvalidRequestError(`Invalid migration_policy ${String(policy)}: on-demand or never.`, ids);
  const share = await loadShare(deps, shareId);
  const newType = await deps.shareTypes.get(request.new_share_type);
  if (newType.id === share.share_type_id) throw new InvalidRequestError(`Share is already of share type ${newType.name}.`, ids);
  if (share.migration_id !== null || isBusy(share.task_state) || share.status !== ShareStatus.AVAILABLE) {
    throw new InvalidShareStateError(`Share must be available and not busy to be retyped (status ${share.status}, task_state ${share.task_state ?? 'None'}).`, ids);
  }

  const currentHost = activeInstance(share).host;
  const currentPool = await deps.pools.get(currentHost);
  if (filterPools([currentPool], newType, 0).passed.length > 0) {
    await updateVersioned(deps.shares, shareId, (s) => {
      if (s.version !== share.version) throw new InvalidShareStateError('The share changed during the retype; try again.', ids);
      return { ...s, share_type_id: newType.id, updated_at: deps.clock.now().toISOString() };
    }, ids, 'Share');
    return { share_type_id: newType.id, migration: null };
  }
  if (policy === 'never') {
    throw new InvalidRequestError(`Pool ${currentHost} cannot hold share type ${newType.name} and migration_policy is never.`, ids);
  }
  const { passed, rejected } = await deps.pools.candidates(newType, share.size);
  const { destination, lossy } = keepingMetadata(currentPool, passed.filter((p) => p.name !== currentHost));
  if (!destination) {
    const why = [
      ...lossy.map((l) => `${l.pool}: would lose ${l.losses}, which a retype preserves`),
      ...rejected.map((r) => `${r.pool}: ${r.reason}`),
    ];
    throw new InvalidRequestError(`No pool can hold share type ${newType.name}: ${why.join('; ')}.`, ids);
  }
  const migration = await migrations.start(shareId, {
    host: destination.name,
    writable: true,
    preserve_metadata: true,
    preserve_snapshots: false,
    nondisruptive: false,
    force_host_assisted_migration: false,
    new_share_type_id: newType.id,
    auto_complete: request.auto_complete ?? false,
  });
  return { share_type_id: newType.id, migration };
}

/**
 * The first candidate (best weighed first) that keeps the metadata the share's pool keeps: the retype
 * migrates with preserve_metadata=True, which migration_start refuses for a pool that would lose what
 * every share holds (modes, owners, times). Those skipped, with what each would lose.
 */
function keepingMetadata(current: Pool, candidates: readonly Pool[]): { destination?: Pool; lossy: { pool: string; losses: string }[] } {
  const lossy: { pool: string; losses: string }[] = [];
  for (const candidate of candidates) {
    const { refused } = metadataAtRisk(current.capabilities, candidate.capabilities);
    if (refused.length === 0) return { destination: candidate, lossy };
    lossy.push({ pool: candidate.name, losses: refused.map((loss) => `${loss.kind} (${loss.why})`).join(', ') });
  }
  return { lossy };
}
