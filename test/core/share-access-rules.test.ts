import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriverRegistry, ShareDriver } from '../../lambdas/drivers/driver.ts';
import type { LocalDriver } from '../../lambdas/drivers/local/local-driver.ts';
import { DriverShareService } from '../../lambdas/core/shares/share-service.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * Two allow_access on one share write one after the other, but their driver calls may land in the other
 * order (a slow call, a cold Lambda): the backend must end with the rules of the last write.
 * The runtime's shares over dynalite and its local drivers; only the order of the driver calls is forced.
 */
describe('Class: DriverShareService', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  /** The runtime's drivers, where the first applyAccessRules waits until a later one has finished. */
  function driversApplyingOutOfOrder(inner: DriverRegistry): { drivers: DriverRegistry; firstWaiting: Promise<void> } {
    let calls = 0;
    let reachedFirst!: () => void;
    let releaseFirst!: () => void;
    const firstWaiting = new Promise<void>((resolve) => { reachedFirst = resolve; });
    const laterDone = new Promise<void>((resolve) => { releaseFirst = resolve; });
    const gate = (driver: ShareDriver): ShareDriver => new Proxy(driver, {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown;
        if (property !== 'applyAccessRules') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<ShareDriver['applyAccessRules']>) => {
          calls += 1;
          if (calls === 1) {
            reachedFirst();
            await laterDone;
            return target.applyAccessRules(...args);
          }
          await target.applyAccessRules(...args);
          releaseFirst();
        };
      },
    });
    return { drivers: { forHost: (host) => gate(inner.forHost(host)), all: () => inner.all().map(gate) }, firstWaiting };
  }

  describe('Method: allowAccess', () => {
    it('leaves the backend with every rule when an older rule set reaches the driver last', async () => {
      // Prepare
      const share = await t.client.createShare({ name: 'out-of-order', onlyHost: 'local@alpha#default' });
      const deps = t.runtime.composition.migrationDeps;
      const { drivers, firstWaiting } = driversApplyingOutOfOrder(deps.drivers);
      const service = new DriverShareService({ ...deps, drivers });

      // Act: the first request's driver call waits until the second request has applied its rules
      const first = service.allowAccess(share.id, { access_type: 'ip', access_to: '10.1.0.1', access_level: 'rw' });
      await firstWaiting;
      await service.allowAccess(share.id, { access_type: 'ip', access_to: '10.1.0.2', access_level: 'ro' });
      await first;

      // Assess
      const record = (await deps.shares.get(share.id))!;
      const applied = await (deps.drivers.forHost(record.instances[0]!.host) as LocalDriver).getAccessRules(record.instances[0]!);
      expect(applied?.rules.map((r) => [r.access_to, r.access_level])).toEqual([['10.1.0.1', 'rw'], ['10.1.0.2', 'ro']]);
    });
  });
});
