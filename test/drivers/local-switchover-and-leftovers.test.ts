import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../lambdas/core/errors.ts';
import { FaultInjectingDriver, faultsProblem } from '../../lambdas/drivers/faults/fault-injecting-driver.ts';
import { LocalDriver } from '../../lambdas/drivers/local/index.ts';
import { makeInstance, makeTempDir } from './local-fixtures.ts';

const SINCE = new Date('2026-01-01T00:00:00.000Z');

describe('Class: LocalDriver (switchover and leftovers)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  const instance = makeInstance('i-1', 'local@alpha#p1');
  let local: LocalDriver;

  beforeEach(async () => {
    ({ dir: root, cleanup } = await makeTempDir());
    local = new LocalDriver({ backend: 'alpha', root, pools: [{ name: 'p1' }] });
    await local.createInstance({ instance, pool: 'p1', size_gb: 1, share_proto: 'NFS' });
    await writeFile(path.join((await local.getCopyMount(instance)).path, 'a.txt'), 'alpha');
  });
  afterEach(() => cleanup());

  describe('Method: switchoverBlockers', () => {
    it('answers that its read-only mode holds for every client: nothing to count, nothing to wait for', async () => {
      // Act & Assess
      await expect(local.switchoverBlockers(instance, SINCE)).resolves.toEqual({
        clear: true, connections: 0, scope: 'enforced', clearSince: SINCE.toISOString(), detail: expect.stringContaining('write bits removed'),
      });
    });
  });

  describe('Method: dataLeftBehind', () => {
    it('answers nothing once the instance is deleted, and refuses an instance that still exists', async () => {
      // Act
      const refusal = await local.dataLeftBehind(instance).catch((err: unknown) => err);
      await local.deleteInstance(instance);
      const left = await local.dataLeftBehind(instance);

      // Assess
      expect(refusal).toBeInstanceOf(DriverError);
      expect((refusal as Error).message).toContain('still exists');
      expect(left).toBeNull();
    });
  });

  describe('Class: FaultInjectingDriver', () => {
    it('with switchover_connections, reports the clients for the first polls, then answers as the wrapped driver', async () => {
      // Prepare
      const driver = new FaultInjectingDriver(local, { switchover_connections: { connections: 2, polls: 1, retry_after_seconds: 1 } });

      // Act
      const first = await driver.switchoverBlockers(instance, SINCE);
      const second = await driver.switchoverBlockers(instance, SINCE);

      // Assess
      expect(first).toMatchObject({ clear: false, connections: 2, scope: 'instance', retryAfterSeconds: 1 });
      expect(second).toMatchObject({ clear: true, scope: 'enforced' });
    });

    it('with leave_data_on_delete, leaves the data where dataLeftBehind names it for the purge task', async () => {
      // Prepare
      const driver = new FaultInjectingDriver(local, { leave_data_on_delete: true });

      // Act
      await driver.deleteInstance(instance);
      const left = await driver.dataLeftBehind(instance);

      // Assess
      expect(left).toEqual({ mount: { path: path.join(root, '.leftover') }, folder: 'shares/share-i-1', location: expect.stringContaining('shares/share-i-1') });
      expect(await readFile(path.join(root, '.leftover', 'shares', 'share-i-1', 'a.txt'), 'utf8')).toBe('alpha');
      await expect(access(path.join(root, 'p1', 'share-i-1'))).rejects.toThrow();
    });

    it.each([
      [{ switchover_connections: { connections: 0 } }, 'switchover_connections connections must be a whole number above 0'],
      [{ switchover_connections: { connections: 1, scope: 'everyone' } }, "switchover_connections scope must be 'instance' or 'shared'"],
      [{ switchover_connections: { connections: 1, extra: 1 } }, 'switchover_connections has unknown key(s) extra'],
      [{ leave_data_on_delete: 'yes' }, 'leave_data_on_delete must be true or false'],
    ])('refuses the fault %j: %s', (faults, problem) => {
      // Act & Assess
      expect(faultsProblem(faults)).toBe(problem);
    });
  });
});
