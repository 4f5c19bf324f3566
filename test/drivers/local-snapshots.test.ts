import { execFileSync } from 'node:child_process';
import { chmod, link, lstat, mkdir, readdir, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../lambdas/core/errors.ts';
import type { ShareSnapshotInstance } from '../../lambdas/core/model.ts';
import { parseHost } from '../../lambdas/core/host.ts';
import { cloneTree, LocalDriver, readOriginalModes } from '../../lambdas/drivers/local/index.ts';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { makeInstance, makeRule, makeTempDir, modeOf } from './local-fixtures.ts';

const HOST = 'local@alpha#default';
const OTHER_POOL = 'local@alpha#other';

function snap(id: string, shareInstanceId = 'i1'): ShareSnapshotInstance {
  return { id, share_instance_id: shareInstanceId, status: 'creating', provider_location: null, created_at: '2026-01-01T00:00:00.000Z' };
}

/** What a snapshot holds, with the modes it really has (the ones its read-only mode recorded). */
async function realTree(mount: { path: string; originalModesFile?: string }): Promise<Awaited<ReturnType<typeof describeTree>>> {
  const tree = await describeTree(mount.path);
  const originals = await readOriginalModes(mount.originalModesFile!);
  return Object.fromEntries(Object.entries(tree).map(([rel, entry]) => [rel, { ...entry, mode: originals.get(Buffer.from(rel).toString('latin1')) ?? entry.mode }]));
}

describe('Class: LocalDriver (snapshots)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let driver: LocalDriver;
  const instance = makeInstance('i1', HOST);

  beforeEach(async () => {
    ({ dir: root, cleanup } = await makeTempDir());
    driver = new LocalDriver({ host: 'local', backend: 'alpha', root, pools: [{ name: 'default' }, { name: 'other' }], snapshot_support: true });
    await driver.createInstance({ instance, pool: 'default', size_gb: 1, share_proto: 'NFS' });
  });
  afterEach(() => cleanup());

  const data = () => path.join(driver.instancePath(instance), 'data');

  describe('Method: createSnapshot', () => {
    it('keeps a read-only copy of the data as it was, which later writes do not touch', async () => {
      // Prepare
      await fillSampleTree(data());
      const before = await describeTree(data());

      // Act
      const location = await driver.createSnapshot(instance, snap('s1'));
      await writeFile(path.join(data(), 'docs/file-0.txt'), 'changed\n');
      await writeFile(path.join(data(), 'added.txt'), 'new\n');

      // Assess
      expect(location).toBe('snapshots/s1');
      const mount = await driver.getSnapshotMount(instance, snap('s1'));
      expect(mount.path).toBe(path.join(driver.instancePath(instance), 'snapshots', 's1', 'data'));
      expect(await realTree(mount)).toEqual(before);
      const modes = Object.values(await describeTree(mount.path)).filter((e) => e.kind !== 'symlink').map((e) => e.mode);
      expect(modes.every((mode) => (mode & 0o222) === 0)).toBe(true);
    });

    it('keeps hard links as links, and the real modes of a share whose data is read-only', async () => {
      // Prepare
      await writeFile(path.join(data(), 'a'), 'same inode');
      await link(path.join(data(), 'a'), path.join(data(), 'b'));
      await mkdir(path.join(data(), 'dir'));
      await chmod(path.join(data(), 'dir'), 0o750);
      await driver.applyAccessRules(instance, [makeRule('r1', '10.0.0.1', 'rw')], { readOnly: true });

      // Act
      await driver.createSnapshot(instance, snap('s1'));

      // Assess
      const mount = await driver.getSnapshotMount(instance, snap('s1'));
      const [a, b] = await Promise.all([lstat(path.join(mount.path, 'a')), lstat(path.join(mount.path, 'b'))]);
      expect(a.ino).toBe(b.ino);
      expect((await readOriginalModes(mount.originalModesFile!)).get('dir')).toBe(0o750);
    });

    it('is idempotent: a second call keeps the first snapshot', async () => {
      // Prepare
      await writeFile(path.join(data(), 'f'), 'v1');
      await driver.createSnapshot(instance, snap('s1'));
      await writeFile(path.join(data(), 'f'), 'v2');

      // Act
      await driver.createSnapshot(instance, snap('s1'));

      // Assess
      const mount = await driver.getSnapshotMount(instance, snap('s1'));
      expect((await describeTree(mount.path))['f']!.size).toBe(2);
      expect(await readdir(path.join(driver.instancePath(instance), 'snapshots'))).toEqual(['s1']);
    });

    it('is refused by a backend without snapshot_support, and for an id that cannot name a folder', async () => {
      // Prepare
      const plain = new LocalDriver({ backend: 'alpha', root, pools: [{ name: 'default' }] });

      // Act & Assess
      await expect(plain.createSnapshot(instance, snap('s1'))).rejects.toThrow(/does not support snapshots/);
      await expect(driver.createSnapshot(instance, snap('../evil'))).rejects.toBeInstanceOf(DriverError);
      expect((await driver.listPools())[0]!.snapshot_support).toBe(true);
      expect((await plain.listPools())[0]!.snapshot_support).toBe(false);
    });
  });

  describe('Method: deleteSnapshot', () => {
    it('removes the snapshot, read-only folders and all, and succeeds when it is already gone', async () => {
      // Prepare
      await fillSampleTree(data(), 4);
      await driver.createSnapshot(instance, snap('s1'));

      // Act
      await driver.deleteSnapshot(instance, snap('s1'));
      await driver.deleteSnapshot(instance, snap('s1'));

      // Assess
      expect(await readdir(path.join(driver.instancePath(instance), 'snapshots'))).toEqual([]);
      await expect(driver.getSnapshotMount(instance, snap('s1'))).rejects.toThrow(/does not exist/);
      expect(await describeTree(data())).not.toEqual({});
    });
  });

  describe('Method: migrationComplete', () => {
    it('moves the snapshots with the instance (driver-assisted preserve_snapshots)', async () => {
      // Prepare
      await fillSampleTree(data(), 4);
      const before = await describeTree(data());
      await driver.createSnapshot(instance, snap('s1'));
      const destination = makeInstance('i2', OTHER_POOL);
      const request = { source: instance, destination, destinationHost: parseHost(OTHER_POOL) };

      // Act
      await driver.migrationStart(request);
      await driver.migrationComplete(request);

      // Assess
      const mount = await driver.getSnapshotMount(destination, snap('s1', 'i2'));
      expect(await realTree(mount)).toEqual(before);
    });
  });
});

