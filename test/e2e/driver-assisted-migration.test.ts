import { access } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

describe('Driver-assisted migration: two pools of one backend on one file system', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-driver-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'gamma', root: path.join(dataDir, 'gamma'), pools: [{ name: 'fast' }, { name: 'slow' }] },
          { backend: 'delta', root: path.join(dataDir, 'delta'), pools: [{ name: 'default' }] },
          // An array whose switchover acts, then its answer is lost: the share's folder has moved.
          { backend: 'lossy', root: path.join(dataDir, 'lossy'), pools: [{ name: 'a' }, { name: 'b' }], faults: { fail_after: { migrationComplete: 'answer lost after the switch' } } },
          // An array whose switchover commits, then fails: it refuses to undo a committed switch.
          { backend: 'committing', root: path.join(dataDir, 'committing'), pools: [{ name: 'a' }, { name: 'b' }], faults: { commit_on_complete: true, fail: { migrationComplete: 'destination unreachable after failover' } } },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('moves the instance with a rename, auto-completing, and keeps every byte and bit', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'rename-me', onlyHost: 'local@gamma#fast' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath);
    const before = await describeTree(sourcePath);
    await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.9.0.0/16', access_level: 'rw' } });

    // Act
    const start = await t.client.startMigration(share.id, 'local@gamma#slow', { auto_complete: true });
    expect(start.status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done).toMatchObject({ task_state: 'migration_success', status: 'available', host: 'local@gamma#slow' });
    const destinationPath = await t.client.exportPath(share.id);
    expect(destinationPath).toContain(path.join('gamma', 'slow'));
    expect(await describeTree(destinationPath)).toEqual(before);
    await expect(access(sourcePath)).rejects.toThrow();
    const [migration] = await t.client.migrations(share.id);
    expect(migration.mechanism).toBe('driver_assisted');
    expect(migration.copies).toEqual([]);
    expect(migration.history.map((h: any) => h.task_state)).toEqual([
      'migration_starting', 'migration_in_progress', 'migration_driver_starting', 'migration_driver_in_progress',
      'migration_driver_phase1_done', 'migration_completing', 'migration_success',
    ]);
    const rules = await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`);
    expect(rules.access_list.map((r: any) => r.access_to)).toEqual(['10.9.0.0/16']);
  });

  it('a failed switchover is undone by the driver: the source is back, with its data and writable rules, and the share available', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'lost-answer', onlyHost: 'local@lossy#a' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 6);
    const tree = await describeTree(sourcePath);
    await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.8.0.0/16', access_level: 'rw' } });
    const rules = (await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list;

    // Act
    expect((await t.client.startMigration(share.id, 'local@lossy#b', { auto_complete: true })).status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess: the driver was asked to undo its switch (here: the folder renamed back), not left as it was
    expect(done).toMatchObject({ task_state: 'migration_error', status: 'available', host: 'local@lossy#a' });
    expect(await t.client.exportPath(share.id)).toBe(sourcePath);
    expect(await describeTree(sourcePath)).toEqual(tree);
    expect((await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list).toEqual(rules);
    const [migration] = await t.client.migrations(share.id);
    expect(migration.history.map((h: any) => h.task_state)).toContain('migration_completing');
    expect(migration.error.cause).toMatch(/answer lost after the switch/);
    expect(migration.error.cause).not.toMatch(/nothing was deleted/);
    expect(migration.cleanup_progress).toEqual({ driver_cancelled: true, driver_committed: false, destination_deleted: true, source_restored: true });
    await expect(access(path.join(t.dataDir, 'lossy', '.migrations', `${migration.destination_instance_id}.json`))).rejects.toThrow();
    await expect(access(path.join(t.dataDir, 'lossy', 'b', `share-${migration.destination_instance_id}`))).rejects.toThrow();
  });

  it('a switchover the driver has committed keeps both instances and says so, with the source writable again and the share available', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'committed', onlyHost: 'local@committing#a' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 6);
    const tree = await describeTree(sourcePath);
    await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.7.0.0/16', access_level: 'rw' } });
    const rules = (await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list;

    // Act
    expect((await t.client.startMigration(share.id, 'local@committing#b', { auto_complete: true })).status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done).toMatchObject({ task_state: 'migration_error', status: 'available', host: 'local@committing#a' });
    expect(await describeTree(sourcePath)).toEqual(tree);
    expect((await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list).toEqual(rules);
    const [migration] = await t.client.migrations(share.id);
    expect(migration.error.cause).toMatch(/destination unreachable after failover/);
    expect(migration.error.cause).toContain(
      `the switch to destination instance ${migration.destination_instance_id} on local@committing#b is committed: both instances are kept, nothing was deleted`,
    );
    expect(migration.cleanup_progress).toEqual({ driver_cancelled: false, driver_committed: true, destination_deleted: false, source_restored: true });
    // Nothing of the driver's migration was undone (its marker stays).
    await access(path.join(t.dataDir, 'committing', '.migrations', `${migration.destination_instance_id}.json`));
  });

  it('takes the host-assisted path to another backend, because the driver says it cannot', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'copy-me', onlyHost: 'local@gamma#fast' });
    await fillSampleTree(await t.client.exportPath(share.id), 5);

    // Act
    expect((await t.client.startMigration(share.id, 'local@delta#default', { auto_complete: true })).status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done.task_state).toBe('migration_success');
    const [migration] = await t.client.migrations(share.id);
    expect(migration.mechanism).toBe('host_assisted');
    expect(migration.mechanism_reason).toMatch(/different backend/);
  });
});
