import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManilaClient } from '../../local/manila-client.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { dataDirWithPeople, tokenOf } from './identity-fixture.ts';

/** Manila's default policies through Keystone roles: admin, member of its project, reader of its project. */
describe('Class: authenticate (Keystone roles and Manila\'s policy)', () => {
  let t: TestRuntime;
  let admin: ManilaClient;
  let alice: ManilaClient;
  let bob: ManilaClient;
  let rita: ManilaClient;
  let aliceShare: { id: string };
  let bobShare: { id: string };

  beforeAll(async () => {
    t = await startTestRuntime({ dataDir: await dataDirWithPeople(), resume: false });
    const base = t.runtime.url;
    const client = async (who: Parameters<typeof tokenOf>[1]) => new ManilaClient(base, await tokenOf(base, who));
    [admin, alice, bob, rita] = await Promise.all([client('admin'), client('alice'), client('bob'), client('rita')]);
    aliceShare = await alice.createShare({ name: 'alice-private' });
    bobShare = await bob.createShare({ name: 'bob-private' });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  describe('Method: member', () => {
    it('sees its own project\'s shares and not another project\'s private share', async () => {
      // Act
      const list = await alice.expect(200, 'GET', '/shares');
      const other = await alice.request('GET', `/shares/${bobShare.id}`);

      // Assess
      expect(list.shares.map((s: { id: string }) => s.id)).toEqual([aliceShare.id]);
      expect(other.status).toBe(404);
      expect(other.body).toEqual({ itemNotFound: { code: 404, message: `Share ${bobShare.id} could not be found. (share ${bobShare.id})` } });
    });

    it('cannot name another project in the URL', async () => {
      // Act
      const res = await alice.request('GET', '/p-beta/shares');

      // Assess
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ badRequest: { code: 400, message: 'Malformed request url' } });
    });
  });

  describe('Method: reader', () => {
    it('reads its project\'s shares and access rules', async () => {
      // Act
      const list = await rita.expect(200, 'GET', '/shares/detail');
      const one = await rita.request('GET', `/shares/${aliceShare.id}`);
      const rules = await rita.request('GET', `/share-access-rules?share_id=${aliceShare.id}`);
      const rulesBefore245 = await new ManilaClient(t.runtime.url, rita.token, '2.44').request('POST', `/shares/${aliceShare.id}/action`, { access_list: null });

      // Assess
      expect(list.shares.map((s: { id: string }) => s.id)).toEqual([aliceShare.id]);
      expect(one.status).toBe(200);
      expect(rules.status).toBe(200);
      expect(rulesBefore245.status).toBe(200);
    });

    it.each([
      ['create a share', 'POST', '/shares', { share: { share_proto: 'NFS', size: 1 } }, 'share:create'],
      ['delete a share', 'DELETE', '/shares/{id}', undefined, 'share:delete'],
      ['allow access', 'POST', '/shares/{id}/action', { allow_access: { access_type: 'ip', access_to: '10.0.0.1' } }, 'share:allow_access'],
      ['update a share', 'PUT', '/shares/{id}', { share: { display_name: 'x' } }, 'share:update'],
      ['snapshot a share', 'POST', '/snapshots', { snapshot: { share_id: '{id}' } }, 'share_snapshot:create_snapshot'],
    ])('is refused to %s with 403 in Manila\'s fault shape, and nothing changes', async (_case, method, pathTemplate, body, policy) => {
      // Prepare
      const before = await alice.expect(200, 'GET', '/shares/detail');
      const path = pathTemplate.replace('{id}', aliceShare.id);
      const payload = body === undefined ? undefined : JSON.parse(JSON.stringify(body).replace('{id}', aliceShare.id));

      // Act
      const res = await rita.request(method, path, payload);

      // Assess
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ forbidden: { code: 403, message: `Policy doesn't allow ${policy} to be performed.` } });
      expect(await alice.expect(200, 'GET', '/shares/detail')).toEqual(before);
    });

    it('is a reader in one project and a member in another: the token\'s project decides (more than one project)', async () => {
      // Prepare
      const aliceInBeta = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'alice', 'beta'));

      // Act
      const list = await aliceInBeta.expect(200, 'GET', '/shares');
      const create = await aliceInBeta.request('POST', '/shares', { share: { share_proto: 'NFS', size: 1 } });

      // Assess
      expect(list.shares.map((s: { id: string }) => s.id)).toEqual([bobShare.id]);
      expect(create.status).toBe(403);
    });
  });

  describe('Method: admin', () => {
    it('sees every project\'s shares with all_tenants, and only its own without', async () => {
      // Act
      const all = await admin.expect(200, 'GET', '/shares?all_tenants=1');
      const own = await admin.expect(200, 'GET', '/shares');

      // Assess
      expect(all.shares.map((s: { id: string }) => s.id).sort()).toEqual([aliceShare.id, bobShare.id].sort());
      expect(own.shares).toEqual([]);
    });
  });
});
