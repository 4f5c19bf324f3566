import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPY_FAULT_RETRY } from '../../lambdas/core/workflow.ts';
import { allStates, cachedWorkflowFile, loadSynthesizedWorkflow, PROJECT_CACHE_DIR } from '../../local/synthesized-definition.ts';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { processWithEnvironment } from '../support/processes.ts';
import { until } from '../support/until.ts';

/**
 * Issue 15, item 3: "A cleanup never deletes a destination because of an infrastructure fault." The local
 * copy runner reports a copy task killed by SIGKILL as ECS reports a task the platform stopped (exit code
 * 137), so killing every copy task of a migration is an outage of the platform. Past the retry ladder
 * (COPY_FAULT_RETRY.MAX_ATTEMPTS faults) the pass waits the fault out, recorded on the migration, until a
 * task runs (the migration then succeeds, the destination exact) or the operator cancels (cancel's cleanup
 * deletes the destination, at once, not after the wait). Before, the migration went to cleanup, which
 * deleted the destination. The synthesized definition runs as it is but for its waits: the ladder's waits
 * shortened to 1 s, and the wait past it to `parkSeconds` (the runtime reads the definition from a cache
 * folder that holds the adapted one).
 */
const BETA = 'local@beta#default';

/** A runtime whose definition waits 1 s between faults on the ladder and `parkSeconds` past it. */
async function runtimeWithShortWaits(parkSeconds: number): Promise<{ t: TestRuntime; cacheDir: string }> {
  const workflow = await loadSynthesizedWorkflow({ cacheDir: PROJECT_CACHE_DIR });
  const ladder = `States.Array(${COPY_FAULT_RETRY.WAIT_SECONDS.join(', ')})`;
  for (const [name, state] of allStates(workflow.definition)) {
    const parameters = state['Parameters'] as Record<string, unknown> | undefined;
    const waits = parameters?.['wait_seconds.$'];
    if (typeof waits === 'string' && waits.includes(ladder)) parameters!['wait_seconds.$'] = waits.replace(ladder, `States.Array(${COPY_FAULT_RETRY.WAIT_SECONDS.map(() => 1).join(', ')})`);
    if (name === 'How long to wait out the copy fault') state['Result'] = parkSeconds;
  }
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'smig-fault-cache-'));
  await writeFile(await cachedWorkflowFile(cacheDir), JSON.stringify(workflow));
  // A slow copy (4 MiB/s of a 24 MiB file) so that every task is killed while it copies.
  const t = await startTestRuntime({ copyBytesPerSecond: 4 * 1024 * 1024, synthesisCacheDir: cacheDir });
  return { t, cacheDir };
}

/** A share with a tree and a large file on alpha, its migration to beta started; its migration id and tree. */
async function startMigration(t: TestRuntime, name: string): Promise<{ shareId: string; migrationId: string; tree: unknown }> {
  const share = await t.client.createShare({ name, onlyHost: 'local@alpha#default' });
  const sourcePath = await t.client.exportPath(share.id);
  await fillSampleTree(sourcePath, 4);
  await writeFile(path.join(sourcePath, 'large.bin'), Buffer.alloc(24 * 1024 * 1024, 7));
  const tree = await describeTree(sourcePath);
  expect((await t.client.startMigration(share.id, BETA, { auto_complete: true })).status).toBe(202);
  await t.client.waitForTaskState(share.id, ['data_copying_in_progress']);
  const [migration] = await t.client.migrations(share.id);
  return { shareId: share.id, migrationId: migration.id, tree };
}

/** Kills `count` bulk-pass copy tasks of the migration in a row, each as soon as it runs (a platform that stops them). */
async function killCopyTasks(migrationId: string, count: number): Promise<void> {
  const killed = new Set<number>();
  for (let i = 0; i < count; i += 1) {
    const pid = await until(`copy task ${i + 1} of migration ${migrationId}`, async () => {
      const found = await processWithEnvironment([`SMIG_MIGRATION_ID=${migrationId}`, 'SMIG_PASS=bulk']);
      return found !== undefined && !killed.has(found) ? found : undefined;
    }, 60_000, 50);
    process.kill(pid, 'SIGKILL');
    killed.add(pid);
  }
}

