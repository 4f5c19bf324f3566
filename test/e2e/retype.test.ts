import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

describe('Retype through migration', () => {
  let t: TestRuntime;
  let betaOnly: { id: string; name: string };

  beforeAll(async () => {
    t = await startTestRuntime();
    const body = await t.client.expect(200, 'POST', '/types', {
      share_type: { name: 'beta-only', extra_specs: { driver_handles_share_servers: 'False', share_backend_name: 'beta' } },
    });
    betaOnly = body.share_type;
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('migration_start with new_share_type_id checks the destination against the new type and switches the type at cutover', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'retype-by-start', onlyHost: 'local@alpha#default' });
    await fillSampleTree(await t.client.exportPath(share.id), 5);
    const tree = await describeTree(await t.client.exportPath(share.id));
    const other = await t.client.createShare({ name: 'wrong-pool', onlyHost: 'local@beta#default' });

    // Act: a destination that the new type rules out is refused, changing nothing
    const refused = await t.client.startMigration(other.id, 'local@alpha#default', { new_share_type_id: betaOnly.id });
    expect(refused.status).toBe(400);
    expect(refused.body.badRequest.message).toMatch(/cannot hold share type beta-only: share_backend_name/);
    expect(await t.client.migrations(other.id)).toEqual([]);
    // and one that it allows migrates with the retype
    expect((await t.client.startMigration(share.id, 'local@beta#default', { new_share_type_id: betaOnly.id, auto_complete: true })).status).toBe(202);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done).toMatchObject({ task_state: 'migration_success', host: 'local@beta#default', share_type: betaOnly.id, share_type_name: 'beta-only' });
    expect(await describeTree(await t.client.exportPath(share.id))).toEqual(tree);
  });

  it('the retype action picks the destination pool with the pool filter and migrates', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'retype-action', onlyHost: 'local@alpha#default' });
    await fillSampleTree(await t.client.exportPath(share.id), 5);

    // Act
    const res = await t.client.action(share.id, { retype: { new_share_type: 'beta-only', auto_complete: true } });
    expect(res.status).toBe(202);
    expect(res.body.retype).toMatchObject({ share_type_id: betaOnly.id, destination_host: 'local@beta#default' });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done).toMatchObject({ task_state: 'migration_success', host: 'local@beta#default', share_type: betaOnly.id });
    const [migration] = await t.client.migrations(share.id);
    expect(migration.id).toBe(res.body.retype.migration_id);
    expect(migration.options.new_share_type_id).toBe(betaOnly.id);
  });

  it('only changes the type when the share\'s pool already satisfies it, and refuses a move under migration_policy never', async () => {
    // Prepare
    const anywhere = (await t.client.expect(200, 'POST', '/types', { share_type: { name: 'anywhere', extra_specs: { driver_handles_share_servers: 'False' } } })).share_type;
    const share = await t.client.createShare({ name: 'retype-in-place', onlyHost: 'local@alpha#default' });

    // Act
    const never = await t.client.action(share.id, { retype: { new_share_type: 'beta-only', migration_policy: 'never' } });
    const inPlace = await t.client.action(share.id, { retype: { new_share_type: 'anywhere' } });

    // Assess
    expect(never.status).toBe(400);
    expect(never.body.badRequest.message).toMatch(/migration_policy is never/);
    expect(inPlace.status).toBe(202);
    expect(inPlace.body.retype).toEqual({ share_type_id: anywhere.id, migration_id: null, destination_host: null });
    expect(await t.client.share(share.id)).toMatchObject({ share_type: anywhere.id, host: 'local@alpha#default', status: 'available' });
    expect(await t.client.migrations(share.id)).toEqual([]);
  });
});
