import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALICE } from './in-memory-services.ts';
import { startTestApi, type TestApi } from './harness.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.reset();
});

/** What `manila type-create NAME false` sends at 2.41+. */
function typeBody(name: string, extra: Record<string, unknown> = {}) {
  return { share_type: { name, 'share_type_access:is_public': true, extra_specs: { driver_handles_share_servers: false }, description: null, ...extra } };
}

describe('API: share types', () => {
  describe('POST /types', () => {
    it('creates a type, writing boolean specs as Manila stores them, and answers both keys', async () => {
      const res = await api.call('POST', '/v2/types', { body: typeBody('default') });

      expect(res.status).toBe(200);
      expect(res.body.share_type).toEqual({
        id: expect.any(String),
        name: 'default',
        extra_specs: { driver_handles_share_servers: 'False' },
        required_extra_specs: { driver_handles_share_servers: 'False' },
        'share_type_access:is_public': true,
        description: null,
        is_default: true,
      });
      expect(res.body.volume_type).toEqual(res.body.share_type);
    });

    it('uses the os- visibility key before 2.7 and leaves out description and is_default', async () => {
      const res = await api.call('POST', '/v2/types', {
        version: '2.6',
        body: { share_type: { name: 'old', 'os-share-type-access:is_public': false, extra_specs: { driver_handles_share_servers: 'true' } } },
      });

      expect(res.body.share_type).toEqual({
        id: expect.any(String),
        name: 'old',
        extra_specs: { driver_handles_share_servers: 'true' },
        required_extra_specs: { driver_handles_share_servers: 'true' },
        'os-share-type-access:is_public': false,
      });
    });

    it.each([
      [{ share_type: { extra_specs: {} } }, 400, 'badRequest', 'Type name is not valid.'],
      [{ share_type: { name: 'x', extra_specs: {} } }, 400, 'badRequest', 'Required extra specification driver_handles_share_servers is missing.'],
      [{ nothing: {} }, 400, 'badRequest', expect.any(String)],
    ])('refuses %j', async (body, status, fault, message) => {
      const res = await api.call('POST', '/v2/types', { body });

      expect(res.status).toBe(status);
      expect(res.body[fault]).toEqual({ code: status, message });
    });

    it('answers 409 conflictingRequest for an existing name', async () => {
      await api.call('POST', '/v2/types', { body: typeBody('gold') });

      const res = await api.call('POST', '/v2/types', { body: typeBody('gold') });

      expect(res.status).toBe(409);
      expect(res.body).toEqual({ conflictingRequest: { code: 409, message: 'Share Type gold already exists.' } });
    });

    it('is admin-only (403)', async () => {
      const res = await api.call('POST', '/v2/types', { token: ALICE.token, body: typeBody('mine') });

      expect(res.status).toBe(403);
      expect(res.body.forbidden.message).toBe("Policy doesn't allow share_type:create to be performed.");
    });
  });

  describe('GET /types, /types/default, /types/{id}', () => {
    it('lists public types to tenants and what is_public asks for to admins', async () => {
      await api.call('POST', '/v2/types', { body: typeBody('public') });
      await api.call('POST', '/v2/types', { body: typeBody('private', { 'share_type_access:is_public': false }) });

      const tenant = await api.call('GET', '/v2/types', { token: ALICE.token });
      const adminDefault = await api.call('GET', '/v2/types');
      const adminAll = await api.call('GET', '/v2/types?is_public=all');
      const bad = await api.call('GET', '/v2/types?is_public=maybe');

      expect(tenant.body.share_types.map((t: { name: string }) => t.name)).toEqual(['public']);
      expect(tenant.body.volume_types).toEqual(tenant.body.share_types);
      expect(adminDefault.body.share_types).toHaveLength(1);
      expect(adminAll.body.share_types).toHaveLength(2);
      expect(bad.body.badRequest.message).toBe('Invalid is_public filter [maybe]');
    });

    it('shows tenants only the tenant-visible extra specs', async () => {
      const created = (await api.call('POST', '/v2/types', { body: typeBody('t', { extra_specs: { driver_handles_share_servers: false, share_backend_name: 'beta', snapshot_support: true } }) })).body.share_type;

      const tenant = await api.call('GET', `/v2/types/${created.id}`, { token: ALICE.token });
      const admin = await api.call('GET', `/v2/types/${created.id}`);

      expect(tenant.body.share_type.extra_specs).toEqual({ driver_handles_share_servers: 'False', snapshot_support: 'True' });
      expect(admin.body.share_type.extra_specs).toHaveProperty('share_backend_name', 'beta');
    });

    it('shows the default type, 404 when there is none', async () => {
      const none = await api.call('GET', '/v2/types/default');
      await api.call('POST', '/v2/types', { body: typeBody('default') });
      const some = await api.call('GET', '/v2/types/default');

      expect(none.body).toEqual({ itemNotFound: { code: 404, message: 'Default share type not found' } });
      expect(some.body.share_type.name).toBe('default');
    });

    it('answers 404 for an unknown type', async () => {
      const res = await api.call('GET', '/v2/types/nope');

      expect(res.status).toBe(404);
    });
  });

  describe('DELETE /types/{id}', () => {
    it('answers 202 and the type is gone', async () => {
      const created = (await api.call('POST', '/v2/types', { body: typeBody('gone') })).body.share_type;

      const res = await api.call('DELETE', `/v2/types/${created.id}`);

      expect(res.status).toBe(202);
      expect((await api.call('GET', `/v2/types/${created.id}`)).status).toBe(404);
    });
  });

  describe('extra specs', () => {
    it('sets (echoing the specs), lists and unsets extra specs', async () => {
      const created = (await api.call('POST', '/v2/types', { body: typeBody('specs') })).body.share_type;
      const base = `/v2/types/${created.id}/extra_specs`;

      const set = await api.call('POST', base, { body: { extra_specs: { snapshot_support: 'True', thin: true } } });
      const listed = await api.call('GET', base);
      const unset = await api.call('DELETE', `${base}/thin`);
      const unsetMissing = await api.call('DELETE', `${base}/thin`);
      const unsetRequired = await api.call('DELETE', `${base}/driver_handles_share_servers`);

      expect(set.status).toBe(200);
      expect(set.body).toEqual({ extra_specs: { snapshot_support: 'True', thin: 'True' } });
      expect(listed.body.extra_specs).toEqual({ driver_handles_share_servers: 'False', snapshot_support: 'True', thin: 'True' });
      expect(unset.status).toBe(202);
      expect(unsetMissing.status).toBe(404);
      expect(unsetRequired.status).toBe(400);
    });

    it('refuses a body without extra_specs and non-admin writers', async () => {
      const created = (await api.call('POST', '/v2/types', { body: typeBody('specs') })).body.share_type;

      const noSpecs = await api.call('POST', `/v2/types/${created.id}/extra_specs`, { body: { specs: {} } });
      const tenant = await api.call('POST', `/v2/types/${created.id}/extra_specs`, { token: ALICE.token, body: { extra_specs: { a: 'b' } } });

      expect(noSpecs.status).toBe(400);
      expect(tenant.status).toBe(403);
    });
  });
});
