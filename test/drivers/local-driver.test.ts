import { chmod, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../lambdas/core/errors.ts';
import { effectiveMode, LocalDriver, readOriginalModes } from '../../lambdas/drivers/local/index.ts';
import { makeInstance, makeRule, makeTempDir, modeOf, snapshotTree } from './local-fixtures.ts';

const HOST = 'local@alpha#default';

describe('Class: LocalDriver', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let driver: LocalDriver;

  beforeEach(async () => {
    ({ dir: root, cleanup } = await makeTempDir());
    driver = new LocalDriver({ host: 'local', backend: 'alpha', root, pools: [{ name: 'default' }, { name: 'small', total_capacity_gb: 10 }] });
  });
  afterEach(() => cleanup());

  const create = (id: string, host = HOST, size_gb = 1) =>
    driver.createInstance({ instance: makeInstance(id, host), pool: host.split('#')[1]!, size_gb, share_proto: 'NFS' });

  describe('Method: constructor', () => {
    it('names the backend host and fails fast on a bad config', () => {
      // Act & Assess
      expect(driver.backendHost).toBe('local@alpha');
      expect(driver.driverHandlesShareServers).toBe(false);
      expect(() => new LocalDriver({ backend: 'alpha', root: 'relative', pools: [{ name: 'default' }] })).toThrow(/root must be an absolute path/);
    });
  });

  describe('Method: listPools', () => {
    it('reports each pool with statfs or configured capacity', async () => {
      // Prepare
      await create('i1', 'local@alpha#small', 3);

      // Act
      const pools = await driver.listPools();

      // Assess
      const [fsPool, small] = pools;
      expect(fsPool).toMatchObject({
        pool_name: 'default',
        share_backend_name: 'alpha',
        vendor_name: 'share-migration',
        driver_version: '1.0.0',
        storage_protocol: 'NFS_CIFS',
        reserved_percentage: 0,
        driver_handles_share_servers: false,
        snapshot_support: false,
        security_service_types: [],
      });
      expect(fsPool!.total_capacity_gb).toBeGreaterThan(0);
      expect(fsPool!.free_capacity_gb).toBeLessThanOrEqual(fsPool!.total_capacity_gb);
      expect(small).toMatchObject({ pool_name: 'small', total_capacity_gb: 10, allocated_capacity_gb: 3 });
      expect(small!.free_capacity_gb).toBeLessThanOrEqual(7);
      expect((await stat(path.join(root, 'default'))).isDirectory()).toBe(true);
    });
  });

  describe('Method: createInstance', () => {
    it('creates share-<id>/data and returns the same export location when run twice', async () => {
      // Act
      const first = await create('i1');
      const second = await create('i1');

      // Assess
      const data = path.join(root, 'default', 'share-i1', 'data');
      expect(first).toEqual([{ id: expect.any(String), path: data, preferred: true, is_admin_only: false }]);
      expect(second).toEqual(first);
      expect((await stat(data)).isDirectory()).toBe(true);
      expect(await readdir(path.join(root, 'default'))).toEqual(['share-i1']);
      expect(JSON.parse(await readFile(path.join(root, 'default', 'share-i1', 'instance.json'), 'utf8'))).toMatchObject({
        instance_id: 'i1',
        share_id: 'share-1',
        pool: 'default',
        size_gb: 1,
      });
      expect(await driver.getCopyMount(makeInstance('i1', HOST))).toEqual({
        path: data,
        originalModesFile: path.join(root, 'default', 'share-i1', 'readonly-modes.json'),
      });
    });

    it("gives a new share's root mode 0755 whatever the process's umask (the runtime runs with 077)", async () => {
      // Prepare
      const umask = process.umask(0o077);
      try {
        // Act
        await create('i1');
      } finally {
        process.umask(umask);
      }

      // Assess
      expect(await modeOf(path.join(root, 'default', 'share-i1', 'data'))).toBe(0o755);
    });

    it('refuses an instance of another backend or pool with a DriverError', async () => {
      // Act & Assess
      await expect(create('i1', 'local@beta#default')).rejects.toThrow(DriverError);
      await expect(create('i1', 'local@alpha#nope')).rejects.toThrow(/does not have/);
    });
  });

  describe('Method: deleteInstance', () => {
    it('removes a read-only instance and succeeds again when it is gone', async () => {
      // Prepare
      await create('i1');
      const instance = makeInstance('i1', HOST);
      const { path: data } = await driver.getCopyMount(instance);
      await mkdir(path.join(data, 'sub'));
      await writeFile(path.join(data, 'sub', 'f'), 'x');
      await driver.applyAccessRules(instance, [], { readOnly: true });

      // Act
      await driver.deleteInstance(instance);
      await driver.deleteInstance(instance);

      // Assess
      expect(await readdir(path.join(root, 'default'))).toEqual([]);
      await expect(driver.getCopyMount(instance)).rejects.toThrow(DriverError);
    });
  });

  describe('Method: applyAccessRules', () => {
    const instance = makeInstance('i1', HOST);
    let data: string;

    beforeEach(async () => {
      await create('i1');
      ({ path: data } = await driver.getCopyMount(instance));
      await mkdir(path.join(data, 'dir'));
      await writeFile(path.join(data, 'dir', 'rw.txt'), 'rw');
      await writeFile(path.join(data, 'exec.sh'), '#!/bin/sh');
      await writeFile(path.join(data, 'already-ro.txt'), 'ro');
      await mkdir(path.join(data, 'ro-dir'));
      await symlink('dir/rw.txt', path.join(data, 'link'));
      await chmod(data, 0o775);
      await chmod(path.join(data, 'dir'), 0o2770);
      await chmod(path.join(data, 'dir', 'rw.txt'), 0o664);
      await chmod(path.join(data, 'exec.sh'), 0o4755);
      await chmod(path.join(data, 'already-ro.txt'), 0o440);
      await chmod(path.join(data, 'ro-dir'), 0o555);
    });

    it('records the complete rule set with effective levels', async () => {
      // Prepare
      const rules = [makeRule('r1', '10.0.0.0/24', 'rw'), makeRule('r2', '10.0.1.5', 'ro')];

      // Act
      await driver.applyAccessRules(instance, rules, { readOnly: true });
      const readOnly = await driver.getAccessRules(instance);
      await driver.applyAccessRules(instance, rules.slice(0, 1), { readOnly: false });
      const writable = await driver.getAccessRules(instance);

      // Assess
      expect(readOnly).toEqual({
        version: 1,
        read_only: true,
        rules: [
          { id: 'r1', access_type: 'ip', access_to: '10.0.0.0/24', access_level: 'rw', effective_level: 'ro' },
          { id: 'r2', access_type: 'ip', access_to: '10.0.1.5', access_level: 'ro', effective_level: 'ro' },
        ],
      });
      expect(writable).toEqual({
        version: 1,
        read_only: false,
        rules: [{ id: 'r1', access_type: 'ip', access_to: '10.0.0.0/24', access_level: 'rw', effective_level: 'rw' }],
      });
      expect((await readdir(path.dirname(data))).sort()).toEqual(['access-rules.json', 'data', 'instance.json']);
    });

    it('removes write bits, records the originals outside the data, and restores them exactly', async () => {
      // Prepare
      const before = await snapshotTree(data);
      const { originalModesFile } = await driver.getCopyMount(instance);

      // Act
      await driver.applyAccessRules(instance, [], { readOnly: true });
      await driver.applyAccessRules(instance, [], { readOnly: true });
      const readOnlyModes = {
        root: await modeOf(data),
        dir: await modeOf(path.join(data, 'dir')),
        file: await modeOf(path.join(data, 'dir', 'rw.txt')),
        exec: await modeOf(path.join(data, 'exec.sh')),
        alreadyRo: await modeOf(path.join(data, 'already-ro.txt')),
        roDir: await modeOf(path.join(data, 'ro-dir')),
      };
      const recorded = await readOriginalModes(originalModesFile);
      await driver.applyAccessRules(instance, [], { readOnly: false });
      await driver.applyAccessRules(instance, [], { readOnly: false });

      // Assess
      expect(readOnlyModes).toEqual({ root: 0o555, dir: 0o2550, file: 0o444, exec: 0o4555, alreadyRo: 0o440, roDir: 0o555 });
      expect(Object.fromEntries(recorded)).toEqual({ '': 0o775, dir: 0o2770, 'dir/rw.txt': 0o664, 'exec.sh': 0o4755 });
      expect(await snapshotTree(data)).toEqual(before);
      expect(await readdir(path.dirname(data))).not.toContain('readonly-modes.json');
    });

    it('lets the copy task see every original mode while the source is read-only', async () => {
      // Prepare
      const before = await snapshotTree(data);
      const { originalModesFile } = await driver.getCopyMount(instance);
      await driver.applyAccessRules(instance, [], { readOnly: true });

      // Act
      const originals = await readOriginalModes(originalModesFile);
      const seen = Object.fromEntries(
        await Promise.all(
          ['', 'dir', 'dir/rw.txt', 'exec.sh', 'already-ro.txt', 'ro-dir'].map(async (rel) => [
            rel || '.',
            effectiveMode(Buffer.from(rel), (await lstat(path.join(data, rel))).mode, originals).toString(8),
          ]),
        ),
      );

      // Assess
      expect(seen).toEqual({
        '.': before['.']!.split(' ')[1],
        dir: before['dir']!.split(' ')[1],
        'dir/rw.txt': before['dir/rw.txt']!.split(' ')[1],
        'exec.sh': before['exec.sh']!.split(' ')[1],
        'already-ro.txt': '440',
        'ro-dir': '555',
      });
    });

    it('handles names that are not UTF-8', async () => {
      // Prepare
      const name = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in latin1
      const file = Buffer.concat([Buffer.from(`${data}/`), name]);
      await writeFile(file, 'x');
      await chmod(file, 0o640);
      const { originalModesFile } = await driver.getCopyMount(instance);

      // Act
      await driver.applyAccessRules(instance, [], { readOnly: true });
      const whileReadOnly = await modeOf(file);
      const seen = effectiveMode(name, whileReadOnly, await readOriginalModes(originalModesFile));
      const record = (await readFile(originalModesFile, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line));
      await driver.applyAccessRules(instance, [], { readOnly: false });

      // Assess
      expect(whileReadOnly).toBe(0o440);
      expect(seen).toBe(0o640);
      expect(record).toContainEqual({ b: name.toString('base64'), m: 0o640 });
      expect(await modeOf(file)).toBe(0o640);
    });

    it('fails with a DriverError for an instance that does not exist', async () => {
      // Act & Assess
      await expect(driver.applyAccessRules(makeInstance('nope', HOST), [], { readOnly: true })).rejects.toThrow(/does not exist/);
    });
  });
});
