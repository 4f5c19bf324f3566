import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

describe('refresh_interval: the bulk copy follows the source while the migration waits for migration_complete', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('brings writes made during the wait to the destination before the switchover, so the final delta is small', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'refreshed', onlyHost: 'local@alpha#default' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 10);

    // Act
    expect((await t.client.startMigration(share.id, 'local@beta#default', { refresh_interval: 1 })).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['data_copying_completed']);
    await writeFile(path.join(sourcePath, 'written-while-waiting.txt'), 'arrives by refresh\n');
    const [waiting] = await t.client.migrations(share.id);
    let refreshed: any;
    for (let i = 0; i < 100; i++) {
      refreshed = (await t.client.migrations(share.id))[0];
      if (refreshed.copies.filter((c: any) => c.pass === 'bulk').length >= 2 && refreshed.copies.at(-1).files >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const expected = await describeTree(sourcePath);
    await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(waiting.options.refresh_interval).toBe(1);
    expect(refreshed.task_state).toBe('data_copying_completed');
    const bulkPasses = refreshed.copies.filter((c: any) => c.pass === 'bulk');
    expect(bulkPasses.length).toBeGreaterThanOrEqual(2);
    expect(bulkPasses.at(-1).files).toBeGreaterThanOrEqual(1);
    expect(done.task_state).toBe('migration_success');
    const finalPass = (await t.client.migrations(share.id))[0].copies.find((c: any) => c.pass === 'final');
    expect(finalPass.files).toBe(0);
    const destination = await t.client.exportPath(share.id);
    expect(await readFile(path.join(destination, 'written-while-waiting.txt'), 'utf8')).toBe('arrives by refresh\n');
    expect(await describeTree(destination)).toEqual(expected);
  });

  it('refuses a refresh_interval that is not a whole positive number of seconds', async () => {
    const share = await t.client.createShare({ name: 'bad-refresh', onlyHost: 'local@alpha#default' });
    const res = await t.client.startMigration(share.id, 'local@beta#default', { refresh_interval: 0.5 });
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toMatch(/refresh_interval/);
    expect(await t.client.migrations(share.id)).toEqual([]);
  });
});
