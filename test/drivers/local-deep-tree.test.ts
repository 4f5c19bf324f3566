import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ShareSnapshotInstance } from '../../lambdas/core/model.ts';
import { LocalDriver, readOriginalModes } from '../../lambdas/drivers/local/index.ts';
import { removeTree } from '../../lambdas/drivers/local/fs-util.ts';
import { buildDeepTree, deepBottomRel, DEEP_FILES, pathExists, readDeepTree } from './deep-tree.ts';
import { makeInstance, makeRule } from './local-fixtures.ts';

const HOST = 'local@alpha#default';

function snap(id: string): ShareSnapshotInstance {
  return { id, share_instance_id: 'i1', status: 'creating', provider_location: null, created_at: '2026-01-01T00:00:00.000Z' };
}

/** `tree` with every mode's write bits removed, as read-only mode leaves it. */
function writeStripped(tree: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tree).map(([rel, entry]) => {
      const [kind, mode, ...rest] = entry.split(' ');
      return [rel, [kind, (parseInt(mode!, 8) & ~0o222).toString(8), ...rest].join(' ')];
    }),
  );
}

/**
 * Issue 16 (5): a share whose tree is deeper than PATH_MAX (22 nested 200-byte folder names) must go
 * read-only and back, be snapshotted, and be deleted like any other: every walk of the data reaches such
 * paths a part at a time, where plain paths fail ENAMETOOLONG.
 */
describe('Class: LocalDriver (trees deeper than PATH_MAX)', () => {
  let root: string;
  let driver: LocalDriver;
  const instance = makeInstance('i1', HOST);
  const data = () => path.join(driver.instancePath(instance), 'data');
  const bottomFile = (name: string) => `${deepBottomRel().toString('latin1')}/${name}`;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'smig-local-deep-'));
    driver = new LocalDriver({ host: 'local', backend: 'alpha', root, pools: [{ name: 'default' }], snapshot_support: true });
    await driver.createInstance({ instance, pool: 'default', size_gb: 1, share_proto: 'NFS' });
    const bottom = await buildDeepTree(data());
    expect(bottom.length).toBeGreaterThan(4096);
  });
  // rm -r would fail on these trees as the driver used to (ENAMETOOLONG).
  afterEach(() => removeTree(root));

  describe('Method: applyAccessRules', () => {
    it('strips every write bit at any depth, records the originals, and restores them exactly', async () => {
      // Prepare
      const before = await readDeepTree(data());
      const modesFile = path.join(driver.instancePath(instance), 'readonly-modes.json');

      // Act
      await driver.applyAccessRules(instance, [makeRule('r1', '10.0.0.1', 'rw')], { readOnly: true });
      const readOnly = await readDeepTree(data());
      const recorded = await readOriginalModes(modesFile);
      await driver.applyAccessRules(instance, [makeRule('r1', '10.0.0.1', 'rw')], { readOnly: false });

      // Assess
      expect(readOnly).toEqual(writeStripped(before));
      for (const file of DEEP_FILES) expect(recorded.get(bottomFile(file.name))).toBe(file.mode);
      expect(recorded.size).toBe(Object.keys(before).length);
      expect(await readDeepTree(data())).toEqual(before);
      expect(await pathExists(modesFile)).toBe(false);
    });
  });

  describe('Method: createSnapshot', () => {
    it('copies the whole deep tree, read-only, keeping the real modes in its record; deleteSnapshot removes it', async () => {
      // Prepare
      const before = await readDeepTree(data());

      // Act
      await driver.createSnapshot(instance, snap('s1'));
      const mount = await driver.getSnapshotMount(instance, snap('s1'));
      const copied = await readDeepTree(mount.path);
      const originals = await readOriginalModes(mount.originalModesFile);
      await driver.deleteSnapshot(instance, snap('s1'));

      // Assess
      expect(copied).toEqual(writeStripped(before));
      for (const file of DEEP_FILES) expect(originals.get(bottomFile(file.name))).toBe(file.mode);
      expect(await pathExists(path.dirname(mount.path))).toBe(false);
    });
  });

  describe('Method: deleteInstance', () => {
    it('removes a read-only instance whose tree is deeper than PATH_MAX, and succeeds again when it is gone', async () => {
      // Prepare
      await driver.applyAccessRules(instance, [], { readOnly: true });
      const dir = driver.instancePath(instance);

      // Act
      await driver.deleteInstance(instance);
      await driver.deleteInstance(instance);

      // Assess
      expect(await pathExists(dir)).toBe(false);
      expect(await pathExists(path.join(root, 'default', `.deleting-share-${instance.id}`))).toBe(false);
    });
  });
});
