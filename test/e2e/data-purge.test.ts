import { access, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withPendingPurge } from '../../lambdas/core/purges/data-purges.ts';
import { updateVersioned } from '../../lambdas/core/versioned-update.ts';
import { createLogger } from '../../lambdas/handlers/logger.ts';
import { resumeUnfinishedPurges } from '../../local/resume.ts';
import { fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { mountSmallPool, SMALL_POOL_INODES, type SmallPool } from './small-pool.ts';
import { until as poll } from '../support/until.ts';

/** Data purges run in the background: 30 s, polled every 100 ms. */
const until = <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => poll(what, probe, 30_000, 100);

const isRoot = process.getuid?.() === 0;

async function gone(folder: string): Promise<boolean> {
  return access(folder).then(() => false, () => true);
}

/**
 * What a deleted instance leaves on its backend (an EFS access point's folder) is purged by the purge task:
 * after a cutover (the source), after a cleanup (the destination), and after a share's deletion. The
 * `leaky` backend leaves its instances' data as EFS does (faults.leave_data_on_delete); the purge task runs
 * as a child process, as the ECS purge state runs it on AWS.
 */
describe('Workflow: the data deleted instances leave is purged', () => {
  let t: TestRuntime;
  let dataDir: string;
  const leftovers = () => path.join(dataDir, 'leaky', '.leftover', 'shares');

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-purge-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'beta', root: path.join(dataDir, 'beta'), pools: [{ name: 'default' }] },
          { backend: 'leaky', root: path.join(dataDir, 'leaky'), pools: [{ name: 'default' }], faults: { leave_data_on_delete: true } },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it("purges the migrated source's leftovers after the cutover, and records where they were", async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'purged-source', onlyHost: 'local@leaky#default' });
    await fillSampleTree(await t.client.exportPath(share.id), 3);

    // Act
    expect((await t.client.startMigration(share.id, 'local@beta#default', { auto_complete: true })).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);
    const migration = await until('the purge to be recorded', async () => {
      const [latest] = await t.client.migrations(share.id);
      return latest.purges?.[0]?.status === 'purged' ? latest : undefined;
    });

    // Assess
    expect(migration.task_state).toBe('migration_success');
    expect(migration.purges).toEqual([{
      instance: expect.objectContaining({ id: migration.source_instance_id, host: 'local@leaky#default' }),
      status: 'purged',
      location: expect.stringContaining(`shares/share-${migration.source_instance_id}`),
      error: null,
      updated_at: expect.any(String),
    }]);
    expect(await gone(path.join(leftovers(), `share-${migration.source_instance_id}`))).toBe(true);
  });

  it('a deleted share whose instance left data is purged by the execution the API starts, then its record goes', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'deleted', onlyHost: 'local@leaky#default' });
    await fillSampleTree(await t.client.exportPath(share.id), 2);
    const instanceId = (await t.runtime.composition.migrationDeps.shares.get(share.id))!.active_instance_id;

    // Act
    expect((await t.client.request('DELETE', `/shares/${share.id}`)).status).toBe(202);
    await until('the share record to go', async () => ((await t.client.request('GET', `/shares/${share.id}`)).status === 404 ? true : undefined));

    // Assess
    expect(await gone(path.join(leftovers(), `share-${instanceId}`))).toBe(true);
    expect(await readdir(leftovers())).not.toContain(`share-${instanceId}`);
  });

  it('at start, resumes the purge of a deleted share that a stopped runtime left deleting', async () => {
    // Prepare: the share's instance deleted and its data left, as a DELETE does, but no purge execution ran
    const deps = t.runtime.composition.migrationDeps;
    const share = await t.client.createShare({ name: 'resumed-purge', onlyHost: 'local@leaky#default' });
    await fillSampleTree(await t.client.exportPath(share.id), 2);
    const record = (await deps.shares.get(share.id))!;
    const instance = record.instances[0]!;
    await deps.drivers.forHost(instance.host).deleteInstance(instance);
    await updateVersioned(deps.shares, share.id, (s) => ({ ...s, status: 'deleting' as const, purges: withPendingPurge(s.purges, instance, new Date().toISOString())! }), { shareId: share.id });

    // Act
    const resumed = await resumeUnfinishedPurges(deps, t.runtime.workflow, createLogger('test-resume'));
    await until('the share record to go', async () => ((await t.client.request('GET', `/shares/${share.id}`)).status === 404 ? true : undefined));

    // Assess
    expect(resumed).toEqual([share.id]);
    expect(await gone(path.join(leftovers(), `share-${instance.id}`))).toBe(true);
  });
});

/**
 * A migration that fails for a reason a user meets, the destination filling up: the `tight` backend leaves
 * its instances' data as `leaky` does, on a tmpfs mounted by the test (root only) with room for the bytes
 * but only SMALL_POOL_INODES entries, so the bulk copy fails with ENOSPC part way through the tree.
 */
describe.runIf(isRoot)('Workflow: the data a failed migration\'s deleted destination leaves is purged', () => {
  let t: TestRuntime;
  let pool: SmallPool;
  const leftovers = () => path.join(pool.root, '.leftover', 'shares');

  beforeAll(async () => {
    pool = await mountSmallPool();
    // Where the leaky fault moves a deleted instance's data; made now, as the full pool has no inode for it then.
    await mkdir(leftovers(), { recursive: true });
    t = await startTestRuntime({
      backends: {
        backends: [
          { backend: 'beta', root: path.join(pool.scratch, 'beta'), pools: [{ name: 'default' }] },
          { backend: 'tight', root: pool.root, pools: [{ name: 'default' }], faults: { leave_data_on_delete: true } },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
    await pool?.unmount();
  });

  it("purges a failed migration's destination leftovers after the cleanup", async () => {
    // Prepare: more entries than the destination has inodes
    const share = await t.client.createShare({ name: 'purged-destination', onlyHost: 'local@beta#default' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 2 * SMALL_POOL_INODES);

    // Act
    expect((await t.client.startMigration(share.id, 'local@tight#default', { auto_complete: true })).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['migration_error', 'migration_success']);
    const migration = await until('the purge to be recorded', async () => {
      const [latest] = await t.client.migrations(share.id);
      return latest.purges?.[0]?.status === 'purged' ? latest : undefined;
    });

    // Assess
    expect(migration).toMatchObject({ task_state: 'migration_error', cleanup_progress: { destination_deleted: true } });
    expect(migration.error.cause).toMatch(/^bulk copy failed: .*ENOSPC: no space left on device/);
    expect(migration.purges).toEqual([expect.objectContaining({ instance: expect.objectContaining({ id: migration.destination_instance_id }), status: 'purged' })]);
    expect(await gone(path.join(leftovers(), `share-${migration.destination_instance_id}`))).toBe(true);
  });
});
