import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * preserve_metadata against what the destination pool says it keeps (metadata_preserved): a pool that
 * would lose what every share holds (here owners, as an EFS access point with a POSIX user does) is
 * refused at migration_start; one that keeps no extended attributes or ACLs (as EFS) is accepted, the
 * share's content deciding; with preserve_metadata=False nothing is refused.
 */
describe('migration_start with preserve_metadata', () => {
  let t: TestRuntime;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-metadata-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'full', root: path.join(dataDir, 'full'), pools: [{ name: 'default' }] },
          { backend: 'efslike', root: path.join(dataDir, 'efslike'), pools: [{ name: 'default' }], metadata_preserved: ['modes', 'owners', 'times'] },
          { backend: 'ownerless', root: path.join(dataDir, 'ownerless'), pools: [{ name: 'default' }], metadata_preserved: ['modes', 'times'] },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  async function shareWithData() {
    const share = await t.client.createShare({ name: 'data', onlyHost: 'local@full#default' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 6);
    return { share, sourcePath, tree: await describeTree(sourcePath) };
  }

  it('pools report what metadata they keep', async () => {
    // Act
    const { pools } = await t.client.expect(200, 'GET', '/scheduler-stats/pools/detail');

    // Assess
    const kept = Object.fromEntries(pools.map((pool: any) => [pool.name, pool.capabilities.metadata_preserved]));
    expect(kept).toEqual({
      'local@full#default': ['modes', 'owners', 'times', 'xattrs', 'acls'],
      'local@efslike#default': ['modes', 'owners', 'times'],
      'local@ownerless#default': ['modes', 'times'],
    });
  });

  it('refuses a destination that keeps no owners with a 400 naming the share and what it would lose, changing nothing', async () => {
    // Prepare
    const { share, sourcePath, tree } = await shareWithData();

    // Act
    const res = await t.client.startMigration(share.id, 'local@ownerless#default', { preserve_metadata: true });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      badRequest: {
        code: 400,
        message:
          'The share cannot be migrated to local@ownerless#default with preserve_metadata=True: the destination would lose ' +
          'owners (it does not keep owners). Choose a pool that keeps them, or start the migration with preserve_metadata=False ' +
          `to accept the loss. (share ${share.id})`,
      },
    });
    expect(await t.client.migrations(share.id)).toEqual([]);
    expect(await t.client.share(share.id)).toMatchObject({ status: 'available', task_state: null, host: 'local@full#default' });
    expect(await readdir(path.join(dataDir, 'ownerless', 'default')).catch(() => [])).toEqual([]);
    expect(await describeTree(sourcePath)).toEqual(tree);
  });

  it('moves the share to that destination with preserve_metadata=False', async () => {
    // Prepare
    const { share, tree } = await shareWithData();

    // Act
    const res = await t.client.startMigration(share.id, 'local@ownerless#default', { preserve_metadata: false, auto_complete: true });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(res.status).toBe(202);
    expect(done).toMatchObject({ task_state: 'migration_success', host: 'local@ownerless#default' });
    expect(await describeTree(await t.client.exportPath(share.id))).toEqual(tree);
  });

  it('accepts a destination that keeps no extended attributes or ACLs: the share\'s content decides', async () => {
    // Prepare
    const { share, tree } = await shareWithData();

    // Act
    const res = await t.client.startMigration(share.id, 'local@efslike#default', { preserve_metadata: true, auto_complete: true });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(res.status).toBe(202);
    expect(done).toMatchObject({ task_state: 'migration_success', host: 'local@efslike#default' });
    expect(await describeTree(await t.client.exportPath(share.id))).toEqual(tree);
  });
});
