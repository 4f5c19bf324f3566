import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDriver } from '../../lambdas/drivers/local/local-driver.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * Manila accepts every allow_access of a burst on one share: a request whose intent does not depend on
 * the version it read (add this rule) is re-decided on the current record when another request wrote
 * first, instead of answering 409. Through the HTTP API, over dynalite.
 */
describe('Class: DriverShareService', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  describe('Method: allowAccess', () => {
    it.each([10, 50])('accepts %i concurrent allow_access on one share, keeps every rule and applies them all', async (count) => {
      // Prepare
      const share = await t.client.createShare({ name: `burst-${count}`, onlyHost: 'local@alpha#default' });
      const addresses = Array.from({ length: count }, (_, i) => `10.${count}.${Math.floor(i / 250)}.${(i % 250) + 1}`);

      // Act
      const answers = await Promise.all(addresses.map((address) => t.client.action(share.id, {
        allow_access: { access_type: 'ip', access_to: address, access_level: 'rw' },
      })));

      // Assess
      expect(answers.filter((a) => a.status !== 200).map((a) => [a.status, JSON.stringify(a.body)])).toEqual([]);
      const listed = (await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list as { access_to: string; id: string }[];
      expect(listed.map((r) => r.access_to).sort()).toEqual([...addresses].sort());
      expect(new Set(answers.map((a) => a.body.access.id))).toEqual(new Set(listed.map((r) => r.id)));
      // The backend enforces the last rule set written, not an older one an earlier request applied later.
      const record = (await t.runtime.composition.migrationDeps.shares.get(share.id))!;
      const driver = t.runtime.composition.migrationDeps.drivers.forHost(record.instances[0]!.host) as LocalDriver;
      const applied = await driver.getAccessRules(record.instances[0]!);
      expect(applied?.rules.map((r) => r.access_to).sort()).toEqual([...addresses].sort());
    }, 120_000);

    it('still refuses a rule that exists: the second of two identical requests gets 400', async () => {
      // Prepare
      const share = await t.client.createShare({ name: 'burst-duplicate', onlyHost: 'local@alpha#default' });
      const request = { allow_access: { access_type: 'ip', access_to: '10.9.9.9', access_level: 'rw' } };

      // Act
      const answers = await Promise.all([t.client.action(share.id, request), t.client.action(share.id, request)]);

      // Assess
      expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
      expect(JSON.stringify(answers.find((a) => a.status === 400)!.body)).toContain('Share access ip:10.9.9.9 exists');
      expect((await t.client.expect(200, 'GET', `/share-access-rules?share_id=${share.id}`)).access_list).toHaveLength(1);
    });
  });
});
