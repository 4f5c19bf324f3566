import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { processWithEnvironment } from '../support/processes.ts';
import { until } from '../support/until.ts';

/**
 * Issue 15, items 1 and 2 on the embedded default: a migration started with `partitions` is planned by a
 * copy task, copied by one copy task per partition (the synthesized Distributed Map, run by
 * aws-local-stepfunctions, with the copy tasks as child processes, `max_copy_tasks` at once), sealed, and
 * switched over; its progress is summed over the partitions, each shown with its state, bytes and attempts,
 * and its copy tasks run with the migration's copy_concurrency (issue 15, item 5).
 */
describe('A partitioned migration', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    // Slow enough (8 MiB/s a task) that the partitions are seen copying.
    t = await startTestRuntime({ copyBytesPerSecond: 8 * 1024 * 1024 });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('copies the tree exactly, with its progress summed over the partitions and each partition shown', { timeout: 240_000 }, async () => {
    // Prepare: folders big and small, one folder of many files (split by name), data to copy
    const share = await t.client.createShare({ name: 'partitioned', onlyHost: 'local@alpha#default' });
    const source = await t.client.exportPath(share.id);
    await fillSampleTree(source, 30);
    await mkdir(path.join(source, 'many'));
    for (let i = 0; i < 600; i++) await writeFile(path.join(source, 'many', `f-${String(i).padStart(4, '0')}`), `entry ${i}\n`);
    for (const folder of ['a', 'b', 'c', 'd']) {
      await mkdir(path.join(source, 'tree', folder, 'sub'), { recursive: true });
      await writeFile(path.join(source, 'tree', folder, 'sub', 'data.bin'), Buffer.alloc(6 * 1024 * 1024, folder.charCodeAt(0)));
      await utimes(path.join(source, 'tree', folder), new Date('2021-05-06T07:08:09Z'), new Date('2021-05-06T07:08:09Z'));
    }
    await utimes(path.join(source, 'many'), new Date('2022-01-01T00:00:00Z'), new Date('2022-01-01T00:00:00Z'));
    const tree = await describeTree(source);

    // Act
    const started = await t.client.startMigration(share.id, 'local@beta#default', { auto_complete: true, partitions: 4, max_copy_tasks: 2, copy_concurrency: 3 });
    expect(started.status).toBe(202);
    const copying = await until('the partitions copying', async () => {
      const [migration] = await t.client.migrations(share.id);
      return migration?.partitions?.details?.some((p: { state: string }) => p.state === 'copying') ? migration : undefined;
    }, 120_000, 200);
    // The migration's copy_concurrency reaches its copy tasks (its task definition's environment).
    const sized = await until('a partition task with the migration\'s concurrency', () => processWithEnvironment([`SMIG_MIGRATION_ID=${copying.id}`, 'SMIG_COPY_CONCURRENCY=3']), 60_000, 100);
    const after = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error', 'migration_cancelled'], 200_000);

    // Assess
    expect(after).toMatchObject({ task_state: 'migration_success', host: 'local@beta#default' });
    expect(await describeTree(await t.client.exportPath(share.id))).toEqual(tree);
    // While copying: the plan's partitions, the sum over them, at most max_copy_tasks copying at once.
    expect(sized).toBeGreaterThan(0);
    expect(copying.partitions.count).toBe(4);
    expect(copying.partitions.totals.entries).toBeGreaterThan(600);
    expect(copying.partitions.details.filter((p: { state: string }) => p.state === 'copying').length).toBeLessThanOrEqual(2);
    expect(copying.progress).toMatchObject({ pass: 'bulk', phase: 'copying' });
    expect(copying.progress.bytes_total).toBeGreaterThan(24 * 1024 * 1024);
    // Once done: every partition done in the final pass, each pass recorded once on the migration (by the seal).
    const [done] = await t.client.migrations(share.id);
    expect(done.partitions.details.map((p: { state: string; pass: string }) => [p.state, p.pass])).toEqual(Array.from({ length: 4 }, () => ['done', 'final']));
    expect(done.copies.map((c: { pass: string }) => c.pass)).toEqual(['bulk', 'final']);
    expect(done.copies[0].bytes).toBeGreaterThan(24 * 1024 * 1024);
  });

  it('refuses a partitions count out of range with a 400 in Manila\'s shape, and starts nothing', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'refused', onlyHost: 'local@alpha#default' });

    // Act
    const refused = await t.client.startMigration(share.id, 'local@beta#default', { partitions: 0 });
    const tooMany = await t.client.startMigration(share.id, 'local@beta#default', { max_copy_tasks: 1001 });

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ badRequest: { code: 400, message: `Invalid partitions 0: a whole number from 1 to 1000. (share ${share.id})` } });
    expect(tooMany.status).toBe(400);
    expect(await t.client.migrations(share.id)).toEqual([]);
  });
});
