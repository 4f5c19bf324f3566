import type { Logger } from '@aws-lambda-powertools/logger';
import type { MigrationDeps } from '../lambdas/core/migrations/migration-deps.ts';
import { toExecutionInput } from '../lambdas/core/migrations/migration-request.ts';
import { patchMigration } from '../lambdas/core/migrations/migration-records.ts';
import { isTerminal } from '../lambdas/core/task-state.ts';
import type { WorkflowPort } from '../lambdas/core/ports.ts';

/**
 * Manila's data manager resolves busy copies at start-up; here they resume. Executions do not survive
 * the process, so every unfinished migration gets a new execution with its recorded input; every step
 * is idempotent, so it picks up where the old one stopped (the copy task copies only what it lacks).
 */
export async function resumeUnfinishedMigrations(deps: MigrationDeps, workflow: WorkflowPort, logger: Logger): Promise<string[]> {
  const unfinished = (await deps.migrations.list()).filter((m) => !isTerminal(m.task_state));
  const resumed: string[] = [];
  for (const migration of unfinished) {
    const name = `${migration.id}-resume-${Date.now()}`;
    try {
      const { executionId } = await workflow.startExecution(name, toExecutionInput(migration.share_id, migration.destination_host, migration.options, migration.id));
      await patchMigration(deps, migration.id, () => ({ execution_id: executionId }));
      logger.info('migration resumed', { migration_id: migration.id, share_id: migration.share_id, task_state: migration.task_state });
      resumed.push(migration.id);
    } catch (err) {
      logger.error('migration could not be resumed', { migration_id: migration.id, share_id: migration.share_id, error: err as Error });
    }
  }
  return resumed;
}
