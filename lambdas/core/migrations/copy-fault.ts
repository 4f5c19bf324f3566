import { COPY_FAULT_WAIT } from '../events/migration-event.ts';
import type { CopyFaultProgress, Migration } from '../model.ts';
import { WorkflowError, type CopyFaultClearedInput, type CopyFaultWaitInput } from '../workflow.ts';
import { causeMessage } from './cleanup-input.ts';
import type { MigrationDeps } from './migration-deps.ts';
import { patchMigration } from './migration-records.ts';

export type CopyFaultStepInput = CopyFaultWaitInput | CopyFaultClearedInput;

/**
 * The copy-fault step (Step.COPY_FAULT). A copy pass that the platform kept stopping past its retry ladder
 * (cdk/lib/workflow-copy-faults.ts) waits the fault out instead of going to cleanup, which would delete the
 * destination: this step runs as that wait, a waitForTaskToken task timing out after `wait_seconds`. It
 * records the fault on the migration (`copy_fault`, shown by GET /v2/migrations/{id} and
 * migration_get_progress) with the task token, which migration_cancel answers with a failure, so a cancel
 * ends the wait at once; a cancel that came before the token did is answered here. Every wait publishes a
 * COPY_FAULT_WAIT event (the monitoring's alarm counts them). Once a pass ran after a recorded fault, the
 * workflow calls it again with `cleared`: the record no longer says the migration waits.
 */
export async function copyFaultStep(deps: MigrationDeps, input: CopyFaultStepInput): Promise<void> {
  if ('cleared' in input) {
    await patchMigration(deps, input.migration_id, (m) => (m.copy_fault ? { copy_fault: null, task_token: null } : null));
    return;
  }
  const now = deps.clock.now();
  const migration = await patchMigration(deps, input.migration_id, (m) => ({
    copy_fault: copyFaultOf(m, input, now),
    task_token: input.task_token,
  }));
  const copyFault = migration.copy_fault ?? copyFaultOf(migration, input, now);
  // A report: its failure must not end the wait early (the Catch would take it for a fault of the step).
  await deps.events.publish(COPY_FAULT_WAIT, {
    migration_id: migration.id,
    share_id: migration.share_id,
    task_state: migration.task_state,
    copy_fault: copyFault,
  }).catch(() => undefined);
  if (migration.cancel_requested) {
    await deps.workflow.sendTaskFailure(input.task_token, WorkflowError.CANCELLED, 'Migration was cancelled by the operator');
  }
}

/** The record of this wait: `since` kept from the first wait of this run of faults. */
function copyFaultOf(migration: Migration, input: CopyFaultWaitInput, now: Date): CopyFaultProgress {
  return {
    attempts: input.attempts,
    since: migration.copy_fault?.since ?? now.toISOString(),
    last_error: causeMessage(input.last_error.Cause),
    next_attempt_at: new Date(now.getTime() + input.wait_seconds * 1000).toISOString(),
  };
}
