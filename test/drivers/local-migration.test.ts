import { statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../lambdas/core/errors.ts';
import { parseHost } from '../../lambdas/core/host.ts';
import type { DriverMigrationRequest } from '../../lambdas/drivers/driver.ts';
import { LocalDriver } from '../../lambdas/drivers/local/index.ts';
import { makeInstance, makeRule, makeTempDir, modeOf, snapshotTree } from './local-fixtures.ts';

const SOURCE_HOST = 'local@alpha#p1';
const DESTINATION_HOST = 'local@alpha#p2';

describe('Class: LocalDriver (driver-assisted migration)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let driver: LocalDriver;
  let sourceData: string;
  const source = makeInstance('src', SOURCE_HOST);
  const destination = makeInstance('dst', DESTINATION_HOST, { status: 'migrating_to' });
  const request: DriverMigrationRequest = { source, destination, destinationHost: parseHost(DESTINATION_HOST) };

  beforeEach(async () => {
    ({ dir: root, cleanup } = await makeTempDir());
    driver = new LocalDriver({ backend: 'alpha', root, pools: [{ name: 'p1' }, { name: 'p2' }] });
    await driver.createInstance({ instance: source, pool: 'p1', size_gb: 1, share_proto: 'NFS' });
    ({ path: sourceData } = await driver.getCopyMount(source));
    await mkdir(path.join(sourceData, 'docs'));
    await writeFile(path.join(sourceData, 'docs', 'a.txt'), 'alpha');
    await writeFile(path.join(sourceData, 'secret'), 'shh');
    await symlink('docs/a.txt', path.join(sourceData, 'link'));
    await chmod(path.join(sourceData, 'docs'), 0o750);
    await chmod(path.join(sourceData, 'secret'), 0o600);
    await driver.applyAccessRules(source, [makeRule('r1', '10.0.0.1', 'rw')], { readOnly: false });
  });
  afterEach(() => cleanup());

  describe('Method: migrationCheckCompatibility', () => {
    it('is compatible between two pools of one backend on one file system', async () => {
      // Act
      const result = await driver.migrationCheckCompatibility(source, parseHost(DESTINATION_HOST));

      // Assess
      expect(result).toEqual({ compatible: true, writable: true, nondisruptive: false, preserve_metadata: true, preserve_snapshots: true });
    });

    it('is not compatible across backends', async () => {
      // Act
      const result = await driver.migrationCheckCompatibility(source, parseHost('local@beta#default'));

      // Assess
      expect(result).toMatchObject({ compatible: false, reason: expect.stringMatching(/^different backend/) });
    });

    it.skipIf(!otherFileSystemAvailable())('is not compatible when the pools are on different file systems', async () => {
      // Prepare
      const elsewhere = await makeTempDirOn('/dev/shm');
      try {
        await symlink(elsewhere.dir, path.join(root, 'p2'));

        // Act
        const result = await driver.migrationCheckCompatibility(source, parseHost(DESTINATION_HOST));

        // Assess
        expect(result).toMatchObject({ compatible: false, reason: expect.stringMatching(/^different file system/) });
        await expect(driver.migrationStart(request)).rejects.toThrow(DriverError);
      } finally {
        await elsewhere.cleanup();
      }
    });
  });

  describe('Method: migrationStart / migrationContinue / migrationComplete', () => {
    it('moves the instance intact with a rename and is idempotent at every step', async () => {
      // Prepare
      const before = await snapshotTree(sourceData);

      // Act
      await driver.migrationStart(request);
      await driver.migrationStart(request);
      const untouchedAfterStart = await snapshotTree(sourceData);
      const continued = await driver.migrationContinue(request);
      const first = await driver.migrationComplete(request);
      const second = await driver.migrationComplete(request);
      const progress = await driver.migrationGetProgress(request);

      // Assess
      const destinationData = path.join(root, 'p2', 'share-dst', 'data');
      expect(untouchedAfterStart).toEqual(before);
      expect(continued).toEqual({ phase1Done: true, totalProgress: 100 });
      expect(first).toEqual([{ id: expect.any(String), path: destinationData, preferred: true, is_admin_only: false }]);
      expect(second).toEqual(first);
      expect(progress).toEqual({ phase1Done: true, totalProgress: 100 });
      expect(await snapshotTree(destinationData)).toEqual(before);
      expect(await modeOf(path.join(destinationData, 'secret'))).toBe(0o600);
      expect(await readdir(path.join(root, 'p1'))).toEqual([]);
      expect(await readdir(path.join(root, '.migrations'))).toEqual([]);
      expect(JSON.parse(await readFile(path.join(root, 'p2', 'share-dst', 'instance.json'), 'utf8'))).toMatchObject({
        instance_id: 'dst',
        pool: 'p2',
      });
      expect((await driver.getAccessRules(destination))?.rules).toHaveLength(1);
    });

    it('carries a read-only source with its original modes, which the destination can restore', async () => {
      // Prepare
      await driver.applyAccessRules(source, [], { readOnly: true });
      await driver.migrationStart(request);

      // Act
      await driver.migrationComplete(request);
      await driver.applyAccessRules(destination, [], { readOnly: false });

      // Assess
      const { path: destinationData } = await driver.getCopyMount(destination);
      expect(await modeOf(path.join(destinationData, 'docs'))).toBe(0o750);
      expect(await modeOf(path.join(destinationData, 'secret'))).toBe(0o600);
    });

    it('refuses to continue or complete a migration that was not started', async () => {
      // Act & Assess
      expect(await driver.migrationGetProgress(request)).toEqual({ phase1Done: false, totalProgress: 0 });
      await expect(driver.migrationContinue(request)).rejects.toThrow(/was not started/);
      await expect(driver.migrationComplete(request)).rejects.toThrow(/was not started/);
    });
  });

  describe('Method: migrationCancel', () => {
    it('removes what start created and leaves the source intact', async () => {
      // Prepare
      const before = await snapshotTree(sourceData);
      await driver.migrationStart(request);

      // Act
      await driver.migrationCancel(request);
      await driver.migrationCancel(request);

      // Assess
      expect(await snapshotTree(sourceData)).toEqual(before);
      await expect(stat(path.join(root, 'p2'))).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await readdir(path.join(root, '.migrations'))).toEqual([]);
      expect(await driver.migrationGetProgress(request)).toEqual({ phase1Done: false, totalProgress: 0 });
    });

    it('after completion, moves the instance back to the source', async () => {
      // Prepare
      const before = await snapshotTree(sourceData);
      await driver.migrationStart(request);
      await driver.migrationComplete(request);

      // Act
      await driver.migrationCancel(request);

      // Assess
      expect(await snapshotTree(sourceData)).toEqual(before);
      expect(await readdir(path.join(root, 'p2'))).toEqual([]);
      expect(JSON.parse(await readFile(path.join(root, 'p1', 'share-src', 'instance.json'), 'utf8'))).toMatchObject({
        instance_id: 'src',
        pool: 'p1',
      });
    });
  });
});

function otherFileSystemAvailable(): boolean {
  try {
    return statSync('/dev/shm').dev !== statSync(tmpdir()).dev;
  } catch {
    return false;
  }
}

async function makeTempDirOn(parent: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(parent, 'smig-local-driver-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
