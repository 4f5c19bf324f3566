import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShareStatus } from '../../lambdas/core/model.ts';
import { TaskState } from '../../lambdas/core/task-state.ts';
import { updateVersioned } from '../../lambdas/core/versioned-update.ts';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { until } from '../support/until.ts';
import { processWithEnvironment } from '../support/processes.ts';

const ALPHA = 'local@alpha#default';
const BETA = 'local@beta#default';
const STUCK = 'local@stuck#default';

/**
 * No share is left stuck, and no admin action takes a share from under a running migration: the embedded
 * default (the synthesized definition under aws-local-stepfunctions, dynalite, the copy task as a child
 * process), driven through the HTTP API.
 */
describe('Class: WorkflowMigrationService', () => {
  let t: TestRuntime;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-stuck-'));
    t = await startTestRuntime({
      dataDir,
      // A slow copy (1 MiB/s) so that the test can act while it runs.
      copyBytesPerSecond: 1024 * 1024,
      backends: {
        backends: [
          { backend: 'alpha', root: path.join(dataDir, 'alpha'), pools: [{ name: 'default' }] },
          { backend: 'beta', root: path.join(dataDir, 'beta'), pools: [{ name: 'default' }] },
          // An array that creates instances but cannot delete them.
          { backend: 'stuck', root: path.join(dataDir, 'stuck'), pools: [{ name: 'default' }], faults: { fail: { deleteInstance: 'array busy' } } },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  async function latestMigration(shareId: string): Promise<any> {
    return (await t.client.migrations(shareId))[0];
  }

  /**
   * SIGTERM to the copy task's process, found by the task id the runner gives it: the copy ends early with
   * the engine's own exit code (143), a copy failure the workflow sends to cleanup. (A SIGKILL, as a lost
   * host or a Spot interruption ends a task, is an infrastructure fault the workflow retries:
   * test/e2e/copy-task-faults.test.ts.)
   */
  async function killCopyTask(taskId: string): Promise<void> {
    const pid = await processWithEnvironment([`SMIG_TASK_ID=${taskId}`]);
    if (pid === undefined) throw new Error(`no process runs copy task ${taskId}`);
    process.kill(pid, 'SIGTERM');
  }

  describe('Method: cancel, after a copy that failed and a cleanup that gives up', () => {
    it('ends the migration in migration_error with the share available on its source, the undeleted destination on the migration, and refuses to cancel what cannot be', async () => {
      // Prepare
      const share = await t.client.createShare({ name: 'stuck-cleanup', onlyHost: ALPHA });
      const sourcePath = await t.client.exportPath(share.id);
      await fillSampleTree(sourcePath, 4);
      await writeFile(path.join(sourcePath, 'large-enough.bin'), Buffer.alloc(8 * 1024 * 1024, 5));
      await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.7.0.0/16', access_level: 'rw' } });
      const tree = await describeTree(sourcePath);
      const rules = (await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list;

      // Act: the bulk copy dies, then cleanup cannot delete the destination (three retries, then the release step)
      expect((await t.client.startMigration(share.id, STUCK, { auto_complete: true })).status).toBe(202);
      const copying = await until('the copy task to run', async () => {
        const m = await latestMigration(share.id);
        return m?.copy_task_id && m.progress?.pass === 'bulk' ? m : undefined;
      });
      await killCopyTask(copying.copy_task_id);
      const failing = await until('cleanup to record the failure', async () => {
        const m = await latestMigration(share.id);
        return m.error !== null ? m : undefined;
      });
      const cancelWhileCleaning = await t.client.action(share.id, { migration_cancel: null });
      const shownWhileCleaning = await t.client.waitForTaskState(share.id, ['data_copying_error', 'migration_error'], 10_000);
      const ended = await t.client.waitForTaskState(share.id, ['migration_error', 'migration_cancelled', 'migration_success']);

      // Assess: while cleanup retries, the share says so and a cancel is refused (there is nothing left to cancel)
      expect(failing.task_state).not.toBe(TaskState.MIGRATION_ERROR);
      expect(cancelWhileCleaning.status).toBe(400);
      expect(cancelWhileCleaning.body.badRequest.message).toMatch(/cannot be cancelled: it has failed \(States\.TaskFailed: .*\) and its cleanup is restoring the source/);
      expect(shownWhileCleaning).toMatchObject({ status: 'migrating', task_state: 'data_copying_error' });
      // It ends: migration_error, available on its source, data and rules as they were
      expect(ended).toMatchObject({ task_state: 'migration_error', status: 'available', host: ALPHA });
      expect(await describeTree(sourcePath)).toEqual(tree);
      expect((await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list).toEqual(rules);
      const migration = await latestMigration(share.id);
      expect(migration.history.map((h: any) => h.task_state).slice(-2)).toEqual(['data_copying_error', 'migration_error']);
      // The share lists only its own instance; the destination cleanup could not delete is on the migration, and on its backend
      const record = (await t.runtime.composition.migrationDeps.shares.get(share.id))!;
      expect(record.instances.map((i) => [i.id, i.host, i.status])).toEqual([[migration.source_instance_id, ALPHA, ShareStatus.AVAILABLE]]);
      expect(migration.left_behind).toEqual([{
        instance: expect.objectContaining({ id: migration.destination_instance_id, host: STUCK }),
        role: 'destination',
        reason: expect.stringMatching(/^cleanup could not delete it \(DriverError: local@stuck deleteInstance failed: array busy/),
        at: expect.any(String),
      }]);
      await access(path.join(dataDir, 'stuck', 'default', `share-${migration.destination_instance_id}`));
      // Later admin actions answer sensibly: nothing to cancel (400), the task state can be reset
      const cancelAfter = await t.client.action(share.id, { migration_cancel: null });
      expect(cancelAfter.status).toBe(400);
      expect(cancelAfter.body.badRequest.message).toMatch(/is not being migrated \(task_state migration_error\)/);
      expect((await t.client.action(share.id, { reset_task_state: { task_state: null } })).status).toBe(202);
      expect(await t.client.share(share.id)).toMatchObject({ task_state: null, status: 'available' });
      // And the share migrates again
      await rm(path.join(sourcePath, 'large-enough.bin'));
      expect((await t.client.startMigration(share.id, BETA, { auto_complete: true })).status).toBe(202);
      expect(await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error'])).toMatchObject({ task_state: 'migration_success', host: BETA });
    }, 120_000);
  });

  describe('Method: resetTaskState', () => {
    it('does not release a share whose migration still runs: a second migration cannot start, and the first can still be cancelled', async () => {
      // Prepare: a migration waiting for migration_complete
      const share = await t.client.createShare({ name: 'reset-running', onlyHost: ALPHA });
      const sourcePath = await t.client.exportPath(share.id);
      await fillSampleTree(sourcePath, 4);
      expect((await t.client.startMigration(share.id, BETA)).status).toBe(202);
      await t.client.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);
      const first = await latestMigration(share.id);

      // Act
      const cleared = await t.client.action(share.id, { reset_task_state: { task_state: null } });
      const ended = await t.client.action(share.id, { reset_task_state: { task_state: 'migration_error' } });
      const second = await t.client.startMigration(share.id, BETA, { auto_complete: true });

      // Assess: refused, and nothing changed
      for (const answer of [cleared, ended]) {
        expect(answer.status).toBe(400);
        expect(answer.body.badRequest.message).toContain(`is held by migration ${first.id}, which is still running (task_state data_copying_completed)`);
      }
      expect(second.status).toBe(400);
      expect(await t.client.share(share.id)).toMatchObject({ status: 'migrating', task_state: 'data_copying_completed', host: ALPHA });
      expect(await t.client.migrations(share.id)).toHaveLength(1);
      // The first migration is still in reach of the API
      expect((await t.client.action(share.id, { migration_cancel: null })).status).toBe(202);
      expect(await t.client.waitForTaskState(share.id, ['migration_cancelled', 'migration_error'])).toMatchObject({ task_state: 'migration_cancelled', status: 'available', host: ALPHA });
      await expect(access(path.join(dataDir, 'beta', 'default', `share-${first.destination_instance_id}`))).rejects.toThrow();
      expect((await t.client.action(share.id, { reset_task_state: { task_state: null } })).status).toBe(202);
      expect(await t.client.share(share.id)).toMatchObject({ status: 'available', task_state: null });
    }, 120_000);

    it('releases a lock left by a migration that has ended (its release of the share was lost)', async () => {
      // Prepare: a finished migration, then the share locked by it again, as if its final share write had been lost
      const share = await t.client.createShare({ name: 'reset-stale-lock', onlyHost: ALPHA });
      expect((await t.client.startMigration(share.id, BETA, { auto_complete: true })).status).toBe(202);
      await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);
      const finished = await latestMigration(share.id);
      await updateVersioned(t.runtime.composition.migrationDeps.shares, share.id, (s) => ({
        ...s, status: ShareStatus.MIGRATING, task_state: TaskState.MIGRATION_COMPLETING, migration_id: finished.id,
      }), { shareId: share.id });

      // Act
      const reset = await t.client.action(share.id, { reset_task_state: { task_state: null } });

      // Assess
      expect(reset.status).toBe(202);
      expect(await t.client.share(share.id)).toMatchObject({ status: 'available', task_state: null, host: BETA });
      expect((await t.client.startMigration(share.id, ALPHA, { auto_complete: true })).status).toBe(202);
      expect(await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error'])).toMatchObject({ task_state: 'migration_success', host: ALPHA });
    }, 120_000);
  });
});
