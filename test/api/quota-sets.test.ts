import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManilaClient } from '../../local/manila-client.ts';
import { dataDirWithPeople, tokenOf } from '../identity/identity-fixture.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * Quota sets over HTTP on the embedded runtime, as manila/api/v2/quota_sets.py answers them, and their
 * enforcement with Manila's QuotaError messages (413, an extend's gigabytes 403). The defaults come from
 * configuration (here snapshots 5, the rest unlimited). alice is a member of p-alpha, rita its reader, bob
 * a member of p-beta.
 */
describe('API: quota sets', () => {
  let t: TestRuntime;
  let alice: ManilaClient;
  let rita: ManilaClient;
  let bob: ManilaClient;
  const at = (version: string, token = t.runtime.adminToken) => new ManilaClient(t.runtime.url, token, version);
  const overLimit = (message: string) => ({ status: 413, body: { overLimit: { code: 413, message } } });
  const badRequest = (message: string) => ({ status: 400, body: { badRequest: { code: 400, message } } });
  const createShare = (client: ManilaClient, size: number, extra: Record<string, unknown> = {}) =>
    client.request('POST', '/shares', { share: { share_proto: 'NFS', size, ...extra } });
  const UNLIMITED = { shares: -1, gigabytes: -1, snapshot_gigabytes: -1, share_networks: -1 };

  beforeAll(async () => {
    const dataDir = await dataDirWithPeople();
    t = await startTestRuntime({
      dataDir,
      quotaDefaults: {
        shares: -1, gigabytes: -1, snapshots: 5, snapshot_gigabytes: -1, share_networks: -1,
        share_groups: -1, share_group_snapshots: -1, share_replicas: -1, replica_gigabytes: -1, per_share_gigabytes: -1,
      },
      backends: { backends: [{ backend: 'alpha', root: path.join(dataDir, 'alpha'), pools: [{ name: 'default' }], snapshot_support: true }] },
    });
    alice = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'alice'));
    rita = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'rita'));
    bob = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'bob'));
  });
  afterAll(async () => {
    await t?.destroy();
  });
  afterEach(async () => {
    for (const project of ['p-alpha', 'p-beta']) await t.client.expect(202, 'DELETE', `/quota-sets/${project}`);
  });

  describe('GET', () => {
    it('answers the defaults from configuration with the keys of the microversion', async () => {
      const at27 = await at('2.7').expect(200, 'GET', '/quota-sets/p-alpha/defaults');
      const at262 = await at('2.62').expect(200, 'GET', '/quota-sets/p-alpha/defaults');
      const legacy = await at('2.6').expect(200, 'GET', '/os-quota-sets/p-alpha/defaults');

      const base = { id: 'p-alpha', ...UNLIMITED, snapshots: 5 };
      expect(at27).toEqual({ quota_set: base });
      expect(legacy).toEqual({ quota_set: base });
      expect(at262).toEqual({
        quota_set: { ...base, share_groups: -1, share_group_snapshots: -1, share_replicas: -1, replica_gigabytes: -1, per_share_gigabytes: -1 },
      });
    });

    it("shows a project's quotas to its member and reader, 403 to another project, and /detail with usage from 2.25", async () => {
      // Prepare: alice's project holds one 2 GiB share with a snapshot
      await t.client.expect(200, 'POST', '/types', { share_type: { name: 'snappy', extra_specs: { driver_handles_share_servers: 'false', snapshot_support: 'True' } } });
      const share = (await alice.expect(200, 'POST', '/shares', { share: { share_proto: 'NFS', size: 2, name: 'counted', share_type: 'snappy' } })).share;
      await alice.expect(202, 'POST', '/snapshots', { snapshot: { share_id: share.id } });

      // Act
      const member = await alice.request('GET', '/quota-sets/p-alpha');
      const reader = await rita.request('GET', '/quota-sets/p-alpha');
      const stranger = await bob.request('GET', '/quota-sets/p-alpha');
      const detail = await alice.expect(200, 'GET', '/quota-sets/p-alpha/detail');
      const detailBefore = await at('2.24', alice.token).request('GET', '/quota-sets/p-alpha/detail');

      // Assess
      expect(member).toEqual({ status: 200, body: { quota_set: expect.objectContaining({ id: 'p-alpha', shares: -1, snapshots: 5 }) } });
      expect(reader.status).toBe(200);
      expect(stranger).toEqual({ status: 403, body: { forbidden: { code: 403, message: 'Access was denied to this resource.' } } });
      expect(detail.quota_set).toMatchObject({
        id: 'p-alpha',
        shares: { in_use: 1, limit: -1, reserved: 0 },
        gigabytes: { in_use: 2, limit: -1, reserved: 0 },
        snapshots: { in_use: 1, limit: 5, reserved: 0 },
        snapshot_gigabytes: { in_use: 2, limit: -1, reserved: 0 },
        share_networks: { in_use: 0, limit: -1, reserved: 0 },
      });
      expect(detailBefore.status).toBe(404);
    });
  });

  describe('PUT and DELETE', () => {
    it('sets limits (admin), answers them without an id, and DELETE returns the project to the defaults', async () => {
      const set = await t.client.request('PUT', '/quota-sets/p-gamma', { quota_set: { shares: 7, gigabytes: '70' } });
      const shown = await t.client.expect(200, 'GET', '/quota-sets/p-gamma');
      const removed = await t.client.request('DELETE', '/quota-sets/p-gamma');
      const after = await t.client.expect(200, 'GET', '/quota-sets/p-gamma');

      expect(set).toEqual({ status: 200, body: { quota_set: { ...UNLIMITED, snapshots: 5, shares: 7, gigabytes: 70, share_replicas: -1, replica_gigabytes: -1, share_groups: -1, share_group_snapshots: -1, per_share_gigabytes: -1 } } });
      expect(shown.quota_set).toMatchObject({ id: 'p-gamma', shares: 7, gigabytes: 70 });
      expect(removed).toEqual({ status: 202, body: null });
      expect(after.quota_set).toMatchObject({ shares: -1, gigabytes: -1 });
    });

    it.each([
      [{ quota_set: {} }, 'Must supply at least one quota field to update.'],
      [{ quota_set: { shares: 'many' } }, "Quota 'many' for shares should be integer."],
      [{ quota_set: { shares: 3, volumes: 2 } }, 'Bad key(s) volumes in quota_set.'],
      [{ quota_set: { shares: -2 } }, 'Quota limit must be -1 or greater.'],
    ])('refuses %j with 400', async (body, message) => {
      expect(await t.client.request('PUT', '/quota-sets/p-delta', body)).toEqual(badRequest(message));
    });

    it('refuses a limit below what the project uses unless forced, and keys of later microversions', async () => {
      await alice.expect(200, 'POST', '/shares', { share: { share_proto: 'NFS', size: 1, name: 'in-use' } });
      const used = (await alice.expect(200, 'GET', '/quota-sets/p-alpha/detail')).quota_set.shares.in_use;

      const fromUnlimited = await t.client.request('PUT', '/quota-sets/p-alpha', { quota_set: { shares: used - 1 } });
      await t.client.expect(200, 'PUT', '/quota-sets/p-alpha', { quota_set: { shares: used + 5 } });
      const fromLimited = await t.client.request('PUT', '/quota-sets/p-alpha', { quota_set: { shares: used - 1 } });
      const tooEarly = await at('2.52').request('PUT', '/quota-sets/p-alpha', { quota_set: { share_replicas: 3 } });
      const forced = await t.client.request('PUT', '/quota-sets/p-alpha', { quota_set: { shares: used - 1, force: true } });
      await t.client.expect(202, 'DELETE', '/quota-sets/p-alpha');

      expect(fromUnlimited).toEqual(badRequest(`Quota limit must be greater than ${used}.`));
      expect(fromLimited).toEqual(badRequest(`Quota value ${used - 1} for shares is smaller than already used and reserved ${used}.`));
      expect(tooEarly).toEqual(badRequest("'share_replicas' key is not supported by this microversion. Use 2.53 or greater microversion to be able to use 'share_replicas' quotas."));
      expect(forced.status).toBe(200);
    });

    it('is admin only for changes (403 for a member and a reader)', async () => {
      const member = await alice.request('PUT', '/quota-sets/p-alpha', { quota_set: { shares: 100 } });
      const reader = await rita.request('DELETE', '/quota-sets/p-alpha');

      expect(member).toEqual({ status: 403, body: { forbidden: { code: 403, message: "Policy doesn't allow quota_set:update to be performed." } } });
      expect(reader.status).toBe(403);
    });
  });

  describe('enforcement', () => {
    it("refuses a share past the project's gigabytes or shares with Manila's 413, and an extend past gigabytes with 403", async () => {
      // Prepare: bob's project may hold 2 shares and 4 GiB
      await t.client.expect(200, 'PUT', '/quota-sets/p-beta', { quota_set: { shares: 2, gigabytes: 4 } });
      const first = (await bob.expect(200, 'POST', '/shares', { share: { share_proto: 'NFS', size: 2, name: 'b1' } })).share;

      // Act
      const tooBig = await createShare(bob, 3);
      const second = await createShare(bob, 1);
      const third = await createShare(bob, 1);
      const extend = await bob.request('POST', `/shares/${first.id}/action`, { extend: { new_size: 4 } });

      // Assess
      expect(tooBig).toEqual(overLimit('Requested share exceeds allowed project/user or share type gigabytes quota.'));
      expect(second.status).toBe(200);
      expect(third).toEqual(overLimit('Maximum number of shares allowed (2) either per project/user or share type quota is exceeded.'));
      expect(extend).toEqual({ status: 403, body: { forbidden: { code: 403, message: 'Requested share exceeds allowed project/user or share type gigabytes quota.' } } });
      expect((await bob.share(first.id)).size).toBe(2);
      await t.client.expect(202, 'DELETE', '/quota-sets/p-beta');
    });

    it("holds a share type's quotas (2.39+) on top of the project's, and per_share_gigabytes", async () => {
      await t.client.expect(200, 'POST', '/types', { share_type: { name: 'metered', extra_specs: { driver_handles_share_servers: 'false' } } });
      const typed = await at('2.39').request('PUT', '/quota-sets/p-beta?share_type=metered', { quota_set: { gigabytes: 1 } });
      const typedBefore = await at('2.38').request('PUT', '/quota-sets/p-beta?share_type=metered', { quota_set: { gigabytes: 1 } });
      const networks = await t.client.request('PUT', '/quota-sets/p-beta?share_type=metered', { quota_set: { share_networks: 1 } });
      await t.client.expect(200, 'PUT', '/quota-sets/p-beta', { quota_set: { per_share_gigabytes: 4 } });

      const ofType = await createShare(bob, 2, { share_type: 'metered' });
      const otherType = await createShare(bob, 2);
      const huge = await createShare(bob, 5);

      expect(typed.status).toBe(200);
      expect(typed.body.quota_set).not.toHaveProperty('share_networks');
      expect(typedBefore).toEqual(badRequest("'share_type' key is not supported by this microversion. Use 2.39 or greater microversion to be able to use 'share_type' quotas."));
      expect(networks).toEqual(badRequest("'share_networks' quota cannot be set for share type. It can be set only for project or user."));
      expect(ofType).toEqual(overLimit('Requested share exceeds allowed project/user or share type gigabytes quota.'));
      expect(otherType.status).toBe(200);
      expect(huge).toEqual(overLimit('Requested share size 5 is larger than maximum allowed limit 4.'));
      await t.client.expect(202, 'DELETE', '/quota-sets/p-beta');
    });

    it("refuses a snapshot past the snapshots quota, and a share network past share_networks, with Manila's 413", async () => {
      await t.client.expect(200, 'PUT', '/quota-sets/p-beta', { quota_set: { snapshots: 0, share_networks: 0 } });
      const share = (await bob.expect(200, 'POST', '/shares', { share: { share_proto: 'NFS', size: 1, name: 'snap-me', share_type: 'snappy' } })).share;

      const snapshot = await bob.request('POST', '/snapshots', { snapshot: { share_id: share.id } });
      const network = await bob.request('POST', '/share-networks', { share_network: { name: 'net' } });

      expect(snapshot).toEqual(overLimit('Maximum number of snapshots allowed (0) either per project/user or share type quota is exceeded.'));
      expect(network).toEqual(overLimit('Maximum number of share-networks allowed (0) exceeded.'));
      await t.client.expect(202, 'DELETE', '/quota-sets/p-beta');
    });
  });
});
