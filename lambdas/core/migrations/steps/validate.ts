import { ConcurrentUpdateError, errorMessage } from '../../errors.ts';
import { recordWorkflowFiring } from '../../schedules/fire-schedule.ts';
import { TaskState } from '../../task-state.ts';
import type { MigrationExecutionState, ValidateStepInput } from '../../workflow.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { executionMigrationId } from '../execution-migration-id.ts';
import { validateAndLock } from '../migration-lock.ts';
import { validateMigrationInput } from '../migration-request.ts';

/**
 * First state: the same checks and lock as the API, for executions started from the console or a
 * schedule. With no migration_id in the input, the execution's name becomes the migration id, so a
 * retried invocation finds its own lock instead of a busy share, and cleanup after a failure of this
 * state finds the migration it locked (execution-migration-id.ts). With a schedule_id (EventBridge
 * Scheduler started the execution), the firing is recorded on that schedule: the migration it locked,
 * or why it refused.
 */
export async function validateStep(deps: MigrationDeps, input: ValidateStepInput): Promise<MigrationExecutionState> {
  const request = validateMigrationInput(input.request);
  const migration = await validateAndLock(deps, { ...request, migrationId: executionMigrationId(input) }).catch(async (err: unknown) => {
    // A schedule's firing that cannot start records why; a lost race is retried by the workflow instead.
    if (request.scheduleId !== null && !(err instanceof ConcurrentUpdateError)) await recordFiring(deps, request.scheduleId, { reason: errorMessage(err) });
    throw err;
  });
  if (request.scheduleId !== null) await recordFiring(deps, request.scheduleId, { migrationId: migration.id });
  const state: MigrationExecutionState = {
    migration_id: migration.id,
    share_id: migration.share_id,
    auto_complete: migration.options.auto_complete,
  };
  if (migration.task_state === TaskState.MIGRATION_COMPLETING) {
    return { ...state, driver_assisted: migration.mechanism === 'driver_assisted', resume_at: migration.mechanism === 'driver_assisted' ? 'driver-complete' : 'cutover' };
  }
  return state;
}

/** Recording is a report, not part of the migration: its failure neither fails a started migration nor hides a refusal. */
async function recordFiring(deps: MigrationDeps, scheduleId: string, result: { migrationId: string } | { reason: string }): Promise<void> {
  if (!deps.schedules) return;
  await recordWorkflowFiring(deps.schedules, deps.clock, scheduleId, result).catch(() => undefined);
}