describe('Function: cloneTree', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
  });
  afterEach(() => cleanup());

  it('copies folders, files, links and times exactly, folders without write bits included', async () => {
    // Prepare
    const source = path.join(dir, 'src');
    await mkdir(source);
    await fillSampleTree(source, 6);
    await symlink('missing', path.join(source, 'docs', 'dangling'));
    await chmod(path.join(source, 'docs', 'deep'), 0o555);
    await utimes(path.join(source, 'docs'), new Date('2021-05-06T07:08:09.123Z'), new Date('2021-05-06T07:08:09.123Z'));

    // Act
    await cloneTree(source, path.join(dir, 'copy'));

    // Assess
    expect(await describeTree(path.join(dir, 'copy'))).toEqual(await describeTree(source));
    expect(await modeOf(path.join(dir, 'copy', 'docs', 'deep'))).toBe(0o555);
    expect((await stat(path.join(dir, 'copy', 'docs'))).mtime.toISOString()).toBe('2021-05-06T07:08:09.123Z');
    await chmod(path.join(source, 'docs', 'deep'), 0o755);
    await chmod(path.join(dir, 'copy', 'docs', 'deep'), 0o755);
  });

  it('makes FIFOs and sockets again, with their modes and times, where it refused them before', async () => {
    // Prepare: a FIFO (mkfifo) and a socket a server left behind (its file stays after the close)
    const source = path.join(dir, 'src');
    await mkdir(source);
    execFileSync('mkfifo', ['-m', '0640', path.join(source, 'pipe')]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path.join(source, 'app.sock'), resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await symlink('app.sock', path.join(source, 'link-to-socket'));
    // node removes a socket file it listened on at close; make one that stays if it did
    if (!(await lstat(path.join(source, 'app.sock')).catch(() => null))) {
      execFileSync('python3', ['-c', `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(path.join(source, 'app.sock'))})`]);
    }
    await chmod(path.join(source, 'app.sock'), 0o750);
    await utimes(path.join(source, 'pipe'), new Date('2022-01-02T03:04:05.000Z'), new Date('2022-01-02T03:04:05.000Z'));

    // Act
    await cloneTree(source, path.join(dir, 'copy'));

    // Assess
    const pipe = await lstat(path.join(dir, 'copy', 'pipe'));
    const socket = await lstat(path.join(dir, 'copy', 'app.sock'));
    expect(pipe.isFIFO()).toBe(true);
    expect(pipe.mode & 0o7777).toBe(0o640);
    expect(pipe.mtime.toISOString()).toBe('2022-01-02T03:04:05.000Z');
    expect(socket.isSocket()).toBe(true);
    expect(socket.mode & 0o7777).toBe(0o750);
    expect(await describeTree(path.join(dir, 'copy'))).toEqual(await describeTree(source));
  });
});
