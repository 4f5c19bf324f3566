import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * A retype migrates with preserve_metadata=True, so its destination must keep the metadata every share
 * holds: a candidate pool that would lose owners is passed over for the next, and when none is left the
 * answer says why of each.
 */
describe('Retype through migration, against what the candidate pools keep', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-retype-metadata-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'full', root: path.join(dataDir, 'full'), pools: [{ name: 'default' }] },
          // Weighed first (more free capacity), but it keeps no owners, as an EFS access point with a POSIX user.
          { backend: 'ownerless', root: path.join(dataDir, 'ownerless'), share_backend_name: 'gold', pools: [{ name: 'default', total_capacity_gb: 20 }], metadata_preserved: ['modes', 'times'] },
          { backend: 'keeping', root: path.join(dataDir, 'keeping'), share_backend_name: 'gold', pools: [{ name: 'default', total_capacity_gb: 10 }] },
          { backend: 'bare', root: path.join(dataDir, 'bare'), share_backend_name: 'bronze', pools: [{ name: 'default' }], metadata_preserved: ['modes', 'times'] },
        ],
      },
    });
    for (const name of ['gold', 'bronze']) {
      await t.client.expect(200, 'POST', '/types', { share_type: { name, extra_specs: { driver_handles_share_servers: 'False', share_backend_name: name } } });
    }
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('passes over the best weighed pool when it would lose owners, and migrates to the next', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'to-gold', onlyHost: 'local@full#default' });
    await fillSampleTree(await t.client.exportPath(share.id), 4);
    const tree = await describeTree(await t.client.exportPath(share.id));

    // Act
    const res = await t.client.action(share.id, { retype: { new_share_type: 'gold', auto_complete: true } });
    expect(res.body?.badRequest).toBeUndefined();
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(res.status).toBe(202);
    expect(res.body.retype).toMatchObject({ destination_host: 'local@keeping#default' });
    expect(done).toMatchObject({ task_state: 'migration_success', host: 'local@keeping#default' });
    expect(await describeTree(await t.client.exportPath(share.id))).toEqual(tree);
  });

  it('refuses with a 400 saying why of each pool when none can keep the share\'s metadata, changing nothing', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'to-bronze', onlyHost: 'local@full#default' });

    // Act
    const res = await t.client.action(share.id, { retype: { new_share_type: 'bronze' } });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toMatch(
      /^No pool can hold share type bronze: local@bare#default: would lose owners \(it does not keep owners\), which a retype preserves; local@full#default: share_backend_name/,
    );
    expect(res.body.badRequest.message).toContain(`(share ${share.id})`);
    expect(await t.client.migrations(share.id)).toEqual([]);
    expect(await t.client.share(share.id)).toMatchObject({ status: 'available', task_state: null, host: 'local@full#default' });
  });
});
