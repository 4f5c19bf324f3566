import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManilaClient } from '../../local/manila-client.ts';
import { dataDirWithPeople, tokenOf } from '../identity/identity-fixture.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * extend / os-extend and shrink / os-shrink over HTTP on the embedded runtime, as manila/api/v2/shares.py
 * and manila/share/api.py answer them; the local driver records the size in the instance's instance.json.
 * `small` has 3 GiB of configured capacity; `broken` fails every resize.
 */
describe('API: share extend and shrink', () => {
  let t: TestRuntime;
  let alice: ManilaClient;
  let rita: ManilaClient;
  let bob: ManilaClient;
  const at = (version: string, token = t.runtime.adminToken) => new ManilaClient(t.runtime.url, token, version);
  const act = (client: ManilaClient, shareId: string, body: unknown) => client.request('POST', `/shares/${shareId}/action`, body);
  const badRequest = (message: string) => ({ status: 400, body: { badRequest: { code: 400, message } } });
  const recordedSize = async (share: { id: string }) => {
    const exportPath = await t.client.exportPath(share.id);
    return JSON.parse(await readFile(path.join(path.dirname(exportPath), 'instance.json'), 'utf8')).size_gb;
  };

  beforeAll(async () => {
    const dataDir = await dataDirWithPeople();
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'alpha', root: path.join(dataDir, 'alpha'), pools: [{ name: 'default' }] },
          { backend: 'small', root: path.join(dataDir, 'small'), pools: [{ name: 'default', total_capacity_gb: 3 }] },
          {
            backend: 'broken', root: path.join(dataDir, 'broken'), pools: [{ name: 'default' }],
            faults: { fail: { extendInstance: 'array offline', shrinkInstance: 'array offline' } },
          },
        ],
      },
    });
    alice = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'alice'));
    rita = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'rita'));
    bob = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'bob'));
  });
  afterAll(async () => {
    await t?.destroy();
  });

  describe('extend', () => {
    it.each([
      ['2.7', 'extend'],
      ['2.72', 'extend'],
      ['2.6', 'os-extend'],
    ])('at %s, %s answers 202 and the share is available with its new size', async (version, action) => {
      // Prepare
      const share = await t.client.createShare({ name: `extend-${version}`, onlyHost: 'local@alpha#default' });

      // Act
      const answer = await act(at(version), share.id, { [action]: { new_size: 3 } });

      // Assess
      expect(answer).toEqual({ status: 202, body: null });
      expect(await t.client.share(share.id)).toMatchObject({ size: 3, status: 'available' });
      expect(await recordedSize(share)).toBe(3);
    });

    it.each([
      ['2.6', 'extend'],
      ['2.7', 'os-extend'],
    ])('at %s, %s is not an action (404)', async (version, action) => {
      const share = await t.client.createShare({ name: `extend-missing-${version}`, onlyHost: 'local@alpha#default' });

      const answer = await act(at(version), share.id, { [action]: { new_size: 2 } });

      expect(answer.status).toBe(404);
      expect((await t.client.share(share.id)).size).toBe(1);
    });

    it.each([
      [{ new_size: 2 }, 'New size for extend must be greater than current size. (current: 2, extended: 2)'],
      [{ new_size: 1 }, 'New size for extend must be greater than current size. (current: 2, extended: 1)'],
    ])('refuses %j on a 2 GiB share with 400 and changes nothing', async (payload, reason) => {
      const share = await t.client.createShare({ name: 'extend-small', sizeGb: 2, onlyHost: 'local@alpha#default' });

      const answer = await act(t.client, share.id, { extend: payload });

      expect(answer).toEqual(badRequest(`Invalid input received: ${reason}..`));
      expect(await t.client.share(share.id)).toMatchObject({ size: 2, status: 'available' });
    });

    it.each([
      [{ new_size: 'two' }, 'New share size must be specified as an integer.'],
      [{}, 'New share size must be specified as an integer.'],
      [null, 'New share size must be specified as an integer.'],
      [{ new_size: 2, force: 'perhaps' }, 'Invalid boolean force : perhaps'],
    ])('refuses the payload %j with 400', async (payload, message) => {
      const share = await t.client.createShare({ name: 'extend-bad', onlyHost: 'local@alpha#default' });

      const answer = await act(t.client, share.id, { extend: payload });

      expect(answer).toEqual(badRequest(message));
      expect((await t.client.share(share.id)).size).toBe(1);
    });

    it('refuses a share that is not available with 400', async () => {
      const share = await t.client.createShare({ name: 'extend-error', onlyHost: 'local@alpha#default' });
      await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { reset_status: { status: 'error' } });

      const answer = await act(t.client, share.id, { extend: { new_size: 2 } });

      expect(answer).toEqual(badRequest(`Invalid share: Share ${share.id} status must be 'available' to extend, but current status is: error..`));
      expect(await t.client.share(share.id)).toMatchObject({ size: 1, status: 'error' });
    });

    it('refuses a share busy with a migration task with 400', async () => {
      const share = await t.client.createShare({ name: 'extend-busy', onlyHost: 'local@alpha#default' });
      await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { reset_task_state: { task_state: 'migration_in_progress' } });

      const extend = await act(t.client, share.id, { extend: { new_size: 2 } });
      const shrink = await act(t.client, share.id, { shrink: { new_size: 1 } });

      const busy = `Share is busy with an active task: Share ${share.id} is busy as part of an active task: migration_in_progress..`;
      expect(extend).toEqual(badRequest(busy));
      expect(shrink.status).toBe(400);
      expect(await t.client.share(share.id)).toMatchObject({ size: 1, status: 'available' });
    });

    it('refuses an increase the pool has no room for (the scheduler\'s CapacityFilter) with 400, the share available as it was', async () => {
      const share = await t.client.createShare({ name: 'extend-full', sizeGb: 2, onlyHost: 'local@small#default' });

      const answer = await act(t.client, share.id, { extend: { new_size: 4 } });

      expect(answer).toEqual(badRequest(
        `No valid host was found. Cannot place share ${share.id} on local@small#default, the last executed filter was CapacityFilter.`,
      ));
      expect(await t.client.share(share.id)).toMatchObject({ size: 2, status: 'available' });
      expect(await recordedSize(share)).toBe(2);
      await t.client.expect(202, 'DELETE', `/shares/${share.id}`);
    });

    it('force (admin, 2.64+) goes past the scheduler to the driver; the local driver has no room either: extending_error', async () => {
      const share = await t.client.createShare({ name: 'extend-force', sizeGb: 2, onlyHost: 'local@small#default' });

      const answer = await act(t.client, share.id, { extend: { new_size: 4, force: true } });

      expect(answer.status).toBe(400);
      expect(answer.body.badRequest.message).toMatch(
        new RegExp(`^Share ${share.id} could not be extended due to error in the driver: .*Pool default of local@small has 1 GiB unallocated, 2 GiB more were asked`),
      );
      expect(await t.client.share(share.id)).toMatchObject({ size: 2, status: 'extending_error' });
      await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { force_delete: null });
    });

    it('a driver failure leaves the share in extending_error, its size unchanged', async () => {
      const share = await t.client.createShare({ name: 'extend-broken', onlyHost: 'local@broken#default' });

      const answer = await act(t.client, share.id, { extend: { new_size: 2 } });

      expect(answer.status).toBe(400);
      expect(answer.body.badRequest.message).toMatch(new RegExp(`^Share ${share.id} could not be extended due to error in the driver: .*array offline`));
      expect(await t.client.share(share.id)).toMatchObject({ size: 1, status: 'extending_error' });
    });

    it("holds a member's extend to the type's provisioning:max_share_size and an admin's to max_share_extend_size", async () => {
      await t.client.expect(200, 'POST', '/types', {
        share_type: {
          name: 'capped', 'share_type_access:is_public': true,
          extra_specs: { driver_handles_share_servers: 'false', 'provisioning:max_share_size': '3', 'provisioning:max_share_extend_size': '5' },
        },
      });
      const share = (await alice.expect(200, 'POST', '/shares', { share: { share_proto: 'NFS', size: 1, name: 'capped', share_type: 'capped' } })).share;

      const member = await act(alice, share.id, { extend: { new_size: 4 } });
      const admin = await act(t.client, share.id, { extend: { new_size: 6 } });
      const adminWithin = await act(t.client, share.id, { extend: { new_size: 5 } });

      expect(member).toEqual(badRequest(
        "Invalid input received: Specified share size of '4' is greater than the maximum allowable size of '3' for share type 'capped'..",
      ));
      expect(admin).toEqual(badRequest(
        "Invalid input received: Specified share size of '6' is greater than the maximum allowable extend size of '5' for share type 'capped'..",
      ));
      expect(adminWithin.status).toBe(202);
      expect((await t.client.share(share.id)).size).toBe(5);
    });

    it('answers a member 202 for its own share, ignores force below 2.64, refuses force at 2.64 (403), a reader (403) and another project (404)', async () => {
      const share = (await alice.expect(200, 'POST', '/shares', { share: { share_proto: 'NFS', size: 1, name: 'alices-extend' } })).share;

      const member = await act(alice, share.id, { extend: { new_size: 2 } });
      const oldForce = await act(at('2.63', alice.token), share.id, { extend: { new_size: 3, force: true } });
      const force = await act(alice, share.id, { extend: { new_size: 4, force: true } });
      const reader = await act(rita, share.id, { extend: { new_size: 4 } });
      const stranger = await act(bob, share.id, { extend: { new_size: 4 } });

      expect(member.status).toBe(202);
      expect(oldForce.status).toBe(202);
      expect(force).toEqual({ status: 403, body: { forbidden: { code: 403, message: "Policy doesn't allow share:force_extend to be performed." } } });
      expect(reader.status).toBe(403);
      expect(stranger.status).toBe(404);
      expect((await t.client.share(share.id)).size).toBe(3);
    });
  });

  describe('shrink', () => {
    it.each([
      ['2.7', 'shrink'],
      ['2.6', 'os-shrink'],
    ])('at %s, %s answers 202 and the share is available with its new size', async (version, action) => {
      const share = await t.client.createShare({ name: `shrink-${version}`, sizeGb: 3, onlyHost: 'local@alpha#default' });

      const answer = await act(at(version), share.id, { [action]: { new_size: 1 } });

      expect(answer).toEqual({ status: 202, body: null });
      expect(await t.client.share(share.id)).toMatchObject({ size: 1, status: 'available' });
      expect(await recordedSize(share)).toBe(1);
    });

    it.each([[2], [3], [0], [-1]])('refuses new_size %i on a 2 GiB share with 400', async (newSize) => {
      const share = await t.client.createShare({ name: 'shrink-bad', sizeGb: 2, onlyHost: 'local@alpha#default' });

      const answer = await act(t.client, share.id, { shrink: { new_size: newSize } });

      expect(answer).toEqual(badRequest(
        `Invalid input received: New size for shrink must be less than current size and greater than 0 (current: 2, new: ${newSize}).`,
      ));
      expect((await t.client.share(share.id)).size).toBe(2);
    });

    it('refuses a share that is not available with 400', async () => {
      const share = await t.client.createShare({ name: 'shrink-error', sizeGb: 2, onlyHost: 'local@alpha#default' });
      await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { reset_status: { status: 'error' } });

      const answer = await act(t.client, share.id, { shrink: { new_size: 1 } });

      expect(answer).toEqual(badRequest(
        `Invalid share: Share ${share.id} status must in (available, shrinking_possible_data_loss_error) to shrink, but current status is: error..`,
      ));
    });

    it('refuses to shrink below the data the share holds (400), the share available at its size, as Manila\'s manager leaves it', async () => {
      // Prepare: 1.5 GiB of (sparse) data in a 2 GiB share
      const share = await t.client.createShare({ name: 'shrink-full', sizeGb: 2, onlyHost: 'local@alpha#default' });
      const file = await open(path.join(await t.client.exportPath(share.id), 'big'), 'w');
      await file.truncate(1.5 * 1024 ** 3);
      await file.close();

      // Act
      const answer = await act(t.client, share.id, { shrink: { new_size: 1 } });

      // Assess
      expect(answer).toEqual(badRequest(`Share ${share.id} could not be shrunk due to possible data loss`));
      expect(await t.client.share(share.id)).toMatchObject({ size: 2, status: 'available' });
      expect(await recordedSize(share)).toBe(2);
    });

    it('a driver failure leaves the share in shrinking_error, its size unchanged', async () => {
      const share = await t.client.createShare({ name: 'shrink-broken', sizeGb: 2, onlyHost: 'local@broken#default' });

      const answer = await act(t.client, share.id, { shrink: { new_size: 1 } });

      expect(answer.status).toBe(400);
      expect(answer.body.badRequest.message).toMatch(new RegExp(`^Share ${share.id} could not be shrunk due to error in the driver: .*array offline`));
      expect(await t.client.share(share.id)).toMatchObject({ size: 2, status: 'shrinking_error' });
    });

    it("holds a shrink to the type's provisioning:min_share_size", async () => {
      await t.client.expect(200, 'POST', '/types', {
        share_type: { name: 'floored', extra_specs: { driver_handles_share_servers: 'false', 'provisioning:min_share_size': '2' } },
      });
      const share = await t.client.createShare({ name: 'floored', sizeGb: 3, shareType: 'floored', onlyHost: 'local@alpha#default' });

      const answer = await act(t.client, share.id, { shrink: { new_size: 1 } });

      expect(answer).toEqual(badRequest(
        "Invalid input received: Specified share size of '1' is less than the minimum required size of '2' for share type 'floored'..",
      ));
    });
  });
});
