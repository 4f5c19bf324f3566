import type { CopyMount } from '../../drivers/driver.ts';
import { CopyFailedError, DriverError } from '../errors.ts';
import type { Migration, Share, ShareInstance, ShareSnapshot, ShareSnapshotInstance } from '../model.ts';
import { SnapshotStatus } from '../model.ts';
import type { MigrationDeps } from '../migrations/migration-deps.ts';
import { loadMigration, loadShare, patchLockedShare, patchMigration } from '../migrations/migration-records.ts';
import { instanceOf } from '../shares/share-instances.ts';
import type { SnapshotReplayState } from '../workflow.ts';
import { findSnapshot, oldestFirst, snapshotInstanceOn, snapshotsOf, withSnapshot, withSnapshotInstance } from './share-snapshots.ts';

/**
 * Snapshots across a migration. Manila's host-assisted path cannot carry snapshots (it refuses a share
 * that has any); here it replays them: each snapshot, oldest first, is copied onto the destination (a
 * mirror, so the destination then equals that snapshot) and the destination is snapshotted under the same
 * snapshot record (name, description, creation time), then the next; then the live data. At cutover the
 * snapshots are left with their copies on the destination, and the source's go with the source instance.
 */

/**
 * Why the host-assisted path cannot carry the share's snapshots to `destinationHost`, or null when it can
 * (or there are none). Manila's rule: every snapshot must be `available` to be migrated.
 */
export async function snapshotReplayProblem(deps: MigrationDeps, share: Share, destinationHost: string): Promise<string | null> {
  const snapshots = snapshotsOf(share);
  if (snapshots.length === 0) return null;
  const unavailable = snapshots.filter((s) => s.status !== SnapshotStatus.AVAILABLE);
  if (unavailable.length > 0) {
    return `all snapshots must have 'available' status to be migrated along with share ${share.id} (${unavailable.map((s) => `${s.id} is ${s.status}`).join(', ')})`;
  }
  const pool = await deps.pools.get(destinationHost);
  if (!pool.capabilities.snapshot_support) {
    return `the share has ${snapshots.length} snapshot(s) and destination pool ${destinationHost} does not support snapshots`;
  }
  return null;
}

/**
 * The next snapshot to replay, from the `fromIndex`-th oldest on; one whose copy is already on the
 * destination (a retried or resumed migration) is skipped. Records on the migration where the replay
 * stands, for migration_get_progress.
 */
export async function planSnapshotReplay(deps: MigrationDeps, migration: Migration, fromIndex: number): Promise<SnapshotReplayState> {
  const share = await loadShare(deps, migration.share_id, migration.id);
  const ordered = oldestFirst(snapshotsOf(share));
  if (ordered.length === 0) return { more: false, index: 0, count: 0 };
  let index = fromIndex;
  while (index < ordered.length && snapshotInstanceOn(ordered[index]!, migration.destination_instance_id)?.status === SnapshotStatus.AVAILABLE) index++;
  const next = ordered[index];
  await patchMigration(deps, migration.id, () => ({
    snapshot_replay: { replayed: index, total: ordered.length, snapshot_id: next?.id ?? null, snapshot_name: next?.name ?? null },
  }));
  if (!next) return { more: false, index, count: ordered.length };

  const source = instanceOf(share, migration.source_instance_id);
  const destination = instanceOf(share, migration.destination_instance_id);
  const original = snapshotInstanceOn(next, source.id);
  if (!original || original.status !== SnapshotStatus.AVAILABLE) {
    throw new DriverError(`Snapshot ${next.id} has no available copy on the source instance ${source.id}`, { shareId: share.id, migrationId: migration.id });
  }
  const [snapshotMount, destinationMount] = await Promise.all([
    snapshotMountOf(deps, source, original, migration),
    deps.drivers.forHost(destination.host).getCopyMount(destination),
  ]);
  return {
    more: true,
    index,
    count: ordered.length,
    snapshot_id: next.id,
    copy: {
      source: snapshotMount.path,
      destination: destinationMount.path,
      source_modes: snapshotMount.originalModesFile ?? '',
      preserve_metadata: migration.options.preserve_metadata ? 'true' : 'false',
      // The migration's task definition mounts the source and destination instances (prepare destination
      // records it just before planning the first snapshot, so read the record as it is now).
      task_definition: (await loadMigration(deps, migration.id)).copy_task_definition ?? '',
    },
  };
}

