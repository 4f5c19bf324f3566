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

describe('API: shares', () => {
  describe('POST /shares', () => {
    it('creates a share with the default type and answers 200 with the detail view', async () => {
      // Act
      const res = await api.call('POST', '/v2/shares', {
        token: ALICE.token,
        body: { share: { share_proto: 'nfs', size: '2', name: 'web', metadata: { team: 'a', tier: 1 }, snapshot_id: null, scheduler_hints: {} } },
      });

      // Assess
      expect(res.status).toBe(200);
      const share = res.body.share;
      expect(share).toMatchObject({
        name: 'web',
        size: 2,
        share_proto: 'NFS',
        status: 'available',
        share_type_name: 'default',
        metadata: { team: 'a', tier: '1' },
        project_id: ALICE.projectId,
        user_id: ALICE.userId,
        is_public: false,
        task_state: null,
      });
      expect(share).not.toHaveProperty('host');
      expect(share.links).toEqual([
        { href: `${api.url}/v2/${ALICE.projectId}/shares/${share.id}`, rel: 'self' },
        { href: `${api.url}/${ALICE.projectId}/shares/${share.id}`, rel: 'bookmark' },
      ]);
    });

    it.each([
      [{ share_proto: 'NFS', size: 0 }, "Share size '0' must be an integer and greater than 0"],
      [{ share_proto: 'NFS', size: 'big' }, "Share size 'big' must be an integer and greater than 0"],
      [{ share_proto: 'NFSv9', size: 1 }, "Invalid share protocol provided: NFSv9. It is either disabled or unsupported. Available protocols: ['NFS', 'CIFS']"],
      [{ share_proto: 'NFS', size: 1, share_type: 'a', volume_type: 'b' }, 'Cannot specify both share_type and volume_type'],
      [{ share_proto: 'NFS', size: 1, is_public: 'perhaps' }, 'Invalid value perhaps for is_public. Expecting a boolean.'],
    ])('refuses %j with 400', async (share, message) => {
      const res = await api.call('POST', '/v2/shares', { body: { share } });

      expect(res.status).toBe(400);
      expect(res.body).toEqual({ badRequest: { code: 400, message } });
    });

    it('places the share with the only_host hint from 2.67, for admins only', async () => {
      const hint = { scheduler_hints: { only_host: 'local@beta#default' } };
      const share = (extra: object) => ({ share: { share_proto: 'NFS', size: 1, ...extra } });

      const placed = await api.call('POST', '/v2/shares', { body: share(hint) });
      const ignoredBefore267 = await api.call('POST', '/v2/shares', { version: '2.66', body: share(hint) });
      const tenant = await api.call('POST', '/v2/shares', { token: ALICE.token, body: share(hint) });
      const badHost = await api.call('POST', '/v2/shares', { body: share({ scheduler_hints: { only_host: 'beta' } }) });

      expect(placed.body.share.host).toBe('local@beta#default');
      expect((await api.call('GET', `/v2/shares/${ignoredBefore267.body.share.id}`)).body.share.host).toBe('local@alpha#default');
      expect(tenant.status).toBe(403);
      expect(badHost.status).toBe(400);
    });

    it('answers 422 without a share object, and 404 for an unknown share type', async () => {
      const noEntity = await api.call('POST', '/v2/shares', { body: { volume: {} } });
      const noType = await api.call('POST', '/v2/shares', { body: { share: { share_proto: 'NFS', size: 1, share_type: 'gold' } } });

      expect(noEntity.status).toBe(422);
      expect(noType.status).toBe(404);
      expect(noType.body.itemNotFound.message).toContain('gold');
    });
  });

  describe('GET /shares, /shares/detail, /shares/{id}', () => {
    it.each([['/v2/shares'], [`/v2/${ALICE.projectId}/shares`], ['/shares']])('lists summaries at %s', async (path) => {
      const share = await seedShare(api, ALICE);

      const res = await api.call('GET', path, { token: ALICE.token });

      expect(res.status).toBe(200);
      expect(res.body.shares).toEqual([{ id: share.id, name: 'data', links: expect.any(Array) }]);
    });

    it('lists details with filters, paging and count', async () => {
      const first = await seedShare(api, ALICE, { name: 'one' });
      await seedShare(api, ALICE, { name: 'two' });

      const byName = await api.call('GET', '/v2/shares/detail?name=one', { token: ALICE.token });
      const paged = await api.call('GET', '/v2/shares/detail?sort_key=name&sort_dir=asc&limit=1&offset=1&with_count=true', { token: ALICE.token });
      const badLimit = await api.call('GET', '/v2/shares?limit=-1', { token: ALICE.token });

      expect(byName.body.shares.map((s: { id: string }) => s.id)).toEqual([first.id]);
      expect(byName.body.shares[0].share_proto).toBe('NFS');
      expect(paged.body.shares.map((s: { name: string }) => s.name)).toEqual(['two']);
      expect(paged.body.count).toBe(2);
      expect(badLimit.status).toBe(400);
      expect(badLimit.body.badRequest.message).toBe('limit param must be positive');
    });

    it("keeps tenants to their project's shares, plus public ones when asked", async () => {
      const alices = await seedShare(api, ALICE);
      const bobsPublic = await seedShare(api, BOB, { is_public: true, name: 'pub' });
      await seedShare(api, BOB, { name: 'private' });

      const own = await api.call('GET', '/v2/shares', { token: ALICE.token });
      const withPublic = await api.call('GET', '/v2/shares?is_public=true', { token: ALICE.token });
      const allTenants = await api.call('GET', '/v2/shares?all_tenants=1', { token: ADMIN.token });
      const showOthers = await api.call('GET', `/v2/shares/${bobsPublic.id}`, { token: ALICE.token });
      const deleteOthers = await api.call('DELETE', `/v2/shares/${bobsPublic.id}`, { token: ALICE.token });

      expect(own.body.shares.map((s: { id: string }) => s.id)).toEqual([alices.id]);
      expect(withPublic.body.shares).toHaveLength(2);
      expect(allTenants.body.shares).toHaveLength(3);
      expect(showOthers.status).toBe(200);
      expect(deleteOthers.status).toBe(403);
    });

    it("answers 404 for another project's private share", async () => {
      const bobs = await seedShare(api, BOB);

      const res = await api.call('GET', `/v2/shares/${bobs.id}`, { token: ALICE.token });

      expect(res.status).toBe(404);
    });

    it('shows the host and admin-only export locations to admins only', async () => {
      const share = await seedShare(api, ALICE);

      const asAdmin = await api.call('GET', `/v2/shares/${share.id}`, { token: ADMIN.token, version: '2.8' });
      const asOwner = await api.call('GET', `/v2/shares/${share.id}`, { token: ALICE.token, version: '2.8' });

      expect(asAdmin.body.share.host).toBe('local@alpha#default');
      expect(asAdmin.body.share.export_locations).toHaveLength(2);
      expect(asOwner.body.share).not.toHaveProperty('host');
      expect(asOwner.body.share.export_locations).toHaveLength(1);
    });
  });

  describe('DELETE /shares/{id}', () => {
    it('answers 202 with no body', async () => {
      const share = await seedShare(api, ALICE);

      const res = await api.call('DELETE', `/v2/shares/${share.id}`, { token: ALICE.token });

      expect(res.status).toBe(202);
      expect(res.text).toBe('');
      expect(api.services.shareRecords.has(share.id)).toBe(false);
    });

    it('answers 403 while a migration holds the share, 404 for an unknown share', async () => {
      const share = await seedShare(api);
      await api.services.migrations.start(share.id, migrationRequest());

      const busy = await api.call('DELETE', `/v2/shares/${share.id}`);
      const missing = await api.call('DELETE', '/v2/shares/missing');

      expect(busy.status).toBe(403);
      expect(busy.body.forbidden.message).toContain(share.id);
      expect(missing.status).toBe(404);
    });
  });

  describe('GET /shares/{id}/export_locations', () => {
    it('lists and shows export locations from 2.9', async () => {
      const share = await seedShare(api, ALICE);

      const list = await api.call('GET', `/v2/shares/${share.id}/export_locations`, { token: ALICE.token });
      const location = list.body.export_locations[0];
      const one = await api.call('GET', `/v2/shares/${share.id}/export_locations/${location.id}`, { token: ALICE.token });
      const missing = await api.call('GET', `/v2/shares/${share.id}/export_locations/nope`, { token: ALICE.token });

      expect(list.status).toBe(200);
      expect(list.body.export_locations).toEqual([{ id: expect.any(String), path: expect.stringMatching(/^127\.0\.0\.1:/), preferred: true }]);
      expect(one.body.export_location).toMatchObject({ id: location.id, path: location.path, created_at: expect.any(String) });
      expect(missing.status).toBe(404);
      expect(missing.body.itemNotFound.message).toBe('Export location nope not found.');
    });

    it('adds the instance and admin-only flag for admins', async () => {
      const share = await seedShare(api);

      const list = await api.call('GET', `/v2/shares/${share.id}/export_locations`);

      expect(list.body.export_locations).toHaveLength(2);
      expect(list.body.export_locations[0]).toMatchObject({ share_instance_id: expect.any(String), is_admin_only: false });
    });
  });
});

