import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManilaClient } from '../../local/manila-client.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * Availability zones over HTTP on the embedded runtime, as Manila answers them: the zones the pools
 * belong to (manila/api/v2/availability_zones.py; a backend's zone from the backends config, `nova` by
 * default), `availability_zone` on share create and the type's `availability_zones` extra spec honoured
 * by placement (AvailabilityZoneFilter) and by migration's destination check; and the paths without a
 * project id that Manila routes (2.60's project-less URLs).
 */
describe('API: availability zones', () => {
  let t: TestRuntime;
  const at = (version: string) => new ManilaClient(t.runtime.url, t.runtime.adminToken, version);
  const createType = async (name: string, zones: string) => (await t.client.expect(200, 'POST', '/types', {
    share_type: { name, extra_specs: { driver_handles_share_servers: false, availability_zones: zones } },
  })).share_type;
  const create = (share: Record<string, unknown>) => t.client.request('POST', '/shares', { share: { share_proto: 'NFS', size: 1, ...share } });

  beforeAll(async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-azs-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'alpha', root: path.join(dataDir, 'alpha'), pools: [{ name: 'default', total_capacity_gb: 100 }], availability_zone: 'zone-a' },
          { backend: 'beta', root: path.join(dataDir, 'beta'), pools: [{ name: 'default', total_capacity_gb: 50 }], availability_zone: 'zone-b' },
          { backend: 'gamma', root: path.join(dataDir, 'gamma'), pools: [{ name: 'default', total_capacity_gb: 10 }] },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  describe('GET /v2/availability-zones', () => {
    it('lists the zones the pools belong to, with and without the project id in the URL', async () => {
      // Prepare
      const projectId = (await t.client.createShare({ name: 'for-project-id' })).project_id as string;

      // Act
      const bare = await t.client.expect(200, 'GET', '/availability-zones');
      const withProject = await t.client.expect(200, 'GET', `/${projectId}/availability-zones`);

      // Assess
      expect(bare.availability_zones.map((z: { name: string }) => z.name)).toEqual(['nova', 'zone-a', 'zone-b']);
      for (const zone of bare.availability_zones) {
        expect(Object.keys(zone).sort()).toEqual(['created_at', 'id', 'name', 'updated_at']);
        expect(zone.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      }
      expect(withProject).toEqual(bare);
    });

    it('is os-availability-zone before 2.7, and each path is a 404 outside its versions', async () => {
      const legacy = await at('2.6').expect(200, 'GET', '/os-availability-zone');
      const current = await at('2.7').expect(200, 'GET', '/availability-zones');

      expect(legacy).toEqual(current);
      expect((await at('2.6').request('GET', '/availability-zones')).status).toBe(404);
      expect((await at('2.7').request('GET', '/os-availability-zone')).status).toBe(404);
    });
  });

  describe('POST /v2/shares availability_zone', () => {
    it('places the share in the zone asked for, by name or id, and shows the zone it is in', async () => {
      const zones = (await t.client.expect(200, 'GET', '/availability-zones')).availability_zones as { id: string; name: string }[];

      const byName = (await create({ availability_zone: 'zone-b' })).body.share;
      const byId = (await create({ availability_zone: zones.find((z) => z.name === 'nova')!.id })).body.share;
      const anywhere = (await create({})).body.share;

      expect([byName.host, byName.availability_zone]).toEqual(['local@beta#default', 'zone-b']);
      expect([byId.host, byId.availability_zone]).toEqual(['local@gamma#default', 'nova']);
      expect([anywhere.host, anywhere.availability_zone]).toEqual(['local@alpha#default', 'zone-a']);
    });

    it('answers 404 for a zone no pool belongs to', async () => {
      const res = await create({ availability_zone: 'zone-x' });

      expect(res).toEqual({ status: 404, body: { itemNotFound: { code: 404, message: 'Availability zone zone-x could not be found.' } } });
    });

    it("keeps to the type's availability_zones, and refuses a zone outside them with 400", async () => {
      await createType('in-b-or-nova', 'zone-b, nova');

      const placed = (await create({ share_type: 'in-b-or-nova' })).body.share;
      const refused = await create({ share_type: 'in-b-or-nova', availability_zone: 'zone-a' });

      expect([placed.host, placed.availability_zone]).toEqual(['local@beta#default', 'zone-b']);
      expect(refused).toEqual({
        status: 400,
        body: { badRequest: { code: 400, message: 'Share type in-b-or-nova is not supported within the availability zone chosen zone-a.' } },
      });
    });
  });

  describe('POST /v2/shares/{id}/action migration_start', () => {
    it("does not move a share to a pool outside the new type's availability_zones", async () => {
      // Prepare
      const onlyA = await createType('only-a', 'zone-a');
      const share = await t.client.createShare({ name: 'to-move', onlyHost: 'local@alpha#default' });

      // Act
      const res = await t.client.startMigration(share.id, 'local@beta#default', { new_share_type_id: onlyA.id });

      // Assess: refused at once here (Manila accepts and ends in migration_error); either way the share stays
      if (res.status === 400) {
        expect(res.body.badRequest.message).toMatch(/availability zone zone-b, the share type is limited to zone-a/);
      } else {
        expect((await t.client.waitForTaskState(share.id, ['migration_error'])).task_state).toBe('migration_error');
      }
      expect((await t.client.share(share.id)).host).toBe('local@alpha#default');
    });
  });

  describe('migration', () => {
    it('moves the share into its new pool\'s zone at the switchover', { timeout: 60_000 }, async () => {
      // Prepare
      const share = await t.client.createShare({ name: 'moves-zone', onlyHost: 'local@alpha#default' });
      expect(share.availability_zone).toBe('zone-a');

      // Act
      expect((await t.client.startMigration(share.id, 'local@beta#default', { auto_complete: true })).status).toBe(202);
      const after = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

      // Assess
      expect(after).toMatchObject({ task_state: 'migration_success', host: 'local@beta#default', availability_zone: 'zone-b' });
    });
  });

  describe('paths without a project id', () => {
    it("routes Manila's collections without a project id: an unserved one is a 404, not a malformed URL", async () => {
      const projectId = (await t.client.createShare({ name: 'paths' })).project_id as string;

      // Share groups are one of Manila's collections this API does not serve.
      const groups = await t.client.request('GET', '/share-groups');
      const shares = await t.client.request('GET', '/shares');
      const legacyShares = await t.client.request('GET', `/${projectId}/shares`);

      expect(groups.status).toBe(404);
      expect(shares.status).toBe(200);
      expect(legacyShares.body).toEqual(shares.body);
    });
  });
});