async function migrationRecord(t: TestRuntime, migrationId: string): Promise<any> {
  return t.client.expect(200, 'GET', `/migrations/${migrationId}`);
}

describe('A copy pass the platform keeps stopping past its retry ladder', () => {
  describe('when the platform lets a task run again', () => {
    let t: TestRuntime;
    let cacheDir: string;
    beforeAll(async () => {
      ({ t, cacheDir } = await runtimeWithShortWaits(3));
    });
    afterAll(async () => {
      await t?.destroy();
      if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
    });

    it('waits the fault out, shown on the migration, keeps the destination, and then succeeds with the destination exact', { timeout: 240_000 }, async () => {
      // Prepare
      const { shareId, migrationId, tree } = await startMigration(t, 'outage-over');

      // Act: more faults in a row than the ladder allows
      await killCopyTasks(migrationId, COPY_FAULT_RETRY.MAX_ATTEMPTS + 2);
      const waiting = await until('the migration to show its copy fault', async () => {
        const record = await migrationRecord(t, migrationId);
        return record.migration?.copy_fault?.attempts > COPY_FAULT_RETRY.MAX_ATTEMPTS ? record.migration : undefined;
      }, 30_000, 100);
      const progress = await t.client.progress(shareId);
      const destination = path.join(t.dataDir, 'backends', 'beta', 'default', `share-${waiting.destination_instance_id}`);
      await access(destination);
      const after = await t.client.waitForTaskState(shareId, ['migration_success', 'migration_error', 'migration_cancelled'], 120_000);

      // Assess
      expect(waiting).toMatchObject({
        task_state: 'data_copying_in_progress',
        error: null,
        copy_fault: { attempts: expect.any(Number), since: expect.any(String), last_error: expect.stringContaining('exit code 137'), next_attempt_at: expect.any(String) },
      });
      expect(progress.details['copy_fault']).toMatchObject({ last_error: expect.stringContaining('exit code 137') });
      expect(after).toMatchObject({ task_state: 'migration_success', host: BETA });
      expect(await describeTree(await t.client.exportPath(shareId))).toEqual(tree);
      expect((await migrationRecord(t, migrationId)).migration.copy_fault).toBeNull();
    });
  });

  describe('when the operator cancels while it waits', () => {
    let t: TestRuntime;
    let cacheDir: string;
    beforeAll(async () => {
      // The wait past the ladder as long as it is: the cancel must not wait for it.
      ({ t, cacheDir } = await runtimeWithShortWaits(COPY_FAULT_RETRY.PARK_SECONDS));
    });
    afterAll(async () => {
      await t?.destroy();
      if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
    });

    it('cancels at once: cleanup restores the source and deletes the destination', { timeout: 240_000 }, async () => {
      // Prepare: a migration waiting out its fault, 30 minutes from its next try
      const { shareId, migrationId, tree } = await startMigration(t, 'outage-cancelled');
      await killCopyTasks(migrationId, COPY_FAULT_RETRY.MAX_ATTEMPTS + 1);
      const waiting = await until('the migration to wait out its copy fault', async () => {
        const record = (await migrationRecord(t, migrationId)).migration;
        return record.copy_fault && record.waiting_for_callback ? record : undefined;
      }, 30_000, 100);

      // Act
      const cancelled = Date.now();
      await t.client.expect(202, 'POST', `/shares/${shareId}/action`, { migration_cancel: null });
      const after = await t.client.waitForTaskState(shareId, ['migration_cancelled', 'migration_error', 'migration_success'], 60_000);

      // Assess
      expect(after.task_state).toBe('migration_cancelled');
      expect(Date.now() - cancelled).toBeLessThan(60_000);
      expect(await describeTree(await t.client.exportPath(shareId))).toEqual(tree);
      await expect(access(path.join(t.dataDir, 'backends', 'beta', 'default', `share-${waiting.destination_instance_id}`))).rejects.toThrow();
    });
  });
});
