import { writeFile, access } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { mountSmallPool, SMALL_POOL_INODES, type SmallPool } from './small-pool.ts';

const ALPHA = 'local@alpha#default';
const BETA = 'local@beta#default';
const SMALL = 'local@small#default';
const isRoot = process.getuid?.() === 0;

describe('Host-assisted migration through the HTTP API and the synthesized state machine', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('moves a share from alpha to beta: data, metadata and access rules arrive, the source instance is gone', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'e2e-full', onlyHost: ALPHA });
    expect(share.status).toBe('available');
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath);
    await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.0.0.0/24', access_level: 'rw' } });
    await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.0.1.5', access_level: 'ro' } });
    const before = await describeTree(sourcePath);

    // Act
    const start = await t.client.startMigration(share.id, BETA);
    expect(start.status).toBe(202);
    await t.client.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);
    const phase1 = await t.client.progress(share.id);
    expect(phase1).toMatchObject({ task_state: 'data_copying_completed', total_progress: 100 });
    // Phase 1 leaves the source in place and writable: a write now must arrive through the final delta.
    await writeFile(path.join(sourcePath, 'written-during-phase1.txt'), 'late write\n');
    const expected = await describeTree(sourcePath);
    expect((await t.client.share(share.id)).status).toBe('migrating');
    await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done.task_state).toBe('migration_success');
    expect(done.status).toBe('available');
    expect(done.host).toBe(BETA);
    const destinationPath = await t.client.exportPath(share.id);
    expect(destinationPath).not.toBe(sourcePath);
    expect(await describeTree(destinationPath)).toEqual(expected);
    expect(Object.keys(expected).length).toBeGreaterThan(Object.keys(before).length);
    await expect(access(sourcePath)).rejects.toThrow();
    const rules = await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`);
    expect(rules.access_list.map((r: any) => `${r.access_to}:${r.access_level}`).sort()).toEqual(['10.0.0.0/24:rw', '10.0.1.5:ro']);
    const [migration] = await t.client.migrations(share.id);
    expect(migration).toMatchObject({ mechanism: 'host_assisted', task_state: 'migration_success' });
    expect(migration.copies.map((c: any) => [c.pass, c.verified])).toEqual([['bulk', true], ['final', true]]);
    expect(migration.history.map((h: any) => h.task_state)).toEqual([
      'migration_starting', 'migration_in_progress', 'data_copying_starting', 'data_copying_in_progress',
      'data_copying_completed', 'data_copying_completing', 'migration_completing', 'migration_success',
    ]);
    expect(migration.read_only_since).toBeTruthy();
    expect(migration.read_only_until).toBeTruthy();
  });

  it('a cancel while waiting for migration_complete leaves the source exactly as it was', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'e2e-cancel', onlyHost: ALPHA });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath);
    await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '192.168.7.0/24', access_level: 'rw' } });
    const treeBefore = await describeTree(sourcePath);
    const rulesBefore = (await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list;

    // Act
    expect((await t.client.startMigration(share.id, BETA)).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['data_copying_completed']);
    const [running] = await t.client.migrations(share.id);
    const destinationFolder = await destinationInstanceFolder(t, running.destination_instance_id);
    // While the migration holds the share, its access rules and the share itself cannot change.
    const allow = await t.client.action(share.id, { allow_access: { access_type: 'ip', access_to: '192.168.9.9', access_level: 'rw' } });
    expect(allow.status).toBe(400);
    expect(allow.body.badRequest.message).toMatch(/busy/i);
    const rule = rulesBefore[0];
    expect((await t.client.action(share.id, { deny_access: { access_id: rule.id } })).status).toBe(400);
    expect((await t.client.request('DELETE', `/shares/${share.id}`)).status).toBe(403);
    expect((await t.client.action(share.id, { migration_cancel: null })).status).toBe(202);
    const after = await t.client.waitForTaskState(share.id, ['migration_cancelled', 'migration_error']);

    // Assess
    expect(after).toMatchObject({ task_state: 'migration_cancelled', status: 'available', host: ALPHA });
    expect(await t.client.exportPath(share.id)).toBe(sourcePath);
    expect(await describeTree(sourcePath)).toEqual(treeBefore);
    expect((await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list).toEqual(rulesBefore);
    await expect(access(destinationFolder)).rejects.toThrow();
    // The share is usable again: access rules can change and a new migration may start.
    await t.client.expect(200, 'POST', `/shares/${share.id}/action`, { allow_access: { access_type: 'ip', access_to: '192.168.8.1', access_level: 'ro' } });
  });

  it('refuses a second migration_start while the first holds the share, and changes nothing', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'e2e-race', onlyHost: ALPHA });

    // Act
    const [a, b] = await Promise.all([t.client.startMigration(share.id, BETA), t.client.startMigration(share.id, BETA)]);

    // Assess
    expect([a.status, b.status].sort()).toEqual([202, 400]);
    const loser = a.status === 400 ? a : b;
    expect(JSON.stringify(loser.body)).toMatch(/busy/i);
    expect(await t.client.migrations(share.id)).toHaveLength(1);
    await t.client.waitForTaskState(share.id, ['data_copying_completed']);
    expect((await t.client.action(share.id, { migration_cancel: null })).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['migration_cancelled']);
  });
});

/**
 * A copy that fails for a reason a user meets: the destination fills. Its pool is a tmpfs mounted by the
 * test (root only) with room for the bytes (the scheduler's capacity check passes) but only
 * SMALL_POOL_INODES entries, so the bulk copy runs out of space (ENOSPC) part way through the tree.
 */
describe.runIf(isRoot)('Host-assisted migration to a destination that fills', () => {
  let t: TestRuntime;
  let pool: SmallPool;

  beforeAll(async () => {
    pool = await mountSmallPool();
    t = await startTestRuntime({
      backends: {
        backends: [
          { backend: 'alpha', root: path.join(pool.scratch, 'alpha'), pools: [{ name: 'default' }] },
          { backend: 'small', root: pool.root, pools: [{ name: 'default' }] },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
    await pool?.unmount();
  });

  it('a copy that fails ends in migration_error with the source intact and the destination removed', async () => {
    // Prepare: more entries than the destination has inodes
    const share = await t.client.createShare({ name: 'e2e-fail', onlyHost: ALPHA });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath);
    const treeBefore = await describeTree(sourcePath);
    expect(Object.keys(treeBefore).length).toBeGreaterThan(SMALL_POOL_INODES);

    // Act
    expect((await t.client.startMigration(share.id, SMALL)).status).toBe(202);
    const after = await t.client.waitForTaskState(share.id, ['migration_error', 'data_copying_completed']);

    // Assess
    expect(after).toMatchObject({ task_state: 'migration_error', status: 'available', host: ALPHA });
    expect(await describeTree(sourcePath)).toEqual(treeBefore);
    const [migration] = await t.client.migrations(share.id);
    expect(migration.history.map((h: any) => h.task_state)).toContain('data_copying_in_progress');
    expect(migration.error).toMatchObject({ error: 'CopyFailedError', cause: expect.stringMatching(/^bulk copy failed: .*ENOSPC: no space left on device/) });
    await expect(access(path.join(pool.root, 'default', `share-${migration.destination_instance_id}`))).rejects.toThrow();
    expect((await t.client.share(share.id)).status).toBe('available');
  });
});

async function destinationInstanceFolder(t: TestRuntime, instanceId: string): Promise<string> {
  const backendsRoot = path.join(t.dataDir, 'backends', 'beta', 'default');
  return path.join(backendsRoot, `share-${instanceId}`);
}
