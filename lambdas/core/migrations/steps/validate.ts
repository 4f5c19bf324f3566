import { ConcurrentUpdateError, errorMessage } from '../../errors.ts';
import { recordWorkflowFiring } from '../../schedules/fire-schedule.ts';
import type { Migration } from '../../model.ts';
import { isTerminal, PHASE1_DONE_STATES, TaskState } from '../../task-state.ts';
import type { MigrationExecutionState, ValidateStepInput } from '../../workflow.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { executionMigrationId } from '../execution-migration-id.ts';
import { validateAndLock } from '../migration-lock.ts';
import { patchMigration } from '../migration-records.ts';
import { validateMigrationInput, type ValidatedMigrationRequest } from '../migration-request.ts';
import { completionWaitSeconds } from './phase1-done.ts';

/**
 * First state: the same checks and lock as the API, for executions started from the console or a
 * schedule. With no migration_id in the input, the execution's name becomes the migration id, so a
 * retried invocation finds its own lock instead of a busy share, and cleanup after a failure of this
 * state finds the migration it locked (execution-migration-id.ts). With a schedule_id (EventBridge
 * Scheduler started the execution), the firing is recorded on that schedule: the migration it locked,
 * or why it refused. The migration record names this execution from here on (execution_id): after a
 * handover, the new one. An execution an earlier one handed the migration to resumes the loop it was in
 * (`resume` in its input) when the record agrees that the migration is still there.
 */
export async function validateStep(deps: MigrationDeps, input: ValidateStepInput): Promise<MigrationExecutionState> {
  const parsed = validateMigrationInput(input.request);
  // A handover's input keeps the first execution's schedule_id: that firing is recorded already.
  const request = parsed.resume === null ? parsed : { ...parsed, scheduleId: null };
  const migration = await validateAndLock(deps, { ...request, migrationId: executionMigrationId(input) }).catch(async (err: unknown) => {
    // A schedule's firing that cannot start records why; a lost race is retried by the workflow instead.
    if (request.scheduleId !== null && !(err instanceof ConcurrentUpdateError)) await recordFiring(deps, request.scheduleId, { reason: errorMessage(err) });
    throw err;
  });
  if (request.scheduleId !== null) await recordFiring(deps, request.scheduleId, { migrationId: migration.id });
  if (input.execution_id && migration.execution_id !== input.execution_id) {
    await patchMigration(deps, migration.id, () => ({ execution_id: input.execution_id ?? null }));
  }
  const state: MigrationExecutionState = {
    migration_id: migration.id,
    share_id: migration.share_id,
    auto_complete: migration.options.auto_complete,
    loop: { cycles: 0 },
  };
  if (migration.task_state === TaskState.MIGRATION_COMPLETING) {
    return { ...state, driver_assisted: migration.mechanism === 'driver_assisted', resume_at: migration.mechanism === 'driver_assisted' ? 'driver-complete' : 'cutover' };
  }
  return resumedHandover(request.resume, migration, state) ?? state;
}

/**
 * The state a handed-over execution resumes with: the one its predecessor had, its loop count reset. Only
 * where the record says the migration still is (a driver still replicating, phase 1 done and waiting
 * for migration_complete, or a copy pass waiting out a fault); anywhere else the ordinary path re-derives everything (every step is idempotent).
 */
function resumedHandover(resume: ValidatedMigrationRequest['resume'], migration: Migration, state: MigrationExecutionState): MigrationExecutionState | undefined {
  if (resume === null) return undefined;
  const { error: _error, handover: _handover, resume_at: _resumeAt, ...carried } = resume.state;
  if (resume.at === 'driver-poll' && migration.mechanism === 'driver_assisted' && migration.task_state === TaskState.MIGRATION_DRIVER_IN_PROGRESS) {
    return { ...carried, ...state, driver_assisted: true, resume_at: 'driver-poll' };
  }
  // A copy pass waiting out an infrastructure fault: the pass runs again (copy-fault.ts recorded the wait).
  if (resume.at === 'copy-fault' && migration.copy_fault && !isTerminal(migration.task_state)) {
    return { ...carried, ...state, resume_at: 'copy-fault' };
  }
  if (resume.at === 'await-completion' && PHASE1_DONE_STATES.includes(migration.task_state)) {
    return { ...carried, ...state, driver_assisted: migration.mechanism === 'driver_assisted', wait_seconds: completionWaitSeconds(migration), resume_at: 'await-completion' };
  }
  return undefined;
}

/** Recording is a report, not part of the migration: its failure neither fails a started migration nor hides a refusal. */
async function recordFiring(deps: MigrationDeps, scheduleId: string, result: { migrationId: string } | { reason: string }): Promise<void> {
  if (!deps.schedules) return;
  await recordWorkflowFiring(deps.schedules, deps.clock, scheduleId, result).catch(() => undefined);
}
