import { afterAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { fillSampleTree, describeTree } from '../../local/tree-digest.ts';

describe('Local runtime restart', () => {
  const started: TestRuntime[] = [];
  afterAll(async () => {
    for (const t of started.reverse()) await t.destroy().catch(() => undefined);
  });

  it('keeps shares and migrations, and resumes a migration that was waiting for migration_complete', async () => {
    // Prepare
    const first = await startTestRuntime();
    started.push(first);
    const share = await first.client.createShare({ name: 'survivor', onlyHost: 'local@alpha#default' });
    const sourcePath = await first.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 10);
    const tree = await describeTree(sourcePath);
    expect((await first.client.startMigration(share.id, 'local@beta#default')).status).toBe(202);
    await first.client.waitForTaskState(share.id, ['data_copying_completed']);

    // Act
    await first.stop();
    const second = await startTestRuntime({ dataDir: first.dataDir });
    started.push(second);

    // Assess
    expect(second.runtime.resumed).toHaveLength(1);
    const again = await second.client.share(share.id);
    expect(again).toMatchObject({ id: share.id, name: 'survivor', status: 'migrating' });
    const waiting = await second.client.waitForTaskState(share.id, ['data_copying_completed']);
    expect(waiting.task_state).toBe('data_copying_completed');
    await second.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
    const done = await second.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);
    expect(done.task_state).toBe('migration_success');
    expect(await describeTree(await second.client.exportPath(share.id))).toEqual(tree);
    expect(await second.client.migrations(share.id)).toHaveLength(1);
  });
});
