import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManilaClient } from '../../local/manila-client.ts';
import { dataDirWithPeople, tokenOf } from '../identity/identity-fixture.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * reset_status / os-reset_status and force_delete / os-force_delete over HTTP on the embedded runtime, as
 * manila/api/v2/shares.py answers them (AdminActionsMixin): admin only, 202, by microversion. The `stuck`
 * backend cannot delete its instances.
 */
describe('API: share admin actions', () => {
  let t: TestRuntime;
  let alice: ManilaClient;
  const at = (version: string) => new ManilaClient(t.runtime.url, t.runtime.adminToken, version);
  const act = (client: ManilaClient, shareId: string, body: unknown) => client.request('POST', `/shares/${shareId}/action`, body);

  beforeAll(async () => {
    const dataDir = await dataDirWithPeople();
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'alpha', root: path.join(dataDir, 'alpha'), pools: [{ name: 'default' }] },
          { backend: 'stuck', root: path.join(dataDir, 'stuck'), pools: [{ name: 'default' }], faults: { fail: { deleteInstance: 'array busy' } } },
        ],
      },
    });
    alice = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'alice'));
  });
  afterAll(async () => {
    await t?.destroy();
  });

  describe('reset_status', () => {
    it.each([
      ['2.7', 'reset_status'],
      ['2.72', 'reset_status'],
      ['2.6', 'os-reset_status'],
    ])('at %s, %s sets the status and answers 202', async (version, action) => {
      // Prepare
      const share = await t.client.createShare({ name: `reset-${version}`, onlyHost: 'local@alpha#default' });

      // Act
      const answer = await act(at(version), share.id, { [action]: { status: 'error' } });

      // Assess
      expect(answer).toEqual({ status: 202, body: null });
      expect((await t.client.share(share.id)).status).toBe('error');
    });

    it.each([
      ['2.6', 'reset_status'],
      ['2.7', 'os-reset_status'],
    ])('at %s, %s is not an action (404)', async (version, action) => {
      const share = await t.client.createShare({ name: `reset-missing-${version}`, onlyHost: 'local@alpha#default' });

      const answer = await act(at(version), share.id, { [action]: { status: 'error' } });

      expect(answer.status).toBe(404);
      expect((await t.client.share(share.id)).status).toBe('available');
    });

    it.each([
      [{ reset_status: {} }, "Must specify 'status'"],
      [{ reset_status: null }, "Must specify 'status'"],
      [{ reset_status: { status: 'inactive' } }, 'Invalid state. Valid states: creating, available, deleting, error, error_deleting, migrating, migrating_to, server_migrating.'],
    ])('refuses %j with 400 and changes nothing', async (body, message) => {
      const share = await t.client.createShare({ name: 'reset-bad', onlyHost: 'local@alpha#default' });

      const answer = await act(t.client, share.id, body);

      expect(answer).toEqual({ status: 400, body: { badRequest: { code: 400, message } } });
      expect((await t.client.share(share.id)).status).toBe('available');
    });

    it("refuses a member of the share's project with 403, and answers 404 for an unknown share", async () => {
      const share = (await alice.expect(200, 'POST', '/shares', { share: { share_proto: 'NFS', size: 1, name: 'alices' } })).share;

      const member = await act(alice, share.id, { reset_status: { status: 'error' } });
      const unknown = await act(t.client, '00000000-0000-0000-0000-000000000000', { reset_status: { status: 'error' } });

      expect(member.status).toBe(403);
      expect(unknown.status).toBe(404);
      expect((await t.client.share(share.id)).status).toBe('available');
    });
  });

  describe('force_delete', () => {
    it.each([
      ['2.7', 'force_delete'],
      ['2.6', 'os-force_delete'],
    ])('at %s, %s deletes a share in a status DELETE refuses', async (version, action) => {
      // Prepare
      const share = await t.client.createShare({ name: `force-${version}`, onlyHost: 'local@alpha#default' });
      await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { reset_status: { status: 'creating' } });
      const refused = await t.client.request('DELETE', `/shares/${share.id}`);

      // Act
      const answer = await act(at(version), share.id, { [action]: null });

      // Assess
      expect(refused.status).toBe(403);
      expect(answer).toEqual({ status: 202, body: null });
      expect((await t.client.request('GET', `/shares/${share.id}`)).status).toBe(404);
    });

    it('removes the share even when its driver cannot delete the instance', async () => {
      const share = await t.client.createShare({ name: 'force-stuck', onlyHost: 'local@stuck#default' });

      const answer = await act(t.client, share.id, { force_delete: null });

      expect(answer.status).toBe(202);
      expect((await t.client.request('GET', `/shares/${share.id}`)).status).toBe(404);
    });

    it("refuses a member of the share's project with 403", async () => {
      const share = (await alice.expect(200, 'POST', '/shares', { share: { share_proto: 'NFS', size: 1, name: 'alices-force' } })).share;

      const member = await act(alice, share.id, { force_delete: null });

      expect(member.status).toBe(403);
      expect((await t.client.share(share.id)).status).toBe('available');
    });
  });
});
