import { nextDriverPollSeconds, type MigrationExecutionState } from '../../workflow.ts';
import { throwIfStopped } from '../cancellation.ts';
import { driverRequest } from '../destination-instance.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { loadMigration, patchMigration } from '../migration-records.ts';

/**
 * One poll of the driver's phase 1 (Manila's migration_continue); the state machine loops with a Wait of
 * `driver_wait_seconds`, which backs off from seconds to minutes (DRIVER_POLL), and counts the poll in
 * `loop.cycles`, by which it hands over to a new execution before its history fills (HANDOVER_AFTER_CYCLES).
 */
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
  return afterDriverPoll(state, status.phase1Done);
}

/** The state after one driver poll: its answer, the wait before the next poll (backing off), the poll counted. */
export function afterDriverPoll(state: MigrationExecutionState, phase1Done: boolean): MigrationExecutionState {
  return {
    ...state,
    phase1_done: phase1Done,
    driver_wait_seconds: nextDriverPollSeconds(state.driver_wait_seconds),
    loop: { cycles: (state.loop?.cycles ?? 0) + 1 },
  };
}