describe('API: access rules', () => {
  it('allows access with allow_access (2.7+) and answers the rule with its share_id', async () => {
    const share = await seedShare(api, ALICE);

    const res = await action(share.id, { allow_access: { access_type: 'ip', access_to: '10.0.0.0/24', metadata: { k: 'v' } } }, { token: ALICE.token });

    expect(res.status).toBe(200);
    expect(res.body.access).toMatchObject({
      share_id: share.id,
      access_type: 'ip',
      access_to: '10.0.0.0/24',
      access_level: 'rw',
      state: 'active',
      access_key: null,
      metadata: { k: 'v' },
    });
  });

  it('uses the os- action names before 2.7 and the new ones after, each 404 outside its range', async () => {
    const share = await seedShare(api);
    const body = (name: string) => ({ [name]: { access_type: 'ip', access_to: '10.9.0.1', access_level: 'ro' } });

    const legacy = await action(share.id, body('os-allow_access'), { version: '2.6' });
    const legacyLate = await action(share.id, body('os-allow_access'), { version: '2.7' });
    const modernEarly = await action(share.id, body('allow_access'), { version: '2.6' });

    expect(legacy.status).toBe(200);
    expect(legacy.body.access).not.toHaveProperty('access_key');
    expect(legacy.body.access.access_level).toBe('ro');
    expect(legacyLate.status).toBe(404);
    expect(modernEarly.status).toBe(404);
  });

  it('validates access type and level as Manila does', async () => {
    const share = await seedShare(api);

    const cephxEarly = await action(share.id, { allow_access: { access_type: 'cephx', access_to: 'alice' } }, { version: '2.12' });
    const level = await action(share.id, { allow_access: { access_type: 'ip', access_to: '10.0.0.1', access_level: 'rwx' } });
    const missing = await action(share.id, { allow_access: { access_type: 'ip' } });
    const badIp = await action(share.id, { allow_access: { access_type: 'ip', access_to: '10.0.0.300' } });

    expect(cephxEarly.body.badRequest.message).toBe("Only 'ip', 'user', 'cert' access types are supported.");
    expect(level.body.badRequest.message).toBe('Invalid or unsupported share access level: rwx.');
    expect(missing.status).toBe(400);
    expect(badIp.status).toBe(400);
    expect(badIp.body.badRequest.message).toContain('10.0.0.300');
  });

  it('refuses access changes while a migration holds the share (400, as InvalidShare)', async () => {
    const share = await seedShare(api);
    await api.services.migrations.start(share.id, migrationRequest());

    const res = await action(share.id, { allow_access: { access_type: 'ip', access_to: '10.0.0.1' } });

    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toContain('busy');
  });

  it('denies access with 202, and 404 for an unknown rule', async () => {
    const share = await seedShare(api);
    const rule = (await action(share.id, { allow_access: { access_type: 'ip', access_to: '10.0.0.1' } })).body.access;

    const denied = await action(share.id, { deny_access: { access_id: rule.id } });
    const again = await action(share.id, { deny_access: { access_id: rule.id } });
    const noId = await action(share.id, { deny_access: {} });

    expect(denied.status).toBe(202);
    expect(api.services.share(share.id).access_rules).toEqual([]);
    expect(again.status).toBe(404);
    expect(noId.body.badRequest.message).toBe("Must specify 'access_id'.");
  });

  it('lists rules with access_list up to 2.44 and with /share-access-rules from 2.45', async () => {
    const share = await seedShare(api, ALICE);
    const rule = (await action(share.id, { allow_access: { access_type: 'ip', access_to: '10.0.0.1', metadata: { env: 'prod' } } }, { token: ALICE.token })).body.access;

    const viaAction = await action(share.id, { access_list: null }, { token: ALICE.token, version: '2.44' });
    const actionGone = await action(share.id, { access_list: null }, { token: ALICE.token, version: '2.45' });
    const viaResource = await api.call('GET', `/v2/share-access-rules?share_id=${share.id}`, { token: ALICE.token });
    const filtered = await api.call('GET', `/v2/share-access-rules?share_id=${share.id}&metadata=${encodeURIComponent("{'env': 'dev'}")}`, { token: ALICE.token });
    const tooEarly = await api.call('GET', `/v2/share-access-rules?share_id=${share.id}`, { token: ALICE.token, version: '2.44' });

    expect(viaAction.status).toBe(200);
    expect(viaAction.body.access_list).toEqual([expect.objectContaining({ id: rule.id, access_to: '10.0.0.1', created_at: expect.any(String) })]);
    expect(viaAction.body.access_list[0]).not.toHaveProperty('share_id');
    expect(actionGone.status).toBe(404);
    expect(viaResource.body.access_list).toEqual([expect.objectContaining({ id: rule.id, metadata: { env: 'prod' } })]);
    expect(filtered.body.access_list).toEqual([]);
    expect(tooEarly.status).toBe(404);
  });

  it('answers /share-access-rules errors as Manila does', async () => {
    const noShareId = await api.call('GET', '/v2/share-access-rules');
    const unknownShare = await api.call('GET', '/v2/share-access-rules?share_id=nope');
    const unknownRule = await api.call('GET', '/v2/share-access-rules/nope');

    expect(noShareId.body).toEqual({ badRequest: { code: 400, message: "The field 'share_id' has to be specified." } });
    expect(unknownShare.body).toEqual({ badRequest: { code: 400, message: 'Share nope not found.' } });
    expect(unknownRule.body).toEqual({ itemNotFound: { code: 404, message: 'Share access rule nope not found.' } });
  });

  it('shows one rule by id with its share_id, to those who may see the share', async () => {
    const share = await seedShare(api, ALICE);
    const rule = (await action(share.id, { allow_access: { access_type: 'user', access_to: 'alice' } }, { token: ALICE.token })).body.access;

    const mine = await api.call('GET', `/v2/share-access-rules/${rule.id}`, { token: ALICE.token });
    const bobs = await api.call('GET', `/v2/share-access-rules/${rule.id}`, { token: BOB.token });

    expect(mine.body.access).toMatchObject({ id: rule.id, share_id: share.id, access_type: 'user', access_to: 'alice' });
    expect(bobs.status).toBe(404);
  });

  it('answers unknown and malformed actions as Manila does', async () => {
    const share = await seedShare(api);

    const unknown = await action(share.id, { frobnicate: { new_size: 2 } });
    const twoKeys = await action(share.id, { allow_access: {}, deny_access: {} });
    const missingShare = await action('nope', { access_list: null }, { version: '2.40' });

    expect(unknown.body).toEqual({ badRequest: { code: 400, message: 'There is no such action: frobnicate' } });
    expect(twoKeys.body).toEqual({ badRequest: { code: 400, message: 'Malformed request body' } });
    expect(missingShare.status).toBe(404);
  });
});

function action(shareId: string, body: unknown, options: { token?: string; version?: string; experimental?: boolean } = {}) {
  return api.call('POST', `/v2/shares/${shareId}/action`, { ...options, body });
}

function migrationRequest() {
  return {
    host: 'local@beta#default',
    writable: false,
    preserve_metadata: false,
    preserve_snapshots: false,
    nondisruptive: false,
    force_host_assisted_migration: false,
  };
}

