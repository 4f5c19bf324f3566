import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../lambdas/core/errors.ts';
import { ShareShrinkingPossibleDataLossError } from '../../lambdas/core/shares/resize-errors.ts';
import { LocalDriver } from '../../lambdas/drivers/local/index.ts';
import { makeInstance, makeTempDir } from './local-fixtures.ts';

const GIB = 1024 ** 3;

/** extendInstance / shrinkInstance on a real folder (lambdas/drivers/local/resize.ts). */
describe('Class: LocalDriver (resize)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let driver: LocalDriver;
  const instance = makeInstance('i1', 'local@alpha#small');
  const recordedSize = async () => JSON.parse(await readFile(path.join(driver.instancePath(instance), 'instance.json'), 'utf8')).size_gb;

  beforeEach(async () => {
    ({ dir: root, cleanup } = await makeTempDir());
    driver = new LocalDriver({ host: 'local', backend: 'alpha', root, pools: [{ name: 'small', total_capacity_gb: 5 }] });
    await driver.createInstance({ instance, pool: 'small', size_gb: 2, share_proto: 'NFS' });
  });
  afterEach(() => cleanup());

  describe('Method: extendInstance', () => {
    it('records the new size, which the pool counts as allocated', async () => {
      // Act
      await driver.extendInstance(instance, 4);

      // Assess
      expect(await recordedSize()).toBe(4);
      expect((await driver.listPools())[0]).toMatchObject({ allocated_capacity_gb: 4, free_capacity_gb: 1 });
    });

    it("refuses an increase past the pool's configured capacity, naming what is left, and records nothing", async () => {
      const refusal = await driver.extendInstance(instance, 6).catch((err: unknown) => err);

      expect(refusal).toBeInstanceOf(DriverError);
      expect((refusal as Error).message).toContain('Pool small of local@alpha has 3 GiB unallocated, 4 GiB more were asked for instance i1');
      expect(await recordedSize()).toBe(2);
    });

    it('refuses an instance that does not exist', async () => {
      await expect(driver.extendInstance(makeInstance('gone', 'local@alpha#small'), 3)).rejects.toThrow(/does not exist/);
    });
  });

  describe('Method: shrinkInstance', () => {
    it('records the new size when the data fits', async () => {
      await driver.shrinkInstance(instance, 1);

      expect(await recordedSize()).toBe(1);
    });

    it('refuses below the bytes the files take (their sizes, sparse ones included) with the data-loss error', async () => {
      // Prepare
      const file = await open(path.join(driver.instancePath(instance), 'data', 'big'), 'w');
      await file.truncate(1.5 * GIB);
      await file.close();

      // Act
      const refusal = await driver.shrinkInstance(instance, 1).catch((err: unknown) => err);

      // Assess
      expect(refusal).toBeInstanceOf(ShareShrinkingPossibleDataLossError);
      expect(refusal).toMatchObject({ shareId: 'share-1', message: 'Share share-1 could not be shrunk due to possible data loss' });
      expect(await recordedSize()).toBe(2);
    });
  });
});
