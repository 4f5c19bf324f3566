import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOriginalModes } from '../../lambdas/drivers/local/index.ts';
import { describeTree, fillSampleTree, type TreeEntry } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

const ALPHA = 'local@alpha#default';
const BETA = 'local@beta#default';

type Tree = Record<string, TreeEntry>;

/**
 * A snapshot's contents as the share had them: its data folder, with the modes its read-only mode
 * recorded. The local driver keeps a snapshot at `<instance folder>/<provider_location>/data`, and the
 * instance folder is the export path's parent.
 */
async function snapshotContents(exportPath: string, providerLocation: string): Promise<Tree> {
  const dir = path.join(path.dirname(exportPath), providerLocation);
  const tree = await describeTree(path.join(dir, 'data'));
  const originals = await readOriginalModes(path.join(dir, 'readonly-modes.json'));
  return Object.fromEntries(Object.entries(tree).map(([rel, entry]) => [rel, { ...entry, mode: originals.get(Buffer.from(rel).toString('latin1')) ?? entry.mode }]));
}

describe('Snapshots through the HTTP API, and their replay by the host-assisted migration', () => {
  let t: TestRuntime;
  let flakyRoot: string;

  beforeAll(async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-snapshots-'));
    const backend = (name: string, pools: string[]) => ({ backend: name, root: path.join(dataDir, 'backends', name), pools: pools.map((p) => ({ name: p })), snapshot_support: true });
    const flaky = { ...backend('flaky', ['default']), faults: { fail: { createSnapshot: 'snapshot pool full' } } };
    t = await startTestRuntime({ dataDir, backends: { backends: [backend('alpha', ['default']), backend('beta', ['default']), backend('gamma', ['fast', 'slow']), flaky] } });
    flakyRoot = flaky.root;
    await t.client.expect(200, 'POST', '/types', {
      share_type: { name: 'snappy', extra_specs: { driver_handles_share_servers: false, snapshot_support: true } },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  const createSnapshot = async (shareId: string, name: string, description: string | null = null) =>
    (await t.client.expect(202, 'POST', '/snapshots', { snapshot: { share_id: shareId, name, description, force: false } })).snapshot;

  it('creates, lists, shows and deletes snapshots in Manila shapes; a share with snapshots cannot be deleted', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'snap-api', onlyHost: ALPHA, shareType: 'snappy' });
    await writeFile(path.join(await t.client.exportPath(share.id), 'f.txt'), 'hello');

    // Act
    const created = await createSnapshot(share.id, 'nightly', 'before the upgrade');
    const listed = await t.client.expect(200, 'GET', `/snapshots?share_id=${share.id}`);
    const detailed = await t.client.expect(200, 'GET', '/snapshots/detail');
    const shown = await t.client.expect(200, 'GET', `/snapshots/${created.id}`);
    const refusedShareDelete = await t.client.request('DELETE', `/shares/${share.id}`);

    // Assess
    expect(created).toMatchObject({
      id: expect.any(String), share_id: share.id, name: 'nightly', description: 'before the upgrade', status: 'available',
      size: 1, share_size: 1, share_proto: 'NFS', provider_location: expect.stringMatching(/^snapshots\//),
      project_id: expect.any(String), user_id: expect.any(String),
    });
    expect(listed.snapshots).toEqual([{ id: created.id, name: 'nightly', links: expect.any(Array) }]);
    expect(detailed.snapshots.map((s: any) => s.id)).toContain(created.id);
    expect(shown.snapshot).toEqual(created);
    expect(refusedShareDelete.status).toBe(403);
    expect(refusedShareDelete.body.forbidden.message).toMatch(/^Invalid share: Share still has 1 dependent snapshots\./);

    // Act: the snapshot first, then the share
    await t.client.expect(202, 'DELETE', `/snapshots/${created.id}`);
    expect((await t.client.request('GET', `/snapshots/${created.id}`)).status).toBe(404);
    await t.client.expect(202, 'DELETE', `/shares/${share.id}`);
  });

  it('refuses a snapshot of a share whose type lacks snapshot_support (422), as Manila does', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'no-snaps', onlyHost: ALPHA });

    // Act
    const res = await t.client.request('POST', '/snapshots', { snapshot: { share_id: share.id, name: 'x' } });

    // Assess
    expect(res.status).toBe(422);
    expect(res.body.computeFault.message).toBe(`Snapshots cannot be created for share '${share.id}' since it does not have that capability.`);
  });

  it('migrates a share with snapshots to beta: the destination has each snapshot (name, time, contents) and the live data', async () => {
    // Prepare: v1, snapshot s1, change (add, modify, delete, chmod), snapshot s2, change again
    const share = await t.client.createShare({ name: 'snap-move', onlyHost: ALPHA, shareType: 'snappy' });
    const source = await t.client.exportPath(share.id);
    await fillSampleTree(source, 10);
    const v1 = await describeTree(source);
    const s1 = await createSnapshot(share.id, 's1', 'first');
    await writeFile(path.join(source, 'added-after-s1.txt'), 'new in v2\n');
    await writeFile(path.join(source, 'docs/file-0.txt'), 'modified in v2\n');
    await rm(path.join(source, 'docs/deep/file-1.txt'));
    await chmod(path.join(source, 'secret'), 0o640);
    const v2 = await describeTree(source);
    const s2 = await createSnapshot(share.id, 's2', null);
    await mkdir(path.join(source, 'made-after-s2'));
    await writeFile(path.join(source, 'made-after-s2/x'), 'v3');
    await writeFile(path.join(source, 'docs/file-2.txt'), 'modified in v3\n');
    await rm(path.join(source, 'added-after-s1.txt'));
    const live = await describeTree(source);
    expect(v1).not.toEqual(v2);
    expect(v2).not.toEqual(live);

    // Act
    const start = await t.client.startMigration(share.id, BETA, { preserve_snapshots: true });
    expect(start.status).toBe(202);
    await t.client.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);
    const phase1 = await t.client.progress(share.id);
    const refusedSnapshot = await t.client.request('POST', '/snapshots', { snapshot: { share_id: share.id, name: 'during' } });
    const refusedDelete = await t.client.request('DELETE', `/snapshots/${s1.id}`);
    await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess: the migration
    expect(phase1).toMatchObject({ task_state: 'data_copying_completed', details: { snapshot_replay: { replayed: 2, total: 2, snapshot_id: null } } });
    expect(refusedSnapshot.status).toBe(400);
    expect(refusedSnapshot.body.badRequest.message).toMatch(/^Share is busy with an active task: Share .* is busy as part of an active task: data_copying_completed\./);
    expect(refusedDelete.status).toBe(400);
    expect(done).toMatchObject({ task_state: 'migration_success', status: 'available', host: BETA });
    const [migration] = await t.client.migrations(share.id);
    expect(migration).toMatchObject({ mechanism: 'host_assisted', options: { preserve_snapshots: true } });
    // Two snapshot replays, the live data, the final delta.
    expect(migration.copies.map((c: any) => [c.pass, c.verified])).toEqual([['bulk', true], ['bulk', true], ['bulk', true], ['final', true]]);

    // Assess: the destination
    const destination = await t.client.exportPath(share.id);
    expect(path.dirname(destination)).toContain(path.join('backends', 'beta'));
    expect(await describeTree(destination)).toEqual(live);
    const after = (await t.client.expect(200, 'GET', `/snapshots/detail?share_id=${share.id}&sort_key=created_at&sort_dir=asc`)).snapshots;
    expect(after.map((s: any) => [s.id, s.name, s.description, s.created_at, s.status])).toEqual([
      [s1.id, 's1', 'first', s1.created_at, 'available'],
      [s2.id, 's2', null, s2.created_at, 'available'],
    ]);
    expect(await snapshotContents(destination, after[0].provider_location)).toEqual(v1);
    expect(await snapshotContents(destination, after[1].provider_location)).toEqual(v2);
    // The source instance, its snapshots with it, is gone.
    await expect(access(path.dirname(source))).rejects.toThrow();
  });

  it('takes the snapshots along on the driver-assisted rename', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'snap-rename', onlyHost: 'local@gamma#fast', shareType: 'snappy' });
    const source = await t.client.exportPath(share.id);
    await fillSampleTree(source, 4);
    const v1 = await describeTree(source);
    const s1 = await createSnapshot(share.id, 'before-move');
    await writeFile(path.join(source, 'later.txt'), 'after the snapshot');

    // Act
    await t.client.startMigration(share.id, 'local@gamma#slow', { preserve_snapshots: true, auto_complete: true });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done).toMatchObject({ task_state: 'migration_success', host: 'local@gamma#slow' });
    const [migration] = await t.client.migrations(share.id);
    expect(migration.mechanism).toBe('driver_assisted');
    const shown = (await t.client.expect(200, 'GET', `/snapshots/${s1.id}`)).snapshot;
    expect(shown).toMatchObject({ name: 'before-move', created_at: s1.created_at, status: 'available' });
    expect(await snapshotContents(await t.client.exportPath(share.id), shown.provider_location)).toEqual(v1);
  });

  it('keeps them when the host-assisted path is forced', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'snap-forced', onlyHost: BETA, shareType: 'snappy' });
    const source = await t.client.exportPath(share.id);
    await fillSampleTree(source, 4);
    const v1 = await describeTree(source);
    const s1 = await createSnapshot(share.id, 'only');

    // Act: force_host_assisted_migration with preserve_snapshots is no longer a contradiction
    const start = await t.client.startMigration(share.id, ALPHA, { preserve_snapshots: true, force_host_assisted_migration: true, auto_complete: true });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(start.status).toBe(202);
    expect(done.task_state).toBe('migration_success');
    const shown = (await t.client.expect(200, 'GET', `/snapshots/${s1.id}`)).snapshot;
    expect(shown).toMatchObject({ name: 'only', created_at: s1.created_at, status: 'available' });
    expect(await snapshotContents(await t.client.exportPath(share.id), shown.provider_location)).toEqual(v1);
  });

  it('a replay that fails cleans up: the destination and its snapshot copies are gone, the source keeps its snapshots', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'snap-fail', onlyHost: ALPHA, shareType: 'snappy' });
    const source = await t.client.exportPath(share.id);
    await fillSampleTree(source, 4);
    const v1 = await describeTree(source);
    const s1 = await createSnapshot(share.id, 'keep-me');

    // Act
    await t.client.startMigration(share.id, 'local@flaky#default', { preserve_snapshots: true, auto_complete: true });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done).toMatchObject({ task_state: 'migration_error', status: 'available', host: ALPHA });
    const [migration] = await t.client.migrations(share.id);
    expect(migration.error.cause).toMatch(/snapshot pool full/);
    const shown = (await t.client.expect(200, 'GET', `/snapshots/${s1.id}`)).snapshot;
    expect(shown).toMatchObject({ status: 'available', provider_location: s1.provider_location });
    expect(await snapshotContents(source, shown.provider_location)).toEqual(v1);
    await expect(access(path.join(flakyRoot, 'default', `share-${migration.destination_instance_id}`))).rejects.toThrow();
  });
});