/**
 * Snapshots the destination, which now holds `snapshotId`'s data, as a copy of that snapshot: the copy's
 * record is written first (`creating`), so a retry finds it and the driver call (idempotent) makes the same
 * snapshot, then `available`.
 */
export async function snapshotDestination(deps: MigrationDeps, migration: Migration, snapshotId: string): Promise<void> {
  const ids = { shareId: migration.share_id, migrationId: migration.id };
  const now = deps.clock.now().toISOString();
  const share = await patchLockedShare(deps, migration.share_id, migration.id, (s) => {
    const snapshot = requireSnapshot(s, snapshotId, migration);
    if (snapshotInstanceOn(snapshot, migration.destination_instance_id)) return null;
    const copy: ShareSnapshotInstance = {
      id: deps.ids.newId(), share_instance_id: migration.destination_instance_id, status: SnapshotStatus.CREATING, provider_location: null, created_at: now,
    };
    return withSnapshot(s, withSnapshotInstance(snapshot, copy));
  });
  const copy = snapshotInstanceOn(requireSnapshot(share, snapshotId, migration), migration.destination_instance_id)!;
  if (copy.status === SnapshotStatus.AVAILABLE) return;
  const destination = instanceOf(share, migration.destination_instance_id);
  const driver = deps.drivers.forHost(destination.host);
  if (!driver.createSnapshot) throw new DriverError(`The driver of ${destination.host} does not support snapshots`, ids);
  const location = await driver.createSnapshot(destination, copy);
  await patchLockedShare(deps, migration.share_id, migration.id, (s) => {
    const snapshot = requireSnapshot(s, snapshotId, migration);
    const current = snapshotInstanceOn(snapshot, migration.destination_instance_id);
    if (!current || current.status === SnapshotStatus.AVAILABLE) return null;
    return withSnapshot(s, withSnapshotInstance(snapshot, { ...current, status: SnapshotStatus.AVAILABLE, provider_location: location }));
  });
}

/** Cutover's precondition: every snapshot has its copy on the destination, so switching loses none. */
export function assertSnapshotsReplayed(share: Share, migration: Migration): void {
  const missing = snapshotsOf(share).filter((s) => snapshotInstanceOn(s, migration.destination_instance_id)?.status !== SnapshotStatus.AVAILABLE);
  if (missing.length > 0) {
    throw new CopyFailedError(
      `Snapshot(s) ${missing.map((s) => s.id).join(', ')} were not replayed onto the destination; the source is kept`,
      { shareId: share.id, migrationId: migration.id },
    );
  }
}

async function snapshotMountOf(deps: MigrationDeps, source: ShareInstance, copy: ShareSnapshotInstance, migration: Migration): Promise<CopyMount> {
  const driver = deps.drivers.forHost(source.host);
  if (!driver.getSnapshotMount) {
    throw new DriverError(`The driver of ${source.host} cannot show its snapshots to the copy task`, { shareId: migration.share_id, migrationId: migration.id });
  }
  return driver.getSnapshotMount(source, copy);
}

function requireSnapshot(share: Share, snapshotId: string, migration: Migration): ShareSnapshot {
  const snapshot = findSnapshot(share, snapshotId);
  if (!snapshot) throw new CopyFailedError(`Snapshot ${snapshotId} disappeared during the migration`, { shareId: share.id, migrationId: migration.id });
  return snapshot;
}
