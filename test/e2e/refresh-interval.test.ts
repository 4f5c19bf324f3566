import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_REFRESH_INTERVAL_SECONDS } from '../../lambdas/core/workflow.ts';
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
    expect((await t.client.startMigration(share.id, 'local@beta#default', { refresh_interval: MIN_REFRESH_INTERVAL_SECONDS })).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['data_copying_completed']);
    await writeFile(path.join(sourcePath, 'written-while-waiting.txt'), 'arrives by refresh\n');
    const [waiting] = await t.client.migrations(share.id);
    let refreshed: any;
    // The first refresh comes MIN_REFRESH_INTERVAL_SECONDS after phase 1.
    for (let i = 0; i < 10 * (MIN_REFRESH_INTERVAL_SECONDS + 30); i++) {
      refreshed = (await t.client.migrations(share.id))[0];
      if (refreshed.copies.filter((c: any) => c.pass === 'bulk').length >= 2 && refreshed.copies.at(-1).files >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const expected = await describeTree(sourcePath);
    await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(waiting.options.refresh_interval).toBe(MIN_REFRESH_INTERVAL_SECONDS);
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
  }, (MIN_REFRESH_INTERVAL_SECONDS + 60) * 1000);

  it.each([
    [0.5, /refresh_interval/],
    // Shorter than a copy pass can honour (each refresh is a whole bulk pass).
    [MIN_REFRESH_INTERVAL_SECONDS - 1, new RegExp(`refresh_interval ${MIN_REFRESH_INTERVAL_SECONDS - 1}: whole seconds from ${MIN_REFRESH_INTERVAL_SECONDS}`)],
  ])('refuses refresh_interval %s: 400 in Manila\'s shape, nothing changed', async (refresh, message) => {
    const share = await t.client.createShare({ name: `bad-refresh-${refresh}`, onlyHost: 'local@alpha#default' });
    const res = await t.client.startMigration(share.id, 'local@beta#default', { refresh_interval: refresh });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message: expect.stringMatching(message) } });
    expect(await t.client.migrations(share.id)).toEqual([]);
    expect((await t.client.share(share.id)).status).toBe('available');
  });
});
