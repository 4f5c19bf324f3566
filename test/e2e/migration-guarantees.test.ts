import { access, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * Which path runs, and when none may: the driver's answer against the requested guarantees, the
 * fallback when the driver fails, and the refusal when only the driver could have given what was asked.
 */
describe('Migration guarantees and the driver-assisted fallback', () => {
  let t: TestRuntime;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-guarantees-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'plain', root: path.join(dataDir, 'plain'), pools: [{ name: 'a' }, { name: 'b' }] },
          { backend: 'other', root: path.join(dataDir, 'other'), pools: [{ name: 'default' }] },
          // The array's replication breaks after it started: the host-assisted path takes over.
          { backend: 'flaky', root: path.join(dataDir, 'flaky'), pools: [{ name: 'a' }, { name: 'b' }], faults: { fail: { migrationContinue: 'replication link down' } } },
          // An array that promises a nondisruptive move, then fails to start it.
          { backend: 'promiser', root: path.join(dataDir, 'promiser'), pools: [{ name: 'a' }, { name: 'b' }], faults: { compatibility: { nondisruptive: true }, fail: { migrationStart: 'no replication license' } } },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  async function shareWithData(host: string) {
    const share = await t.client.createShare({ name: `on-${host}`, onlyHost: host });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 8);
    await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.1.0.0/16', access_level: 'rw' } });
    return { share, sourcePath, tree: await describeTree(sourcePath) };
  }

  it('falls back to the host-assisted path when the driver fails, undoing what the driver started', async () => {
    // Prepare
    const { share, tree } = await shareWithData('local@flaky#a');

    // Act
    expect((await t.client.startMigration(share.id, 'local@flaky#b', { auto_complete: true })).status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done).toMatchObject({ task_state: 'migration_success', host: 'local@flaky#b', status: 'available' });
    expect(await describeTree(await t.client.exportPath(share.id))).toEqual(tree);
    const [migration] = await t.client.migrations(share.id);
    expect(migration.mechanism).toBe('host_assisted');
    expect(migration.mechanism_reason).toMatch(/fell back to host-assisted.*replication link down/);
    const states = migration.history.map((h: any) => h.task_state);
    expect(states).toEqual(expect.arrayContaining(['migration_driver_starting', 'migration_driver_in_progress', 'data_copying_starting', 'migration_success']));
    expect(states.indexOf('data_copying_starting')).toBeGreaterThan(states.indexOf('migration_driver_in_progress'));
    await expect(access(path.join(dataDir, 'flaky', '.migrations', `${migration.destination_instance_id}.json`))).rejects.toThrow();
  });

  it('does not fall back when only the driver could give a requested guarantee: migration_error, source as it was', async () => {
    // Prepare
    const { share, sourcePath, tree } = await shareWithData('local@promiser#a');

    // Act
    const start = await t.client.startMigration(share.id, 'local@promiser#b', { nondisruptive: true, auto_complete: true });
    expect(start.status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done).toMatchObject({ task_state: 'migration_error', host: 'local@promiser#a', status: 'available' });
    expect(await describeTree(sourcePath)).toEqual(tree);
    const [migration] = await t.client.migrations(share.id);
    expect(migration.error.cause).toMatch(/no replication license/);
    expect(migration.error.cause).toMatch(/nondisruptive=True \(the host-assisted path moves the share to a new export/);
    expect(await readdir(path.join(dataDir, 'promiser', 'b')).catch(() => [])).toEqual([]);
  });

  it('fails before creating anything when no path meets a requested guarantee', async () => {
    // Prepare: different backends, so the driver cannot; nondisruptive, so the host-assisted path cannot.
    const { share, sourcePath, tree } = await shareWithData('local@plain#a');

    // Act
    expect((await t.client.startMigration(share.id, 'local@other#default', { nondisruptive: true })).status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_error', 'data_copying_completed']);

    // Assess
    expect(done).toMatchObject({ task_state: 'migration_error', host: 'local@plain#a', status: 'available' });
    const [migration] = await t.client.migrations(share.id);
    expect(migration.history.map((h: any) => h.task_state)).toEqual(['migration_starting', 'migration_in_progress', 'migration_error']);
    expect(migration.error.error).toBe('GuaranteeUnmetError');
    expect(migration.error.cause).toMatch(/Driver-assisted: different backend.*Host-assisted: nondisruptive=True/);
    expect(await readdir(path.join(dataDir, 'other', 'default')).catch(() => [])).toEqual([]);
    expect(await describeTree(sourcePath)).toEqual(tree);
  });

  it('refuses force_host_assisted_migration with nondisruptive at the API, changing nothing', async () => {
    const { share } = await shareWithData('local@plain#a');
    const res = await t.client.startMigration(share.id, 'local@other#default', { force_host_assisted_migration: true, nondisruptive: true });
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toMatch(/force_host_assisted_migration cannot be combined with nondisruptive/);
    expect(await t.client.migrations(share.id)).toEqual([]);
    expect((await t.client.share(share.id))).toMatchObject({ status: 'available', task_state: null });
  });

  it('uses the driver when it meets every requested guarantee', async () => {
    const { share } = await shareWithData('local@plain#a');
    expect((await t.client.startMigration(share.id, 'local@plain#b', { writable: true, preserve_metadata: true, auto_complete: true })).status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);
    expect(done.task_state).toBe('migration_success');
    expect((await t.client.migrations(share.id))[0].mechanism).toBe('driver_assisted');
  });
});
