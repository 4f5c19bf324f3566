import type { Logger } from '@aws-lambda-powertools/logger';
import type { MigrationDeps } from '../lambdas/core/migrations/migration-deps.ts';
import { toExecutionInput } from '../lambdas/core/migrations/migration-request.ts';
import { patchMigration } from '../lambdas/core/migrations/migration-records.ts';
import { isTerminal } from '../lambdas/core/task-state.ts';
import type { WorkflowPort } from '../lambdas/core/ports.ts';
import { ShareStatus, type DataPurgeRecord } from '../lambdas/core/model.ts';
import type { PurgeExecutionInput } from '../lambdas/core/workflow.ts';

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

/**
 * Purges an execution did not finish before the process stopped: a share being deleted whose instances'
 * data is not purged yet, a finished migration with a purge still pending or under way. Each gets a
 * purge-only execution (the purge is idempotent); one that failed before waits for the operator (a share's
 * DELETE again, or a purge execution naming the migration).
 */
export async function resumeUnfinishedPurges(deps: MigrationDeps, workflow: WorkflowPort, logger: Logger): Promise<string[]> {
  const unsettled = (purges: readonly DataPurgeRecord[] | undefined) => (purges ?? []).some((p) => p.status === 'pending' || p.status === 'purging');
  const inputs: { key: string; input: PurgeExecutionInput }[] = [
    // The deleting shares only, from the status index: a start must not read every share of the table.
    ...(await deps.shares.listByStatus(ShareStatus.DELETING))
      .filter((share) => unsettled(share.purges))
      .map((share) => ({ key: share.id, input: { purge: { share_id: share.id } } })),
    ...(await deps.migrations.list())
      .filter((migration) => isTerminal(migration.task_state) && unsettled(migration.purges))
      .map((migration) => ({ key: migration.id, input: { purge: { migration_id: migration.id } } })),
  ];
  const resumed: string[] = [];
  for (const { key, input } of inputs) {
    try {
      await workflow.startExecution(`purge-${key}-resume-${Date.now()}`, input);
      logger.info('data purge resumed', { ...input.purge });
      resumed.push(key);
    } catch (err) {
      logger.error('data purge could not be resumed', { ...input.purge, error: err as Error });
    }
  }
  return resumed;
}
