import { access, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupStep } from '../../lambdas/core/migrations/steps/cleanup.ts';
import { validateStep } from '../../lambdas/core/migrations/steps/validate.ts';
import { Step } from '../../lambdas/core/workflow.ts';
import { createLogger } from '../../lambdas/handlers/logger.ts';
import { STEP_HANDLER_FACTORIES } from '../../lambdas/handlers/steps/index.ts';
import { localLambdaContext } from '../../local/lambda-context.ts';
import { LocalWorkflow } from '../../local/local-workflow.ts';
import { loadSynthesizedWorkflow } from '../../local/synthesized-definition.ts';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * Whatever fails, no share stays locked: a first state that failed after locking is cleaned up, and a
 * cleanup that gives up hands the share back through the release step, saying what it left behind.
 */
describe('Workflow: no failure leaves a share locked', () => {
  let t: TestRuntime;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-cleanup-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'alpha', root: path.join(dataDir, 'alpha'), pools: [{ name: 'default' }] },
          { backend: 'beta', root: path.join(dataDir, 'beta'), pools: [{ name: 'default' }] },
          // An array that creates the destination but cannot export it, nor then delete it.
          { backend: 'stuck', root: path.join(dataDir, 'stuck'), pools: [{ name: 'default' }], faults: { fail: { getCopyMount: 'export unreachable', deleteInstance: 'array busy' } } },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  /**
   * The synthesized definition with the real step handlers over the runtime's stores and drivers, where
   * the first state's Lambda loses its answer: `after` it ran (it locked the share), or `before`.
   */
  async function workflowWhereValidateTimesOut(when: 'before' | 'after'): Promise<LocalWorkflow> {
    const synthesized = await loadSynthesizedWorkflow({ cacheDir: path.join(dataDir, 'cache') });
    const deps = () => t.runtime.composition.migrationDeps;
    const timedOut = Object.assign(new Error('Task timed out after 360.00 seconds'), { name: 'States.Timeout' });
    return new LocalWorkflow(synthesized, {
      runStep: async (step, input) => {
        if (step === Step.VALIDATE && when === 'before') throw timedOut;
        const handler = STEP_HANDLER_FACTORIES[step as Step](deps) as (event: unknown, context: Context) => Promise<unknown>;
        const output = await handler(input, localLambdaContext(step));
        if (step === Step.VALIDATE) throw timedOut;
        return output;
      },
      runCopyTask: () => Promise.reject(new Error('no copy task runs in these tests')),
    }, createLogger('test-workflow'));
  }

  it('a console start whose first state timed out after locking the share is cleaned up: the share is available again', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'console-timeout', onlyHost: 'local@alpha#default' });
    const workflow = await workflowWhereValidateTimesOut('after');

    // Act: started as from the console, named, with no migration_id
    await workflow.startExecution('console-timeout-1', { share_id: share.id, host: 'local@beta#default' });
    await workflow.whenDone('console-timeout-1');

    // Assess
    expect(await t.client.share(share.id)).toMatchObject({ status: 'available', task_state: 'migration_error', host: 'local@alpha#default' });
    const migration = await t.runtime.composition.migrationDeps.migrations.get('console-timeout-1');
    expect(migration).toMatchObject({ task_state: 'migration_error', error: { error: 'States.Timeout', cause: 'Task timed out after 360.00 seconds' } });
  });

  it('a first state that timed out before creating anything ends the execution and touches nothing', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'console-early-timeout', onlyHost: 'local@alpha#default' });
    const workflow = await workflowWhereValidateTimesOut('before');

    // Act
    await workflow.startExecution('console-early-timeout-1', { share_id: share.id, host: 'local@beta#default' });
    await workflow.whenDone('console-early-timeout-1');

    // Assess
    expect(await t.client.share(share.id)).toMatchObject({ status: 'available', task_state: null });
    expect(await t.runtime.composition.migrationDeps.migrations.get('console-early-timeout-1')).toBeNull();
  });

  it('a retried first state finds its own lock, and cleanup finds it, even when the execution name cannot serve as an id', async () => {
    // Prepare: Step Functions allows "." and "@" in execution names
    const deps = t.runtime.composition.migrationDeps;
    const share = await t.client.createShare({ name: 'dotted-execution', onlyHost: 'local@alpha#default' });
    const input = { request: { share_id: share.id, host: 'local@beta#default' }, execution_name: 'console.run@7' };

    // Act: the first state, retried (its first answer lost), then cleanup after it
    const first = await validateStep(deps, input);
    const retried = await validateStep(deps, input);
    const cleaned = await cleanupStep(deps, { ...input, error: { Error: 'States.Timeout', Cause: 'Task timed out' } });

    // Assess
    expect(retried.migration_id).toBe(first.migration_id);
    expect(first.migration_id).toMatch(/^execution-[0-9a-f]{32}$/);
    expect(cleaned).toMatchObject({ migration_id: first.migration_id, outcome: 'error' });
    expect(await t.client.share(share.id)).toMatchObject({ status: 'available', task_state: 'migration_error' });
  });

  it('a cleanup that gives up releases the share and records what it left behind', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'stuck-destination', onlyHost: 'local@alpha#default' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 4);
    const tree = await describeTree(sourcePath);
    await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.6.0.0/16', access_level: 'rw' } });
    const rules = (await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list;

    // Act: prepare fails (the destination cannot be exported), and cleanup cannot delete the destination
    expect((await t.client.startMigration(share.id, 'local@stuck#default', { auto_complete: true })).status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done).toMatchObject({ task_state: 'migration_error', status: 'available', host: 'local@alpha#default' });
    expect(await describeTree(sourcePath)).toEqual(tree);
    expect((await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list).toEqual(rules);
    const [migration] = await t.client.migrations(share.id);
    expect(migration.error.cause).toMatch(/^local@stuck getCopyMount failed: export unreachable \(injected fault\).*; cleanup gave up \(DriverError: .*array busy/);
    expect(migration.error.cause).toContain(
      `left behind: destination instance ${migration.destination_instance_id} on local@stuck#default was NOT deleted; `
      + `the access rules of source instance ${migration.source_instance_id} on local@alpha#default were restored (writable)`,
    );
    await access(path.join(dataDir, 'stuck', 'default', `share-${migration.destination_instance_id}`));
    // The share can be migrated again.
    expect((await t.client.startMigration(share.id, 'local@beta#default', { auto_complete: true })).status).toBe(202);
    expect(await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error'])).toMatchObject({ task_state: 'migration_success' });
  });
});
