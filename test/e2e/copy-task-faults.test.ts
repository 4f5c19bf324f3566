import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { processWithEnvironment } from '../support/processes.ts';
import { until } from '../support/until.ts';

/**
 * Issue 15, item 3: a copy task the platform stops (here: killed with SIGKILL, as a Spot interruption or a
 * retired host ends a Fargate task) is an infrastructure fault. The workflow runs the pass again after a
 * wait (cdk/lib/workflow-copy-faults.ts), the engine resumes it, and the migration succeeds; before, the
 * pass went to cleanup, which deleted the destination.
 */
describe('A copy task killed mid-pass', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    // A slow copy (4 MiB/s) so the kill lands while the bulk pass runs.
    t = await startTestRuntime({ copyBytesPerSecond: 4 * 1024 * 1024 });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('is run again after a wait and the migration succeeds, the destination exact', { timeout: 180_000 }, async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'killed-copy', onlyHost: 'local@alpha#default' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 6);
    await writeFile(path.join(sourcePath, 'large.bin'), Buffer.alloc(24 * 1024 * 1024, 7));
    const tree = await describeTree(sourcePath);

    // Act: start, and kill this migration's copy task once it is copying
    expect((await t.client.startMigration(share.id, 'local@beta#default', { auto_complete: true })).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['data_copying_in_progress']);
    const [migration] = await t.client.migrations(share.id);
    const pid = await copyTaskOf(migration.id, 20_000);
    process.kill(pid, 'SIGKILL');
    const after = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error', 'migration_cancelled'], 150_000);

    // Assess
    expect(after).toMatchObject({ task_state: 'migration_success', host: 'local@beta#default' });
    expect(await describeTree(await t.client.exportPath(share.id))).toEqual(tree);
  });
});

/** The pid of the bulk pass's copy task of `migrationId` (its environment names the migration), once it runs. */
function copyTaskOf(migrationId: string, timeoutMs: number): Promise<number> {
  return until(`a copy task of migration ${migrationId}`, () => processWithEnvironment([`SMIG_MIGRATION_ID=${migrationId}`, 'SMIG_PASS=bulk']), timeoutMs, 100);
}
