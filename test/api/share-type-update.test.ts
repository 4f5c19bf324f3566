import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManilaClient } from '../../local/manila-client.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * PUT /v2/types/{id} (2.50+) over HTTP on the embedded runtime, as manila/api/v2/share_types.py update
 * answers it: name, description and share_type_access:is_public, each optional, one required.
 */
describe('API: share type update', () => {
  let t: TestRuntime;
  let seq = 0;
  const at = (version: string) => new ManilaClient(t.runtime.url, t.runtime.adminToken, version);
  const newType = async () => (await t.client.expect(200, 'POST', '/types', {
    share_type: { name: `type-${++seq}`, description: 'first', extra_specs: { driver_handles_share_servers: false } },
  })).share_type;

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  describe('PUT /types/{id}', () => {
    it('changes name, description and visibility and answers the type', async () => {
      // Prepare
      const type = await newType();

      // Act
      const answer = await t.client.expect(200, 'PUT', `/types/${type.id}`, {
        share_type: { name: `renamed-${seq}`, description: 'second', 'share_type_access:is_public': false },
      });

      // Assess
      expect(answer.share_type).toMatchObject({ id: type.id, name: `renamed-${seq}`, description: 'second', 'share_type_access:is_public': false });
      const shown = (await t.client.expect(200, 'GET', `/types/${type.id}`)).share_type;
      expect(shown).toMatchObject({ name: `renamed-${seq}`, description: 'second', 'share_type_access:is_public': false });
    });

    it('changes only what is given, and clears the description with ""', async () => {
      const type = await newType();

      const renamed = await t.client.expect(200, 'PUT', `/types/${type.id}`, { share_type: { name: `only-name-${seq}` } });
      const cleared = await t.client.expect(200, 'PUT', `/types/${type.id}`, { share_type: { description: '' } });

      expect(renamed.share_type).toMatchObject({ name: `only-name-${seq}`, description: 'first', 'share_type_access:is_public': true });
      expect(cleared.share_type).toMatchObject({ name: `only-name-${seq}`, description: null });
    });

    it.each([
      [{ share_type: {} }, 'Specify share type name, description, share_type_access:is_public or a combination thereof.'],
      [{ share_type: { name: '   ' } }, 'Share type name cannot be empty.'],
      [{ share_type: { name: 'n'.repeat(256) } }, 'Share type name cannot be greater than 255 characters in length.'],
      [{ share_type: { description: 'd'.repeat(256) } }, 'Share type description cannot be greater than 255 characters in length.'],
      [{ share_type: { 'share_type_access:is_public': 'perhaps' } }, 'share_type_access:is_public has a non-boolean value.'],
    ])('refuses %j with 400 and changes nothing', async (body, message) => {
      const type = await newType();

      const res = await t.client.request('PUT', `/types/${type.id}`, body);

      expect(res).toEqual({ status: 400, body: { badRequest: { code: 400, message } } });
      expect((await t.client.expect(200, 'GET', `/types/${type.id}`)).share_type).toMatchObject({ name: type.name, description: 'first' });
    });

    it("answers 409 for another type's name, 404 for an unknown type and 404 before 2.50 (no such method)", async () => {
      const type = await newType();
      const other = await newType();

      const taken = await t.client.request('PUT', `/types/${type.id}`, { share_type: { name: other.name } });
      const unknown = await t.client.request('PUT', '/types/no-such-type', { share_type: { name: 'x' } });
      const old = await at('2.49').request('PUT', `/types/${type.id}`, { share_type: { name: 'x' } });

      expect(taken.status).toBe(409);
      expect(unknown.status).toBe(404);
      expect(old.status).toBe(404);
    });
  });
});
