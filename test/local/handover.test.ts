import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toExecutionInput } from '../../lambdas/core/migrations/migration-request.ts';
import { findInstance } from '../../lambdas/core/shares/share-instances.ts';
import { copyPassTimeoutSeconds, type HandoverInput, type MigrationExecutionState } from '../../lambdas/core/workflow.ts';
import { LocalWorkflow } from '../../local/local-workflow.ts';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { createLogger } from '../../lambdas/handlers/logger.ts';
import { until } from '../support/until.ts';

const ALPHA = 'local@alpha#default';
const BETA = 'local@beta#default';

/**
 * A handover: an execution whose loop reached HANDOVER_AFTER_CYCLES starts a new execution with its input
 * plus `resume` and ends (cdk/lib/workflow-handover.ts). The embedded default: the synthesized definition
 * under aws-local-stepfunctions, dynalite, the copy task as a child process, driven through the HTTP API.
 */
describe('Class: LocalWorkflow', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  describe('Method: startExecution, with the input a handover gives', () => {
    it('resumes the wait for migration_complete in the new execution, names it on the migration, and finishes without copying the share again', async () => {
      // Prepare: a host-assisted migration waiting for migration_complete, whose execution then ends as a
      // handing-over execution ends (here: stopped), and the state it had at the wait.
      const share = await t.client.createShare({ name: 'handed-over', onlyHost: ALPHA });
      const sourcePath = await t.client.exportPath(share.id);
      await fillSampleTree(sourcePath, 6);
      expect((await t.client.startMigration(share.id, BETA)).status).toBe(202);
      await t.client.waitForTaskState(share.id, ['data_copying_completed']);
      await t.runtime.workflow.abortAll();
      const deps = t.runtime.composition.migrationDeps;
      const migration = (await deps.migrations.listByShare(share.id))[0]!;
      const record = (await deps.shares.get(share.id))!;
      const [source, destination] = await Promise.all([
        deps.drivers.forHost(ALPHA).getCopyMount(findInstance(record, migration.source_instance_id)!),
        deps.drivers.forHost(BETA).getCopyMount(findInstance(record, migration.destination_instance_id)!),
      ]);
      const state: MigrationExecutionState = {
        migration_id: migration.id, share_id: share.id, auto_complete: false, driver_assisted: false, loop: { cycles: 100 }, wait_seconds: 3600,
        copy: { source: source.path, destination: destination.path, source_modes: source.originalModesFile ?? '', preserve_metadata: 'false', task_definition: migration.copy_task_definition ?? 'local' },
        snapshot_replay: { more: false, index: 0, count: 0 },
        copy_timeout_seconds: copyPassTimeoutSeconds(record.size),
      };
      const handover: HandoverInput = { migration_id: migration.id, resume: { at: 'await-completion', state } };
      const input = { ...toExecutionInput(share.id, BETA, migration.options, migration.id), ...handover };
      await writeFile(path.join(sourcePath, 'written-after-handover.txt'), 'final delta\n');
      const expected = await describeTree(sourcePath);

      // Act
      const { executionId } = await t.runtime.workflow.startExecution('handover-0123456789abcdef', input);
      const waiting = await until('the new execution waiting for migration_complete', async () => {
        const current = await deps.migrations.get(migration.id);
        return current?.execution_id === executionId && current.task_token !== migration.task_token ? current : undefined;
      });
      await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
      const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

      // Assess
      expect(waiting.task_state).toBe('data_copying_completed');
      expect(done.task_state).toBe('migration_success');
      const ended = (await deps.migrations.get(migration.id))!;
      expect(ended.execution_id).toBe(executionId);
      // The bulk pass ran once, in the first execution; the new one went straight to the wait, then the final delta.
      expect(ended.copies.map((copy) => copy.pass)).toEqual(['bulk', 'final']);
      expect(ended.copies[1]!.files).toBe(1);
      expect(await describeTree(await t.client.exportPath(share.id))).toEqual(expected);
    });
  });

  describe('Method: startExecution, from a states:startExecution Task', () => {
    it('starts the named execution with the Task\'s input, as Step Functions answers', async () => {
      // Prepare: a definition whose Task hands over once (the new execution's input says it was handed over).
      const definition = {
        StartAt: 'Handed over?',
        States: {
          'Handed over?': { Type: 'Choice', Choices: [{ Variable: '$.handed', IsPresent: true, Next: 'Done' }], Default: 'Hand over' },
          'Hand over': {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution',
            Parameters: { StateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:m', 'Name.$': '$.next', 'Input.$': 'States.JsonMerge($$.Execution.Input, $.extra, false)' },
            ResultPath: '$.started',
            End: true,
          },
          Done: { Type: 'Succeed' },
        },
      };
      const workflow = new LocalWorkflow({ definition, tasks: { 'Hand over': { kind: 'start-execution' } } }, {
        runStep: async () => { throw new Error('no steps here'); },
        runCopyTask: async () => { throw new Error('no copy tasks here'); },
      }, createLogger('test'));
      const started: { name: string; input: unknown }[] = [];
      const start = workflow.startExecution.bind(workflow);
      workflow.startExecution = async (name, input) => {
        started.push({ name, input: structuredClone(input) });
        return start(name, input);
      };

      // Act
      await workflow.startExecution('first', { next: 'second', extra: { handed: true } });
      await workflow.whenDone('first');
      await workflow.whenDone('second');

      // Assess
      expect(started).toEqual([
        { name: 'first', input: { next: 'second', extra: { handed: true } } },
        { name: 'second', input: { next: 'second', extra: { handed: true }, handed: true } },
      ]);
      expect(workflow.runningExecutions()).toEqual([]);
    });
  });
});
