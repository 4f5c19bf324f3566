import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * migration_start's preserve_metadata reaches the copy task: the copy plan carries it, the workflow's
 * copy states put it in the container environment (SMIG_PRESERVE_METADATA), and every pass of the copy
 * task runs with it (its first log line says so). What the copy then does with it on a destination that
 * refuses extended attributes and ACLs is test/copy-task/engine/left-out-metadata.test.ts.
 */
describe('migration_start with preserve_metadata, as the copy task gets it', () => {
  let t: TestRuntime;
  const copyLog: Record<string, unknown>[] = [];

  beforeAll(async () => {
    t = await startTestRuntime({
      copyTaskOutput: (line) => {
        if (line.startsWith('{')) copyLog.push(JSON.parse(line) as Record<string, unknown>);
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it.each([
    [false, 'False'],
    [true, 'True'],
  ])('runs every copy pass with preserve_metadata=%s', async (preserve, name) => {
    // Prepare
    const share = await t.client.createShare({ name: `preserve-${name}`, onlyHost: 'local@alpha#default' });
    await fillSampleTree(await t.client.exportPath(share.id), 4);
    const tree = await describeTree(await t.client.exportPath(share.id));

    // Act
    const res = await t.client.startMigration(share.id, 'local@beta#default', { preserve_metadata: preserve, auto_complete: true });
    expect(res.status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done).toMatchObject({ task_state: 'migration_success', host: 'local@beta#default' });
    const [migration] = await t.client.migrations(share.id);
    const starts = copyLog.filter((line) => line['message'] === 'copy starting' && line['migration_id'] === migration.id);
    expect(starts.map((line) => [line['pass'], line['preserve_metadata']])).toEqual([
      ['bulk', preserve],
      ['final', preserve],
    ]);
    expect(await describeTree(await t.client.exportPath(share.id))).toEqual(tree);
  });
});
