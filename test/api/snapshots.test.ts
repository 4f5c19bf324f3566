import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, ALICE, BOB } from './in-memory-services.ts';
import { ensureDefaultType, seedShare, startTestApi, type TestApi } from './harness.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());
beforeEach(async () => {
  api.reset();
  await ensureDefaultType(api);
});

const snapshotBody = (shareId: string, extra: Record<string, unknown> = {}) => ({ snapshot: { share_id: shareId, force: false, name: 'nightly', description: 'before the upgrade', ...extra } });

describe('API: snapshots', () => {
  describe('POST /snapshots', () => {
    it('answers 202 with the detail view (provider_location for admins from 2.12, user and project from 2.17)', async () => {
      // Prepare
      const share = await seedShare(api);

      // Act
      const res = await api.call('POST', '/v2/snapshots', { body: snapshotBody(share.id) });

      // Assess
      expect(res.status).toBe(202);
      const snapshot = res.body.snapshot;
      expect(snapshot).toEqual({
        id: expect.any(String),
        share_id: share.id,
        share_size: 1,
        created_at: expect.any(String),
        status: 'available',
        name: 'nightly',
        description: 'before the upgrade',
        size: 1,
        share_proto: 'NFS',
        links: [
          { href: expect.stringMatching(new RegExp(`/v2/${ADMIN.projectId}/snapshots/${snapshot.id}$`)), rel: 'self' },
          { href: expect.stringMatching(new RegExp(`/${ADMIN.projectId}/snapshots/${snapshot.id}$`)), rel: 'bookmark' },
        ],
        provider_location: `snapshots/${api.services.share(share.id).snapshots![0]!.instances[0]!.id}`,
        user_id: ADMIN.userId,
        project_id: ADMIN.projectId,
      });
    });

    it.each([
      ['2.11', ['provider_location', 'user_id', 'project_id']],
      ['2.16', ['user_id', 'project_id']],
    ])('leaves out the fields a microversion %s client does not know', async (version, absent) => {
      // Prepare
      const share = await seedShare(api);

      // Act
      const res = await api.call('POST', '/v2/snapshots', { body: snapshotBody(share.id), version });

      // Assess
      expect(res.status).toBe(202);
      for (const key of absent) expect(res.body.snapshot).not.toHaveProperty(key);
    });

    it('shows provider_location to admins only', async () => {
      // Prepare
      const share = await seedShare(api, ALICE);

      // Act
      const res = await api.call('POST', '/v2/snapshots', { token: ALICE.token, body: snapshotBody(share.id) });

      // Assess
      expect(res.status).toBe(202);
      expect(res.body.snapshot).not.toHaveProperty('provider_location');
      expect(res.body.snapshot).toMatchObject({ user_id: ALICE.userId, project_id: ALICE.projectId });
    });

    it('takes the v1 names display_name and display_description too', async () => {
      // Prepare
      const share = await seedShare(api);

      // Act
      const res = await api.call('POST', '/v2/snapshots', { body: { snapshot: { share_id: share.id, display_name: 'old', display_description: 'style' } } });

      // Assess
      expect(res.body.snapshot).toMatchObject({ name: 'old', description: 'style' });
    });

    it('refuses a share whose type lacks snapshot_support with Manila\'s 422', async () => {
      // Prepare
      await api.services.shareTypes.create({ name: 'plain', extra_specs: { driver_handles_share_servers: 'False' } });
      const share = await seedShare(api, ADMIN, { share_type: 'plain' });

      // Act
      const res = await api.call('POST', '/v2/snapshots', { body: snapshotBody(share.id) });

      // Assess
      expect(res.status).toBe(422);
      expect(res.body).toEqual({ computeFault: { code: 422, message: `Snapshots cannot be created for share '${share.id}' since it does not have that capability.` } });
    });

    it.each([
      ['no snapshot entity', { share_id: 'x' }, 422],
      ['no share_id', { snapshot: { name: 'x' } }, 400],
      ['a force that is not a boolean', { snapshot: { share_id: 'SHARE', force: 'maybe' } }, 400],
      ['an unknown share', { snapshot: { share_id: 'nope' } }, 404],
    ])('refuses %s', async (_what, body, status) => {
      // Prepare
      const share = await seedShare(api);

      // Act
      const res = await api.call('POST', '/v2/snapshots', { body: JSON.parse(JSON.stringify(body).replace('SHARE', share.id)) });

      // Assess
      expect(res.status).toBe(status);
    });

    it('refuses a snapshot of a share a migration holds (Manila\'s ShareBusyException, 400)', async () => {
      // Prepare
      const share = await seedShare(api);
      const start = await api.call('POST', `/v2/shares/${share.id}/action`, {
        body: { migration_start: { host: 'local@beta#default', writable: true, preserve_metadata: true, preserve_snapshots: true, nondisruptive: false } },
      });
      expect(start.status).toBe(202);

      // Act
      const res = await api.call('POST', '/v2/snapshots', { body: snapshotBody(share.id) });

      // Assess
      expect(res.status).toBe(400);
      expect(res.body.badRequest.message).toMatch(new RegExp(`^Share is busy with an active task: Share ${share.id} is busy as part of an active task: migration_starting\\.`));
    });

    it('lets a tenant snapshot only its own shares', async () => {
      // Prepare
      const share = await seedShare(api, ALICE);

      // Act
      const res = await api.call('POST', '/v2/snapshots', { token: BOB.token, body: snapshotBody(share.id) });

      // Assess
      expect(res.status).toBe(404);
    });
  });

  describe('GET /snapshots, /snapshots/detail, /snapshots/{id}', () => {
    it('lists summaries and details, filtered and sorted, and shows one', async () => {
      // Prepare
      const share = await seedShare(api);
      const other = await seedShare(api);
      const a = (await api.call('POST', '/v2/snapshots', { body: snapshotBody(share.id, { name: 'a' }) })).body.snapshot;
      const b = (await api.call('POST', '/v2/snapshots', { body: snapshotBody(other.id, { name: 'b' }) })).body.snapshot;

      // Act
      const summaries = await api.call('GET', '/v2/snapshots?sort_key=name&sort_dir=asc');
      const details = await api.call('GET', `/v2/snapshots/detail?share_id=${share.id}`);
      const byName = await api.call('GET', '/v2/snapshots?name=b');
      const shown = await api.call('GET', `/v2/snapshots/${a.id}`);
      const badSort = await api.call('GET', '/v2/snapshots?sort_key=colour');

      // Assess
      expect(summaries.body.snapshots).toEqual([
        { id: a.id, name: 'a', links: expect.any(Array) },
        { id: b.id, name: 'b', links: expect.any(Array) },
      ]);
      expect(details.body.snapshots).toEqual([a]);
      expect(byName.body.snapshots.map((s: any) => s.id)).toEqual([b.id]);
      expect(shown.body).toEqual({ snapshot: a });
      expect(badSort.status).toBe(400);
    });

    it('shows a tenant its own project\'s snapshots only', async () => {
      // Prepare
      const share = await seedShare(api, ALICE);
      const mine = (await api.call('POST', '/v2/snapshots', { token: ALICE.token, body: snapshotBody(share.id) })).body.snapshot;

      // Act & Assess
      expect((await api.call('GET', '/v2/snapshots', { token: BOB.token })).body.snapshots).toEqual([]);
      expect((await api.call('GET', `/v2/snapshots/${mine.id}`, { token: BOB.token })).status).toBe(404);
      expect((await api.call('GET', '/v2/snapshots', { token: ALICE.token })).body.snapshots.map((s: any) => s.id)).toEqual([mine.id]);
    });

    it('lists no export locations (2.32+): no pool here mounts snapshots', async () => {
      // Prepare
      const share = await seedShare(api);
      const snapshot = (await api.call('POST', '/v2/snapshots', { body: snapshotBody(share.id) })).body.snapshot;

      // Act & Assess
      expect((await api.call('GET', `/v2/snapshots/${snapshot.id}/export-locations`)).body).toEqual({ share_snapshot_export_locations: [] });
      expect((await api.call('GET', `/v2/snapshots/${snapshot.id}/export-locations`, { version: '2.31' })).status).toBe(404);
    });

    it('answers 404 for an unknown snapshot', async () => {
      // Act
      const res = await api.call('GET', '/v2/snapshots/nope');

      // Assess
      expect(res.status).toBe(404);
      expect(res.body.itemNotFound.message).toBe('Snapshot nope could not be found.');
    });
  });

  describe('DELETE /snapshots/{id}', () => {
    it('deletes it (202); then its share can be deleted, which it could not be before', async () => {
      // Prepare
      const share = await seedShare(api);
      const snapshot = (await api.call('POST', '/v2/snapshots', { body: snapshotBody(share.id) })).body.snapshot;
      const refused = await api.call('DELETE', `/v2/shares/${share.id}`);

      // Act
      const res = await api.call('DELETE', `/v2/snapshots/${snapshot.id}`);

      // Assess
      expect(refused.status).toBe(403);
      expect(refused.body.forbidden.message).toMatch(/^Invalid share: Share still has 1 dependent snapshots\./);
      expect(res.status).toBe(202);
      expect(res.text).toBe('');
      expect((await api.call('GET', `/v2/snapshots/${snapshot.id}`)).status).toBe(404);
      expect((await api.call('DELETE', `/v2/shares/${share.id}`)).status).toBe(202);
    });

    it('is refused while a migration holds the share', async () => {
      // Prepare
      const share = await seedShare(api);
      const snapshot = (await api.call('POST', '/v2/snapshots', { body: snapshotBody(share.id) })).body.snapshot;
      await api.call('POST', `/v2/shares/${share.id}/action`, {
        body: { migration_start: { host: 'local@beta#default', writable: true, preserve_metadata: true, preserve_snapshots: true, nondisruptive: false } },
      });

      // Act
      const res = await api.call('DELETE', `/v2/snapshots/${snapshot.id}`);

      // Assess
      expect(res.status).toBe(400);
      expect(res.body.badRequest.message).toMatch(/^Share is busy with an active task/);
    });
  });
});
