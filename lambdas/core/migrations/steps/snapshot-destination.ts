import { InvalidRequestError } from '../../errors.ts';
import { planSnapshotReplay, snapshotDestination } from '../../snapshots/snapshot-migration.ts';
import type { MigrationExecutionState } from '../../workflow.ts';
import { throwIfStopped } from '../cancellation.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { loadMigration } from '../migration-records.ts';

/**
 * Host-assisted snapshot replay, after the copy task copied one snapshot onto the destination: snapshot
 * the destination as that snapshot's copy, then plan the next one (the state machine loops until none is
 * left, then copies the live data).
 */
export async function snapshotDestinationStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const migration = await loadMigration(deps, state.migration_id);
  throwIfStopped(migration);
  const replay = state.snapshot_replay;
  if (!replay?.more || !replay.snapshot_id) {
    throw new InvalidRequestError('No snapshot is being replayed: this step runs after a snapshot was copied', { shareId: migration.share_id, migrationId: migration.id });
  }
  await snapshotDestination(deps, migration, replay.snapshot_id);
  return { ...state, snapshot_replay: await planSnapshotReplay(deps, migration, replay.index + 1) };
}
