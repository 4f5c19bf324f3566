import { access, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

describe('migration_cancel in each cancellable phase', () => {
  let t: TestRuntime;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-cancel-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          // A slow array: each poll of its native migration takes a while, long enough to cancel during it.
          { backend: 'slow', root: path.join(dataDir, 'slow'), pools: [{ name: 'a' }, { name: 'b' }], faults: { delay_ms: { migrationContinue: 1500 } } },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('during the driver-assisted phase 1: the driver undoes its work, the source is as it was', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'cancel-driver', onlyHost: 'local@slow#a' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 6);
    await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.2.0.0/16', access_level: 'ro' } });
    const tree = await describeTree(sourcePath);
    const rules = (await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list;

    // Act
    expect((await t.client.startMigration(share.id, 'local@slow#b')).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['migration_driver_in_progress']);
    expect((await t.client.action(share.id, { migration_cancel: null })).status).toBe(202);
    const after = await t.client.waitForTaskState(share.id, ['migration_cancelled', 'migration_error', 'migration_success']);

    // Assess
    expect(after).toMatchObject({ task_state: 'migration_cancelled', status: 'available', host: 'local@slow#a' });
    expect(await t.client.exportPath(share.id)).toBe(sourcePath);
    expect(await describeTree(sourcePath)).toEqual(tree);
    expect((await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list).toEqual(rules);
    const [migration] = await t.client.migrations(share.id);
    expect(migration.mechanism).toBe('driver_assisted');
    await expect(access(path.join(dataDir, 'slow', '.migrations', `${migration.destination_instance_id}.json`))).rejects.toThrow();
  });

  it('is refused once the switchover has begun, and after the end', async () => {
    const share = await t.client.createShare({ name: 'cancel-late', onlyHost: 'local@slow#a' });
    expect((await t.client.startMigration(share.id, 'local@slow#b', { auto_complete: true })).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);
    const res = await t.client.action(share.id, { migration_cancel: null });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/not being migrated/);
  });
});

describe('migration_cancel during the bulk copy', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    // A slow copy (1 MiB/s, as an operator caps it to spare users) so the cancel lands while it runs.
    t = await startTestRuntime({ copyBytesPerSecond: 1024 * 1024 });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('stops the copy task, removes the destination, and leaves the source and its rules exactly as they were', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'cancel-copy', onlyHost: 'local@alpha#default' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 6);
    await writeFile(path.join(sourcePath, 'large-enough.bin'), Buffer.alloc(20 * 1024 * 1024, 3));
    await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.3.0.0/16', access_level: 'rw' } });
    const tree = await describeTree(sourcePath);
    const rules = (await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list;

    // Act: cancel once the copy task has reported progress (it is running)
    expect((await t.client.startMigration(share.id, 'local@beta#default')).status).toBe(202);
    let copying: any;
    for (let i = 0; i < 200; i++) {
      copying = (await t.client.migrations(share.id))[0];
      if (copying?.copy_task_id && copying.progress?.pass === 'bulk') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await t.client.action(share.id, { migration_cancel: null })).status).toBe(202);
    const after = await t.client.waitForTaskState(share.id, ['migration_cancelled', 'migration_error', 'migration_success']);

    // Assess
    expect(copying.task_state).toBe('data_copying_in_progress');
    expect(after).toMatchObject({ task_state: 'migration_cancelled', status: 'available', host: 'local@alpha#default' });
    const [migration] = await t.client.migrations(share.id);
    expect(migration.copies).toEqual([]);
    expect(migration.history.map((h: any) => h.task_state)).toContain('data_copying_in_progress');
    expect(await describeTree(sourcePath)).toEqual(tree);
    expect((await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list).toEqual(rules);
    await expect(access(path.join(t.dataDir, 'backends', 'beta', 'default', `share-${migration.destination_instance_id}`))).rejects.toThrow();
  });
});
