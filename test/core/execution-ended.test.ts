import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpEndedExecution, EndedStatus } from '../../lambdas/core/migrations/execution-ended.ts';
import { patchMigration } from '../../lambdas/core/migrations/migration-records.ts';
import { toExecutionInput } from '../../lambdas/core/migrations/migration-request.ts';
import { createExecutionEndedHandler } from '../../lambdas/handlers/execution-ended.ts';
import { fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

const ALPHA = 'local@alpha#default';
const BETA = 'local@beta#default';

/**
 * An execution stopped from the console, timed out, or failed outside any Catch: its migration is cleaned
 * up from the execution's status change event. The runtime's stores over dynalite and its local drivers;
 * the execution is stopped for real (aws-local-stepfunctions' abort), as the console stops one.
 */
describe('Function: cleanUpEndedExecution', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  /** A host-assisted migration waiting for migration_complete, whose execution is then stopped. */
  async function stoppedWhileWaiting(name: string) {
    const share = await t.client.createShare({ name, onlyHost: ALPHA });
    await fillSampleTree(await t.client.exportPath(share.id), 3);
    expect((await t.client.startMigration(share.id, BETA)).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['data_copying_completed']);
    await t.runtime.workflow.abortAll();
    const deps = t.runtime.composition.migrationDeps;
    const migration = (await deps.migrations.listByShare(share.id))[0]!;
    const input = toExecutionInput(share.id, BETA, migration.options, migration.id);
    return { share, migration, input, deps };
  }

  it('restores the source and ends the migration in error with the cause, once: a second event changes nothing', async () => {
    // Prepare
    const { share, migration, input, deps } = await stoppedWhileWaiting('stopped-from-console');
    const ended = { executionArn: migration.execution_id!, name: migration.id, status: EndedStatus.ABORTED, input };

    // Act
    const first = await cleanUpEndedExecution(deps, ended);
    const afterFirst = (await deps.migrations.get(migration.id))!;
    const second = await cleanUpEndedExecution(deps, ended);

    // Assess
    expect([first, second]).toEqual(['cleaned-up', 'already-ended']);
    expect(afterFirst.task_state).toBe('migration_error');
    expect(afterFirst.error?.error).toBe('ExecutionAborted');
    expect(afterFirst.error?.cause).toMatch(new RegExp(`Execution ${migration.id} was stopped`));
    expect((await deps.migrations.get(migration.id))!.version).toBe(afterFirst.version);
    const released = await t.client.share(share.id);
    expect(released.status).toBe('available');
    expect(released.host).toBe(ALPHA);
    expect((await deps.shares.get(share.id))!.instances.map((i) => i.id)).toEqual([migration.source_instance_id]);
  });

  it('leaves alone a migration whose record names another execution (a handover\'s), and executions that only purged', async () => {
    // Prepare
    const { share, migration, input, deps } = await stoppedWhileWaiting('handed-over-elsewhere');
    await patchMigration(deps, migration.id, () => ({ execution_id: 'arn:aws:states:local:000000000000:execution:share-migration:handover-1' }));
    const before = (await deps.migrations.get(migration.id))!;

    // Act
    const outcome = await cleanUpEndedExecution(deps, { executionArn: migration.execution_id!, name: migration.id, status: EndedStatus.FAILED, input, error: 'States.Runtime', cause: 'x' });
    const purgeOnly = await cleanUpEndedExecution(deps, { executionArn: 'arn:x', name: 'purge-1', status: EndedStatus.TIMED_OUT, input: { purge: { share_id: share.id } } });

    // Assess
    expect([outcome, purgeOnly]).toEqual(['continued-elsewhere', 'no-migration']);
    expect((await deps.migrations.get(migration.id))!).toEqual(before);
    expect((await t.client.share(share.id)).status).toBe('migrating');
  });

  it('is what the EventBridge target runs: a "Step Functions Execution Status Change" event of a timed-out execution', async () => {
    // Prepare
    const { migration, input, deps } = await stoppedWhileWaiting('timed-out');
    const handler = createExecutionEndedHandler(() => deps);
    const event = {
      'detail-type': 'Step Functions Execution Status Change',
      detail: { executionArn: migration.execution_id!, name: migration.id, status: 'TIMED_OUT', input: JSON.stringify(input), error: null, cause: null },
    };

    // Act
    const outcome = await handler(event, { functionName: 'execution-ended', awsRequestId: 'r-1' } as never);

    // Assess
    expect(outcome).toBe('cleaned-up');
    const ended = (await deps.migrations.get(migration.id))!;
    expect(ended.task_state).toBe('migration_error');
    expect(ended.error?.error).toBe('ExecutionTimedOut');
  });
});
