import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../lambdas/core/errors.ts';
import type { ShareSnapshotInstance } from '../../lambdas/core/model.ts';
import { LocalDriver } from '../../lambdas/drivers/local/index.ts';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { makeInstance, makeTempDir } from './local-fixtures.ts';

const HOST = 'local@alpha#default';

function snap(id: string, shareInstanceId = 'i1'): ShareSnapshotInstance {
  return { id, share_instance_id: shareInstanceId, status: 'creating', provider_location: null, created_at: '2026-01-01T00:00:00.000Z' };
}

describe('Class: LocalDriver (a share from a snapshot)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let driver: LocalDriver;
  const parent = makeInstance('i1', HOST);
  const child = makeInstance('i2', HOST);
  const creation = { instance: child, pool: 'default', size_gb: 3, share_proto: 'NFS' as const };
  const dataOf = (instance: typeof parent) => path.join(driver.instancePath(instance), 'data');

  beforeEach(async () => {
    ({ dir: root, cleanup } = await makeTempDir());
    driver = new LocalDriver({ host: 'local', backend: 'alpha', root, pools: [{ name: 'default' }], snapshot_support: true });
    await driver.createInstance({ instance: parent, pool: 'default', size_gb: 1, share_proto: 'NFS' });
  });
  afterEach(() => cleanup());

  describe('Method: createInstanceFromSnapshot', () => {
    it('makes a writable instance holding the data as the snapshot took it (modes, times, links), of the size asked', async () => {
      // Prepare
      await fillSampleTree(dataOf(parent));
      const taken = await describeTree(dataOf(parent));
      await driver.createSnapshot(parent, snap('s1'));
      await writeFile(path.join(dataOf(parent), 'later.txt'), 'after the snapshot');

      // Act
      const locations = await driver.createInstanceFromSnapshot(creation, parent, snap('s1'));

      // Assess
      expect(locations.map((l) => l.path)).toEqual([dataOf(child)]);
      expect(await describeTree(dataOf(child))).toEqual(taken);
      expect(JSON.parse(await readFile(path.join(driver.instancePath(child), 'instance.json'), 'utf8'))).toMatchObject({ instance_id: 'i2', size_gb: 3 });
      expect((await stat(dataOf(child))).mode & 0o7777).toBe((await stat(dataOf(parent))).mode & 0o7777);
      await writeFile(path.join(dataOf(child), 'docs/file-0.txt'), 'the new share is writable');
      await writeFile(path.join(dataOf(child), 'at-the-root.txt'), 'so is its root');
      expect(await describeTree(path.join(driver.instancePath(parent), 'snapshots', 's1', 'data'))).toMatchObject({ 'docs/file-0.txt': { sha256: taken['docs/file-0.txt']!.sha256 } });
    });

    it('is idempotent: an instance already made is kept as it is', async () => {
      // Prepare
      await fillSampleTree(dataOf(parent), 4);
      await driver.createSnapshot(parent, snap('s1'));
      await driver.createInstanceFromSnapshot(creation, parent, snap('s1'));
      await writeFile(path.join(dataOf(child), 'written-since.txt'), 'kept');

      // Act
      await driver.createInstanceFromSnapshot(creation, parent, snap('s1'));

      // Assess
      expect(Object.keys(await describeTree(dataOf(child)))).toContain('written-since.txt');
    });

    it('refuses a snapshot the source instance does not have, creating nothing', async () => {
      // Act
      const attempt = driver.createInstanceFromSnapshot(creation, parent, snap('missing'));

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(DriverError);
      await expect(attempt).rejects.toThrow(/Snapshot missing of instance i1 does not exist/);
      expect((await driver.listPools())[0]).toMatchObject({ create_share_from_snapshot_support: true, allocated_capacity_gb: 1 });
    });
  });
});
