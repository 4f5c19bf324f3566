import { CopyFailedError } from '../../errors.ts';
import { TaskState } from '../../task-state.ts';
import { MAX_COMPLETION_WAIT_SECONDS, type MigrationExecutionState } from '../../workflow.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { advance, loadMigration } from '../migration-records.ts';
import type { Migration } from '../../model.ts';
import { throwIfStopped } from '../cancellation.ts';

/** Phase 1 is over: the data is on the destination and the share is still writable on the source. */
export async function phase1DoneStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const migration = await loadMigration(deps, state.migration_id);
  throwIfStopped(migration);
  const waiting = { ...state, wait_seconds: completionWaitSeconds(migration), loop: state.loop ?? { cycles: 0 } };
  if (migration.mechanism === 'driver_assisted') {
    await advance(deps, migration.id, TaskState.MIGRATION_DRIVER_PHASE1_DONE);
    return waiting;
  }
  if (!migration.copies.some((c) => c.pass === 'bulk')) {
    throw new CopyFailedError('The bulk copy ended without reporting its outcome', { shareId: migration.share_id, migrationId: migration.id });
  }
  await advance(deps, migration.id, TaskState.DATA_COPYING_COMPLETED);
  return waiting;
}

/** How long one wait for migration_complete lasts before the bulk copy is refreshed: refresh_interval, else the longest single wait. */
export function completionWaitSeconds(migration: Migration): number {
  return migration.options.refresh_interval ?? MAX_COMPLETION_WAIT_SECONDS;
}
