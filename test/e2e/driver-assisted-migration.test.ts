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
