import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManilaClient } from '../../local/manila-client.ts';
import { dataDirWithPeople, tokenOf } from '../identity/identity-fixture.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * Share type access over HTTP on the embedded runtime, as manila/api/v2/share_types.py answers it: a private
 * type is listed, shown and used only by the projects granted it (and admins); only admins list and change
 * the grants. alice is a member of p-alpha, bob of p-beta.
 */
describe('API: share type access', () => {
  let t: TestRuntime;
  let alice: ManilaClient;
  let bob: ManilaClient;
  const at = (version: string) => new ManilaClient(t.runtime.url, t.runtime.adminToken, version);
  const typeAction = (client: ManilaClient, typeId: string, body: unknown) => client.request('POST', `/types/${typeId}/action`, body);
  const privateType = async (name: string) =>
    (await t.client.expect(200, 'POST', '/types', {
      share_type: { name, 'share_type_access:is_public': false, extra_specs: { driver_handles_share_servers: 'false' } },
    })).share_type;
  const names = async (client: ManilaClient, query = '') => (await client.expect(200, 'GET', `/types${query}`)).share_types.map((st: any) => st.name);

  beforeAll(async () => {
    t = await startTestRuntime({ dataDir: await dataDirWithPeople() });
    alice = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'alice'));
    bob = new ManilaClient(t.runtime.url, await tokenOf(t.runtime.url, 'bob'));
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('a private type is hidden from a project until it is granted, then listed, shown and usable by it alone', async () => {
    // Prepare
    const type = await privateType('gold-private');
    const hidden = await names(alice);
    const hiddenShow = await alice.request('GET', `/types/${type.id}`);
    const hiddenCreate = await alice.request('POST', '/shares', { share: { share_proto: 'NFS', size: 1, share_type: 'gold-private' } });
    const emptyAccess = await t.client.expect(200, 'GET', `/types/${type.id}/share_type_access`);

    // Act
    const grant = await typeAction(t.client, type.id, { addProjectAccess: { project: 'p-alpha' } });

    // Assess
    expect(hidden).not.toContain('gold-private');
    expect(hiddenShow).toEqual({ status: 404, body: { itemNotFound: { code: 404, message: 'Share type not found.' } } });
    expect(hiddenCreate).toEqual({ status: 404, body: { itemNotFound: { code: 404, message: 'Share type gold-private could not be found.' } } });
    expect(emptyAccess).toEqual({ share_type_access: [] });
    expect(grant).toEqual({ status: 202, body: null });
    expect(await names(alice)).toContain('gold-private');
    expect((await alice.expect(200, 'GET', `/types/${type.id}`)).share_type.name).toBe('gold-private');
    expect((await alice.expect(200, 'POST', '/shares', { share: { share_proto: 'NFS', size: 1, share_type: 'gold-private' } })).share.share_type)
      .toBe(type.id);
    expect(await names(bob)).not.toContain('gold-private');
    expect((await bob.request('GET', `/types/${type.id}`)).status).toBe(404);
    expect(await t.client.expect(200, 'GET', `/types/${type.id}/share_type_access`)).toEqual({
      share_type_access: [{ share_type_id: type.id, project_id: 'p-alpha' }],
    });
  });

  it('removing the grant hides the type again; the admin lists it with is_public=false or all', async () => {
    const type = await privateType('silver-private');
    await t.client.expect(202, 'POST', `/types/${type.id}/action`, { addProjectAccess: { project: 'p-alpha' } });

    const removed = await typeAction(t.client, type.id, { removeProjectAccess: { project: 'p-alpha' } });

    expect(removed).toEqual({ status: 202, body: null });
    expect(await names(alice)).not.toContain('silver-private');
    expect(await names(t.client)).not.toContain('silver-private');
    expect(await names(t.client, '?is_public=false')).toContain('silver-private');
    expect(await names(t.client, '?is_public=all')).toContain('silver-private');
    expect(await t.client.expect(200, 'GET', `/types/${type.id}/share_type_access`)).toEqual({ share_type_access: [] });
  });

  it("answers Manila's errors: 409 granted twice, 404 removing what was not granted, 409 on a public type, 404 an unknown type", async () => {
    const type = await privateType('bronze-private');
    await t.client.expect(202, 'POST', `/types/${type.id}/action`, { addProjectAccess: { project: 'p-alpha' } });
    const publicType = (await t.client.expect(200, 'GET', '/types/default')).share_type;

    const twice = await typeAction(t.client, type.id, { addProjectAccess: { project: 'p-alpha' } });
    const notGranted = await typeAction(t.client, type.id, { removeProjectAccess: { project: 'p-beta' } });
    const addPublic = await typeAction(t.client, publicType.id, { addProjectAccess: { project: 'p-alpha' } });
    const removePublic = await typeAction(t.client, publicType.id, { removeProjectAccess: { project: 'p-alpha' } });
    const listPublic = await t.client.request('GET', `/types/${publicType.id}/share_type_access`);
    const unknown = await typeAction(t.client, 'no-such-type', { addProjectAccess: { project: 'p-alpha' } });

    expect(twice).toEqual({
      status: 409,
      body: { conflictingRequest: { code: 409, message: `Share type access for ${type.id} / p-alpha combination already exists.` } },
    });
    expect(notGranted).toEqual({
      status: 404,
      body: { itemNotFound: { code: 404, message: `Share type access not found for ${type.id} / p-beta combination.` } },
    });
    const publicConflict = { status: 409, body: { conflictingRequest: { code: 409, message: 'Type access modification is not applicable to public share type.' } } };
    expect(addPublic).toEqual(publicConflict);
    expect(removePublic).toEqual(publicConflict);
    expect(listPublic).toEqual({ status: 404, body: { itemNotFound: { code: 404, message: 'Access list not available for public share types.' } } });
    expect(unknown).toEqual({ status: 404, body: { itemNotFound: { code: 404, message: 'Share type no-such-type could not be found.' } } });
  });

  it.each([
    [{ addProjectAccess: {} }, 'Bad project format: project is not in proper format (None)'],
    [{ addProjectAccess: { project: '' } }, 'Bad project format: project is not in proper format ()'],
    [{ addProjectAccess: null }, 'The server could not comply with the request since it is either malformed or otherwise incorrect.'],
    [{ grantEverything: { project: 'p-alpha' } }, 'There is no such action: grantEverything'],
  ])('refuses %j with 400', async (body, message) => {
    const type = await privateType(`bad-${Object.keys(body)[0]}-${Math.random().toString(36).slice(2, 8)}`);

    const answer = await typeAction(t.client, type.id, body);

    expect(answer).toEqual({ status: 400, body: { badRequest: { code: 400, message } } });
  });

  it('is admin only (403 for a member), and the list is os-share-type-access below 2.7', async () => {
    const type = await privateType('copper-private');

    const memberAdd = await typeAction(alice, type.id, { addProjectAccess: { project: 'p-alpha' } });
    const memberList = await alice.request('GET', `/types/${type.id}/share_type_access`);
    const old = await at('2.6').request('GET', `/types/${type.id}/os-share-type-access`);
    const newAtOld = await at('2.6').request('GET', `/types/${type.id}/share_type_access`);
    const oldAtNew = await at('2.7').request('GET', `/types/${type.id}/os-share-type-access`);

    expect(memberAdd).toEqual({ status: 403, body: { forbidden: { code: 403, message: "Policy doesn't allow share_type:add_project_access to be performed." } } });
    expect(memberList.status).toBe(403);
    expect(old).toEqual({ status: 200, body: { share_type_access: [] } });
    expect(newAtOld.status).toBe(404);
    expect(oldAtNew.status).toBe(404);
  });
});
