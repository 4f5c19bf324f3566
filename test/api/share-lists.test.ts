import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SHARE_SORT_KEYS } from '../../lambdas/core/shares/share-list.ts';
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

/** Names every object inherits, and one no list has: none of them is a sort key. */
const NOT_SORT_KEYS = ['__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'constructor', 'toString', 'propertyIsEnumerable', '__defineGetter__', 'colour'];

const ids = (body: { shares?: { id: string }[]; snapshots?: { id: string }[] }): string[] => (body.shares ?? body.snapshots ?? []).map((s) => s.id);

describe('API: share and snapshot lists', () => {
  describe('sort_key', () => {
    it.each(NOT_SORT_KEYS.flatMap((key) => ['/v2/shares', '/v2/shares/detail', '/v2/snapshots', '/v2/snapshots/detail'].map((path) => [path, key])))(
      'GET %s?sort_key=%s is a 400 naming the key',
      async (path, key) => {
        // Prepare
        const share = await seedShare(api);
        await api.call('POST', '/v2/snapshots', { body: { snapshot: { share_id: share.id } } });

        // Act
        const res = await api.call('GET', `${path}?sort_key=${encodeURIComponent(key)}`);

        // Assess
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ badRequest: { code: 400, message: `Wrong sorting key provided - '${key}'.` } });
      },
    );

    it.each([...SHARE_SORT_KEYS.keys()])('sorts shares by Manila\'s sort key %s', async (key) => {
      // Prepare
      const first = await seedShare(api, ADMIN, { name: 'a', size: 1 });
      const second = await seedShare(api, ADMIN, { name: 'b', size: 2 });

      // Act
      const res = await api.call('GET', `/v2/shares?sort_key=${key}&sort_dir=asc`);

      // Assess
      expect(res.status).toBe(200);
      expect(ids(res.body).sort()).toEqual([first.id, second.id].sort());
    });

    it.each(['id', 'created_at', 'updated_at', 'name', 'display_name', 'description', 'display_description', 'status', 'size', 'share_size', 'share_id', 'share_proto', 'project_id', 'user_id'])(
      'sorts snapshots by Manila\'s sort key %s',
      async (key) => {
        // Prepare
        const share = await seedShare(api);
        await api.call('POST', '/v2/snapshots', { body: { snapshot: { share_id: share.id, name: 'x' } } });

        // Act
        const res = await api.call('GET', `/v2/snapshots?sort_key=${key}&sort_dir=DESC`);

        // Assess
        expect(res.status).toBe(200);
        expect(res.body.snapshots).toHaveLength(1);
      },
    );

    it.each(['/v2/types', '/v2/scheduler-stats/pools/detail', '/v2/share-networks', '/v2/security-services', '/v2/migration-schedules', '/v2/share-access-rules?share_id={share}', '/v2/shares/{share}/migrations'])(
      'GET %s, a list without sort keys, ignores sort_key=__proto__ as Manila does',
      async (path) => {
        // Prepare
        const share = await seedShare(api);

        // Act
        const res = await api.call('GET', `${path.replace('{share}', share.id)}${path.includes('?') ? '&' : '?'}sort_key=__proto__&sort_dir=constructor`);

        // Assess
        expect(res.status).toBe(200);
      },
    );

    it('refuses a direction other than asc and desc', async () => {
      const res = await api.call('GET', '/v2/shares?sort_key=name&sort_dir=sideways');

      expect(res.status).toBe(400);
      expect(res.body.badRequest.message).toBe("Wrong sorting data provided: sort key is 'name' and sort direction is 'sideways'.");
    });
  });

  describe('limit, offset and marker', () => {
    it('links the next page when a limit fills the page, and the marker walks every share once', async () => {
      // Prepare
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await seedShare(api, ALICE, { name: `n${i}` })).id);
      await seedShare(api, BOB);

      // Act
      const walked: string[] = [];
      const links: unknown[] = [];
      let next: string | undefined = '/v2/shares/detail?sort_key=name&sort_dir=asc&limit=2';
      while (next !== undefined) {
        const res = await api.call('GET', next, { token: ALICE.token });
        expect(res.status).toBe(200);
        walked.push(...ids(res.body));
        links.push(res.body.shares_links);
        const href: string | undefined = res.body.shares_links?.[0]?.href;
        next = href === undefined ? undefined : href.slice(api.url.length);
      }

      // Assess
      expect(walked).toEqual(created);
      expect(links).toEqual([
        [{ rel: 'next', href: `${api.url}/v2/${ALICE.projectId}/shares/detail?sort_key=name&sort_dir=asc&limit=2&marker=${created[1]}` }],
        [{ rel: 'next', href: `${api.url}/v2/${ALICE.projectId}/shares/detail?sort_key=name&sort_dir=asc&limit=2&marker=${created[3]}` }],
        undefined,
      ]);
    });

    it('starts after the marker, then skips the offset', async () => {
      // Prepare
      const created: string[] = [];
      for (let i = 0; i < 5; i++) created.push((await seedShare(api, ALICE, { name: `n${i}` })).id);

      // Act
      const res = await api.call('GET', `/v2/shares?sort_key=name&sort_dir=asc&marker=${created[0]}&offset=1&limit=2`, { token: ALICE.token });

      // Assess
      expect(ids(res.body)).toEqual([created[2], created[3]]);
    });

    it('refuses a marker that names no share the caller may list, with 400', async () => {
      // Prepare
      const bobs = await seedShare(api, BOB);

      // Act
      const unknown = await api.call('GET', '/v2/shares?marker=no-such-share', { token: ALICE.token });
      const others = await api.call('GET', `/v2/shares?marker=${bobs.id}`, { token: ALICE.token });
      const tooLong = await api.call('GET', `/v2/shares?marker=${'x'.repeat(3000)}`, { token: ALICE.token });

      // Assess
      expect(unknown.status).toBe(400);
      expect(unknown.body.badRequest.message).toBe('The marker no-such-share could not be found.');
      expect(others.status).toBe(400);
      expect(tooLong.status).toBe(400);
    });

    it('pages snapshots with the same parameters', async () => {
      // Prepare
      const share = await seedShare(api);
      const snapshots: string[] = [];
      for (const name of ['a', 'b', 'c']) snapshots.push((await api.call('POST', '/v2/snapshots', { body: { snapshot: { share_id: share.id, name } } })).body.snapshot.id);

      // Act
      const first = await api.call('GET', '/v2/snapshots?sort_key=name&sort_dir=asc&limit=2');
      const rest = await api.call('GET', `/v2/snapshots?sort_key=name&sort_dir=asc&limit=2&marker=${snapshots[1]}`);
      const badMarker = await api.call('GET', '/v2/snapshots?marker=nope');

      // Assess
      expect(ids(first.body)).toEqual(snapshots.slice(0, 2));
      expect(first.body.snapshots_links).toEqual([{ rel: 'next', href: `${api.url}/v2/${ADMIN.projectId}/snapshots?sort_key=name&sort_dir=asc&limit=2&marker=${snapshots[1]}` }]);
      expect(ids(rest.body)).toEqual([snapshots[2]]);
      expect(badMarker.status).toBe(400);
    });

    it.each([['limit=-1', 'limit param must be positive'], ['limit=x', 'limit param must be an integer'], ['offset=-1', 'offset param must be positive'], ['offset=2147483648', 'offset param must be less than or equal to 2147483647']])(
      'refuses %s with 400',
      async (param, message) => {
        const res = await api.call('GET', `/v2/shares?${param}`);

        expect(res.status).toBe(400);
        expect(res.body.badRequest.message).toBe(message);
      },
    );

    it('counts every share the query matches, not only the page', async () => {
      // Prepare
      for (let i = 0; i < 3; i++) await seedShare(api, ALICE);

      // Act
      const res = await api.call('GET', '/v2/shares?with_count=true&limit=1', { token: ALICE.token });

      // Assess
      expect(res.body.count).toBe(3);
      expect(res.body.shares).toHaveLength(1);
    });
  });
});
