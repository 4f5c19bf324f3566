import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManilaClient } from '../../local/manila-client.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * Manila's access rule states over HTTP on the embedded runtime (manila/common/constants.py ACCESS_STATE_*,
 * manila/api/views/share_accesses.py, manila/api/views/shares.py): a new rule is answered `queued_to_apply`
 * (2.28+) or `new` (before), is `applying` while the driver works and `active` (or `error`) after; the
 * share's access_rules_status (2.10+) is `syncing` (`out_of_sync` before 2.28) meanwhile; deny goes
 * through `queued_to_deny`/`denying` and removes the rule. The `slow` backend's driver takes 1.5 s per
 * rule set, the `broken` one fails.
 */
describe('API: access rule states', () => {
  let t: TestRuntime;
  const at = (version: string) => new ManilaClient(t.runtime.url, t.runtime.adminToken, version);
  const allow = (client: ManilaClient, shareId: string, to: string) =>
    client.expect(200, 'POST', `/shares/${shareId}/action`, { allow_access: { access_type: 'ip', access_to: to, access_level: 'rw' } });
  const rules = async (client: ManilaClient, shareId: string) =>
    (await client.expect(200, 'GET', `/share-access-rules?share_id=${shareId}`)).access_list as { id: string; state: string }[];
  const waitFor = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 25));
  };

  beforeAll(async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-access-states-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'slow', root: path.join(dataDir, 'slow'), pools: [{ name: 'default' }], faults: { delay_ms: { applyAccessRules: 1500 } } },
          { backend: 'broken', root: path.join(dataDir, 'broken'), pools: [{ name: 'default' }], faults: { fail: { applyAccessRules: 'export table full' } } },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  describe('POST /shares/{id}/action allow_access', () => {
    it.each([
      ['2.28', 'queued_to_apply'],
      ['2.72', 'queued_to_apply'],
      ['2.27', 'new'],
      ['2.7', 'new'],
    ])('at %s answers the new rule as %s', async (version, state) => {
      // Prepare
      const share = await t.client.createShare({ name: `answer-${version}`, onlyHost: 'local@slow#default' });

      // Act
      const answer = await allow(at(version), share.id, '10.0.0.1');

      // Assess
      expect(answer.access.state).toBe(state);
      expect((await rules(t.client, share.id)).map((r) => r.state)).toEqual(['active']);
    }, 30_000);

    it('shows the rule applying and the share syncing while the driver applies it, then active', async () => {
      // Prepare
      const share = await t.client.createShare({ name: 'applying', onlyHost: 'local@slow#default' });

      // Act
      const allowed = allow(t.client, share.id, '10.0.0.2');
      await waitFor(async () => (await rules(t.client, share.id)).some((r) => r.state === 'applying'));
      const during = { rules: await rules(t.client, share.id), share: await t.client.share(share.id), legacy: await at('2.27').share(share.id) };
      await allowed;

      // Assess
      expect(during.rules.map((r) => r.state)).toEqual(['applying']);
      expect(during.share.access_rules_status).toBe('syncing');
      expect(during.legacy.access_rules_status).toBe('out_of_sync');
      expect((await rules(t.client, share.id)).map((r) => r.state)).toEqual(['active']);
      expect((await t.client.share(share.id)).access_rules_status).toBe('active');
    }, 30_000);

    it("before 2.28 shows every rule with its share's status: new while any rule is being applied", async () => {
      // Prepare
      const share = await t.client.createShare({ name: 'legacy-list', onlyHost: 'local@slow#default' });
      await allow(t.client, share.id, '10.0.1.1');
      const legacyList = async () => (await at('2.27').expect(200, 'POST', `/shares/${share.id}/action`, { access_list: null }))
        .access_list.map((r: { access_to: string; state: string }) => [r.access_to, r.state]);

      // Act
      const allowed = allow(t.client, share.id, '10.0.1.2');
      await waitFor(async () => (await rules(t.client, share.id)).some((r) => r.state === 'applying'));
      const during = await legacyList();
      await allowed;

      // Assess
      expect(during).toEqual([['10.0.1.1', 'new'], ['10.0.1.2', 'new']]);
      expect(await legacyList()).toEqual([['10.0.1.1', 'active'], ['10.0.1.2', 'active']]);
    }, 30_000);

    it('puts the rule and the share in error when the driver fails, and still answers 200', async () => {
      // Prepare
      const share = await t.client.createShare({ name: 'broken', onlyHost: 'local@broken#default' });

      // Act
      const answer = await allow(t.client, share.id, '10.0.0.3');

      // Assess
      expect(answer.access.state).toBe('queued_to_apply');
      expect((await rules(t.client, share.id)).map((r) => r.state)).toEqual(['error']);
      expect((await t.client.share(share.id)).access_rules_status).toBe('error');
      expect((await at('2.27').expect(200, 'POST', `/shares/${share.id}/action`, { access_list: null })).access_list.map((r: { state: string }) => r.state)).toEqual(['error']);
    }, 30_000);
  });

  describe('POST /shares/{id}/action deny_access', () => {
    it('moves the rule to denying while the driver works, then removes it', async () => {
      // Prepare
      const share = await t.client.createShare({ name: 'deny', onlyHost: 'local@slow#default' });
      const { access } = await allow(t.client, share.id, '10.0.0.4');

      // Act
      const denied = t.client.request('POST', `/shares/${share.id}/action`, { deny_access: { access_id: access.id } });
      await waitFor(async () => (await rules(t.client, share.id)).some((r) => r.state === 'denying'));
      const during = { rules: await rules(t.client, share.id), share: await t.client.share(share.id) };
      const answer = await denied;

      // Assess
      expect(answer.status).toBe(202);
      expect(during.rules.map((r) => r.state)).toEqual(['denying']);
      expect(during.share.access_rules_status).toBe('syncing');
      expect(await rules(t.client, share.id)).toEqual([]);
      expect((await t.client.share(share.id)).access_rules_status).toBe('active');
    }, 30_000);
  });
});
