import type { MigrationExecutionState } from '../../workflow.ts';
import { throwIfStopped } from '../cancellation.ts';
import { driverRequest } from '../destination-instance.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { loadMigration, patchMigration } from '../migration-records.ts';

/** One poll of the driver's phase 1 (Manila's migration_continue); the state machine loops with a Wait. */
export async function driverContinueStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const migration = await loadMigration(deps, state.migration_id);
  throwIfStopped(migration);
  const request = await driverRequest(deps, migration);
  const status = await deps.drivers.forHost(request.source.host).migrationContinue(request);
  const now = deps.clock.now().toISOString();
  await patchMigration(deps, migration.id, () => ({
    progress: {
      pass: 'driver', phase: status.phase1Done ? 'phase1_done' : 'driver_in_progress',
      files_done: 0, files_total: 0, bytes_done: 0, bytes_total: 0, bytes_per_second: 0, eta_seconds: null,
      total_progress: status.totalProgress, updated_at: now,
    },
  }));
  return { ...state, phase1_done: status.phase1Done };
}
