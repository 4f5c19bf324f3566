import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverError, DriverMigrationCommittedError } from '../../lambdas/core/errors.ts';
import { parseHost } from '../../lambdas/core/host.ts';
import type { DriverMigrationRequest } from '../../lambdas/drivers/driver.ts';
import { FaultInjectingDriver, faultsProblem, type DriverFaults } from '../../lambdas/drivers/faults/fault-injecting-driver.ts';
import { LocalDriver } from '../../lambdas/drivers/local/index.ts';
import { makeInstance, makeTempDir } from './local-fixtures.ts';

describe('Class: FaultInjectingDriver (over the local driver)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  const source = makeInstance('src', 'local@alpha#p1');
  const destination = makeInstance('dst', 'local@alpha#p2', { status: 'migrating_to' });
  const request: DriverMigrationRequest = { source, destination, destinationHost: parseHost('local@alpha#p2') };

  beforeEach(async () => {
    ({ dir: root, cleanup } = await makeTempDir());
  });
  afterEach(() => cleanup());

  async function startedMigration(faults: DriverFaults): Promise<FaultInjectingDriver> {
    const local = new LocalDriver({ backend: 'alpha', root, pools: [{ name: 'p1' }, { name: 'p2' }] });
    await local.createInstance({ instance: source, pool: 'p1', size_gb: 1, share_proto: 'NFS' });
    await writeFile(path.join((await local.getCopyMount(source)).path, 'a.txt'), 'alpha');
    await local.migrationStart(request);
    return new FaultInjectingDriver(local, faults);
  }

  describe('Method: migrationComplete', () => {
    it('with fail_after, does the work, then fails with a DriverError', async () => {
      // Prepare
      const driver = await startedMigration({ fail_after: { migrationComplete: 'answer lost' } });

      // Act & Assess
      await expect(driver.migrationComplete(request)).rejects.toThrow(new DriverError('local@alpha migrationComplete failed after acting: answer lost (injected fault)', { shareId: 'share-1' }));
      await access(path.join(root, 'p2', 'share-dst', 'data', 'a.txt'));
      await expect(access(path.join(root, 'p1', 'share-src'))).rejects.toThrow();
    });
  });

  describe('Method: migrationCancel', () => {
    it('with commit_on_complete, refuses by name once migrationComplete was called, whatever its outcome, and undoes nothing', async () => {
      // Prepare
      const driver = await startedMigration({ commit_on_complete: true, fail: { migrationComplete: 'unreachable' } });
      await expect(driver.migrationComplete(request)).rejects.toThrow(/unreachable/);

      // Act
      const refused = await driver.migrationCancel(request).catch((err: unknown) => err);

      // Assess
      expect(refused).toBeInstanceOf(DriverMigrationCommittedError);
      expect((refused as Error).name).toBe('DriverMigrationCommittedError');
      await access(path.join(root, '.migrations', 'dst.json'));
    });

    it('with commit_on_complete, undoes a migration whose completion was never asked for', async () => {
      // Prepare
      const driver = await startedMigration({ commit_on_complete: true });

      // Act
      await driver.migrationCancel(request);

      // Assess
      await expect(access(path.join(root, '.migrations', 'dst.json'))).rejects.toThrow();
    });
  });
});

describe('Function: faultsProblem', () => {
  it.each([
    [{ fail_after: { migrationComplete: 'lost' } }, null],
    [{ commit_on_complete: true }, null],
    [{ commit_on_complete: 'yes' }, 'commit_on_complete must be true or false'],
    [{ fail_after: { migrate: 'x' } }, expect.stringMatching(/^fail_after\.migrate is not a driver call/)],
    [{ fail_after: { migrationComplete: 1 } }, 'fail_after.migrationComplete has an invalid value'],
  ])('checks %j', (faults, problem) => {
    // Act & Assess
    expect(faultsProblem(faults)).toEqual(problem);
  });
});
