import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManilaClient } from '../../local/manila-client.ts';
import { dataDirWithPeople, tokenOf } from '../identity/identity-fixture.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

const ALPHA = 'local@alpha#default';
const BETA = 'local@beta#default';

/**
 * Quotas of migration_start with new_share_type_id over HTTP on the embedded runtime, as Manila's
 * share/api.py _modify_quotas_for_share_migration takes them: the destination is one more share of its
 * size in the new type (and in the project) while both instances exist; over quota is Manila's 413 and
 * nothing starts. alice (p-alpha) owns the shares, created on alpha (zone nova); beta is in zone-b.
 */
describe('API: quotas of a migration to a new share type', () => {
  let t: TestRuntime;
  let alice: ManilaClient;
  let gold: { id: string };
  let silver: { id: string };
  const GIGABYTES = 'Requested share exceeds allowed project/user or share type gigabytes quota.';
  const shares = (allowed: number) => `Maximum number of shares allowed (${allowed}) either per project/user or share type quota is exceeded.`;
  const overLimit = (message: string) => ({ status: 413, body: { overLimit: { code: 413, message } } });
  const goldShare = async () =>
    (await alice.expect(200, 'POST', '/shares', { share: { share_proto: 'NFS', size: 2, name: 'to-move', share_type: 'gold', availability_zone: 'nova' } })).share;
  const setQuota = (limits: Record<string, number>, shareType?: string) =>
    t.client.expect(200, 'PUT', `/quota-sets/p-alpha${shareType ? `?share_type=${shareType}` : ''}`, { quota_set: limits });
  const inUse = async (shareType?: string) => {
    const set = (await t.client.expect(200, 'GET', `/quota-sets/p-alpha/detail${shareType ? `?share_type=${shareType}` : ''}`)).quota_set;
    return { shares: set.shares.in_use, gigabytes: set.gigabytes.in_use };
  };
  /** The share, its migrations and what the project holds: what a refused start must leave as it was. */
  const stateOf = async (shareId: string) => ({
    share: await t.client.share(shareId),
    migrations: await t.client.migrations(shareId),
    project: await inUse(),
    silver: await inUse(silver.id),
  });

  beforeAll(async () => {
    const dataDir = await dataDirWithPeople();
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'alpha', root: path.join(dataDir, 'alpha'), pools: [{ name: 'default' }] },
          { backend: 'beta', root: path.join(dataDir, 'beta'), pools: [{ name: 'default' }], availability_zone: 'zone-b' },
        ],
      },
    });
    gold = (await t.client.expect(200, 'POST', '/types', { share_type: { name: 'gold', extra_specs: { driver_handles_share_servers: false } } })).share_type;
    silver = (await t.client.expect(200, 'POST', '/types', { share_type: { name: 'silver', extra_specs: { driver_handles_share_servers: false } } })).share_type;
    alice = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'alice'));
  });
  afterAll(async () => {
    await t?.destroy();
  });
  afterEach(async () => {
    await t.client.expect(202, 'DELETE', `/quota-sets/p-alpha?share_type=${silver.id}`);
    await t.client.expect(202, 'DELETE', '/quota-sets/p-alpha');
  });

  describe('Method: migration_start with new_share_type_id', () => {
    /** Each case sets a limit the migration would pass and says the message that refuses it. */
    it.each<[string, () => Promise<string>]>([
      ["the new type's gigabytes", async () => (await setQuota({ gigabytes: 1 }, 'silver'), GIGABYTES)],
      ["the new type's shares", async () => (await setQuota({ shares: 0 }, 'silver'), shares(0))],
      ["the project's gigabytes", async () => (await setQuota({ gigabytes: (await inUse()).gigabytes + 1 }), GIGABYTES)],
      ["the project's shares (a share of each type while both instances exist)", async () => {
        const held = (await inUse()).shares;
        await setQuota({ shares: held });
        return shares(held);
      }],
    ])("is refused over %s with Manila's 413, starting nothing", async (_what, limit) => {
      // Prepare
      const share = await goldShare();
      const message = await limit();
      const before = await stateOf(share.id);

      // Act
      const answer = await t.client.startMigration(share.id, BETA, { new_share_type_id: silver.id });

      // Assess
      expect(answer).toEqual(overLimit(message));
      expect(await stateOf(share.id)).toEqual(before);
      expect(before.share).toMatchObject({ status: 'available', task_state: null, host: ALPHA });
    });

    it('is not limited by the share\'s own type: a migration that keeps it reserves nothing more there', async () => {
      // Prepare
      const share = await goldShare();
      await setQuota({ shares: (await inUse(gold.id)).shares, gigabytes: (await inUse(gold.id)).gigabytes }, 'gold');

      try {
        // Act
        const answer = await t.client.startMigration(share.id, BETA, { new_share_type_id: gold.id, auto_complete: true });

        // Assess
        expect(answer.status).toBe(202);
        expect(await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error'])).toMatchObject({ task_state: 'migration_success' });
      } finally {
        await t.client.expect(202, 'DELETE', `/quota-sets/p-alpha?share_type=${gold.id}`);
      }
    });

    it('counts the destination in the new type and the project while both instances exist, and only the new type after', async () => {
      // Prepare
      const share = await goldShare();
      await setQuota({ gigabytes: 2, shares: 1 }, 'silver');
      const before = { project: await inUse(), gold: await inUse(gold.id), silver: await inUse(silver.id) };

      // Act
      expect((await t.client.startMigration(share.id, BETA, { new_share_type_id: silver.id, force_host_assisted_migration: true })).status).toBe(202);
      await t.client.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);
      const during = { project: await inUse(), gold: await inUse(gold.id), silver: await inUse(silver.id) };
      const another = await goldShare();
      const secondStart = await t.client.startMigration(another.id, BETA, { new_share_type_id: silver.id });
      await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
      await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);
      const after = { project: await inUse(), gold: await inUse(gold.id), silver: await inUse(silver.id) };

      // Assess
      expect(during).toEqual({
        project: { shares: before.project.shares + 1, gigabytes: before.project.gigabytes + 2 },
        gold: before.gold,
        silver: { shares: 1, gigabytes: 2 },
      });
      expect(secondStart).toEqual(overLimit(GIGABYTES));
      expect(after).toEqual({
        project: { shares: before.project.shares + 1, gigabytes: before.project.gigabytes + 2 },
        gold: { shares: before.gold.shares, gigabytes: before.gold.gigabytes },
        silver: { shares: 1, gigabytes: 2 },
      });
    });
  });
});
