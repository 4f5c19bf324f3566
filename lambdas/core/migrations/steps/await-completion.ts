import type { AwaitCompletionInput } from '../../workflow.ts';
import { WorkflowError } from '../../workflow.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { patchMigration } from '../migration-records.ts';

/**
 * Runs as a waitForTaskToken task: keeps the token in the migration record, where migration_complete
 * and migration_cancel find it. If either arrived before the token did, it answers at once.
 */
export async function awaitCompletionStep(deps: MigrationDeps, input: AwaitCompletionInput): Promise<void> {
  const migration = await patchMigration(deps, input.migration_id, () => ({ task_token: input.task_token }));
  if (migration.cancel_requested) {
    await deps.workflow.sendTaskFailure(input.task_token, WorkflowError.CANCELLED, 'Migration was cancelled by the operator');
  } else if (migration.complete_requested) {
    await deps.workflow.sendTaskSuccess(input.task_token, {});
  }
}
