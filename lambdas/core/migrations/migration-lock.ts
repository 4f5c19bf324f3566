import { ConcurrentUpdateError, InvalidRequestError, InvalidShareStateError, NotFoundError } from '../errors.ts';
import { poolZone } from '../pools/availability-zones.ts';
import { parseHost } from '../host.ts';
import type { Migration, Pool, Share } from '../model.ts';
import { ShareStatus } from '../model.ts';
import { filterPools, parseBooleanSpec } from '../pools/pool-filter.ts';
import { placementForNetwork } from '../share-networks/placement.ts';
import { activeInstance } from '../shares/share-instances.ts';
import { TaskState, isBusy } from '../task-state.ts';
import { updateVersioned } from '../versioned-update.ts';
import { describeMetadataRefusal, metadataAtRisk } from './guarantees.ts';
import type { MigrationDeps } from './migration-deps.ts';
import { loadShare, publishTaskState } from './migration-records.ts';
import type { ValidatedMigrationRequest } from './migration-request.ts';

/**
 * Manila's migration_start checks, then the lock: the migration record is created and the share moves
 * to `migrating` / `migration_starting` in one conditional write, so of two racing starts one wins.
 * Idempotent for the same migration id (the API locks first, then the workflow's first state runs this again).
 */
export async function validateAndLock(deps: MigrationDeps, request: ValidatedMigrationRequest): Promise<Migration> {
  const { shareId } = request;
  if (request.migrationId) {
    const existing = await deps.migrations.get(request.migrationId);
    if (existing) {
      const share = await loadShare(deps, existing.share_id, existing.id);
      if (existing.share_id !== shareId) {
        throw new InvalidRequestError(`Migration ${existing.id} belongs to share ${existing.share_id}.`, { shareId, migrationId: existing.id });
      }
      if (share.migration_id === existing.id) return existing;
      throw new InvalidShareStateError(`Migration ${existing.id} no longer holds the share (task_state ${existing.task_state}).`, { shareId, migrationId: existing.id });
    }
  }

  const share = await loadShare(deps, shareId);
  assertMigratable(share);
  const destination = parseHost(request.destinationHost);
  const source = activeInstance(share);
  const typeId = request.options.new_share_type_id ?? share.share_type_id;
  if (source.host === request.destinationHost && request.options.new_share_type_id === null && request.options.new_share_network_id === null) {
    throw new InvalidRequestError(`Destination host ${request.destinationHost} is the same as the share's current host.`, { shareId });
  }
  const pool = await deps.pools.get(request.destinationHost).catch(() => {
    throw new InvalidRequestError(`Destination host ${request.destinationHost} was not found among the pools.`, { shareId });
  });
  const type = await deps.shareTypes.get(typeId);
  const destinationNetwork = request.options.new_share_network_id
    ?? (parseBooleanSpec(type.extra_specs['driver_handles_share_servers']) === true ? share.share_network_id : null);
  const needs = await placementForNetwork(deps.shareNetworks, type, destinationNetwork, { shareId });
  const { rejected } = filterPools([pool], type, share.size, needs);
  if (rejected.length > 0) {
    throw new InvalidRequestError(`Destination host ${request.destinationHost} cannot hold share type ${type.name}: ${rejected[0]!.reason}.`, { shareId });
  }
  // Manila's _modify_quotas_for_share_migration: a destination of another type is one more share of it (413 over quota).
  if (request.options.new_share_type_id !== null) await deps.quotas?.checkMigrationToType(share, type.id);
  if (request.options.preserve_metadata) await assertMetadataKept(deps, source.host, pool, request.destinationHost, shareId);

  const now = deps.clock.now().toISOString();
  const migration: Migration = {
    id: request.migrationId ?? deps.ids.newId(),
    share_id: shareId,
    source_host: source.host,
    destination_host: `${destination.host}@${destination.backend}#${destination.pool}`,
    source_instance_id: source.id,
    destination_instance_id: deps.ids.newId(),
    destination_share_network_id: destinationNetwork,
    destination_availability_zone: poolZone(pool),
    // A new share type may be named by id or name; the record keeps its id.
    options: { ...request.options, new_share_type_id: request.options.new_share_type_id === null ? null : type.id },
    mechanism: null,
    mechanism_reason: null,
    task_state: TaskState.MIGRATION_STARTING,
    history: [{ task_state: TaskState.MIGRATION_STARTING, at: now }],
    progress: null,
    copies: [],
    cancel_requested: false,
    complete_requested: false,
    task_token: null,
    execution_id: null,
    error: null,
    read_only_since: null,
    read_only_until: null,
    created_at: now,
    updated_at: now,
    version: 1,
  };
  await deps.migrations.create(migration);
  try {
    await updateVersioned(deps.shares, shareId, (s) => {
      assertMigratable(s);
      if (s.version !== share.version) throw new ConcurrentUpdateError('The share changed while the migration was being validated; try again.', { shareId });
      return { ...s, status: ShareStatus.MIGRATING, task_state: TaskState.MIGRATION_STARTING, migration_id: migration.id, updated_at: now };
    }, { shareId, migrationId: migration.id }, 'Share');
  } catch (err) {
    await deps.migrations.delete(migration.id, migration.version).catch(() => undefined);
    throw err;
  }
  return publishTaskState(deps, migration, null);
}

/**
 * preserve_metadata=True: a destination that would lose metadata every share holds (modes, owners,
 * times) is refused here, before anything is created. What only some entries carry (extended
 * attributes, ACLs) is left to the copy, which fails the migration before switchover if the share
 * holds any: refusing it here would refuse every such destination for shares that hold none.
 */
async function assertMetadataKept(deps: MigrationDeps, sourceHost: string, destination: Pool, destinationHost: string, shareId: string): Promise<void> {
  // A source that may hold everything is the worst case: if nothing is refused then, the source's pool need not be looked up.
  if (metadataAtRisk(undefined, destination.capabilities).refused.length === 0) return;
  const sourcePool = await deps.pools.get(sourceHost).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  });
  const { refused } = metadataAtRisk(sourcePool?.capabilities, destination.capabilities);
  if (refused.length > 0) throw new InvalidRequestError(describeMetadataRefusal(destinationHost, refused), { shareId });
}

/** Manila: the share must be available and not busy with another task. */
function assertMigratable(share: Share): void {
  const ids = { shareId: share.id, migrationId: share.migration_id ?? undefined };
  if (share.migration_id !== null || isBusy(share.task_state)) {
    throw new InvalidShareStateError(`Share is busy with an active task (${share.task_state ?? 'migration'}).`, ids);
  }
  if (share.status !== ShareStatus.AVAILABLE) {
    throw new InvalidShareStateError(`Share status must be available, not ${share.status}.`, ids);
  }
}
