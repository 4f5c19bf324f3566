import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentBoot } from '../../../copy-task/engine/durability.ts';
import { CopyFailedError, copyTree, nativeStatus } from '../../../copy-task/engine/index.ts';
import { wallClockNs } from '../../../copy-task/engine/clock.ts';
import { PassRecords } from '../../../copy-task/engine/pass-record.ts';
import { differencesBetween, requireCheckTools } from '../fidelity/checks.ts';
import { nativeOrThrow } from '../fidelity/every-case-tree.ts';
import { isRoot, useTempDirs, writeTree } from '../helpers.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Class: PassRecords', () => {
  const tempDir = useTempDirs();

  async function roots() {
    const dir = await tempDir();
    await mkdir(join(dir, 'src'));
    await mkdir(join(dir, 'dst'));
    return { dir, source: Buffer.from(join(dir, 'src')), destination: Buffer.from(join(dir, 'dst')) };
  }

  describe('Method: marks', () => {
    it('gives none without a record, and the bounds of the last recorded pass less the margin', async () => {
      // Prepare
      const { dir, source, destination } = await roots();
      const records = new PassRecords(join(dir, 'state'));
      const before = await records.marks(source, destination);
      const started = wallClockNs();

      // Act
      await records.record(source, destination, { startedNs: started, timeGranularity: { destinationNs: 1000n, platformNs: 1n } });
      const marks = await records.marks(source, destination);

      // Assess
      expect(before).toBeUndefined();
      expect(marks?.sourceXattrsAfterNs).toBe(started - 2_000_000_000n);
      expect(marks?.destinationXattrsAfterNs).toBeGreaterThanOrEqual(started - 2_000_000_000n);
      expect(marks?.timeGranularity).toEqual({ destinationNs: 1000n, platformNs: 1n });
    });

    it.each([
      ['another boot', (record: Record<string, unknown>) => ({ ...record, boot: '00000000-0000-0000-0000-000000000000' })],
      ['a clock that stepped since (the wall clock moved an hour more than the monotonic one)', (record: Record<string, unknown>) => ({ ...record, endedNs: String(BigInt(record['endedNs'] as string) - 3_600_000_000_000n) })],
      ['another version', (record: Record<string, unknown>) => ({ ...record, version: 2 })],
    ])('gives none for a record from %s', async (_what, change) => {
      // Prepare
      const { dir, source, destination } = await roots();
      const records = new PassRecords(join(dir, 'state'));
      await records.record(source, destination, { startedNs: wallClockNs(), timeGranularity: { destinationNs: 1n, platformNs: 1n } });
      const file = records.fileOf(source, destination);
      await writeFile(file, JSON.stringify(change(JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>)));

      // Act / Assess
      expect(await records.marks(source, destination)).toBeUndefined();
    });

    it('gives none once the destination is another folder under the same name', async () => {
      // Prepare
      const { dir, source, destination } = await roots();
      const records = new PassRecords(join(dir, 'state'));
      await records.record(source, destination, { startedNs: wallClockNs(), timeGranularity: { destinationNs: 1n, platformNs: 1n } });
      await rm(destination, { recursive: true });
      await mkdir(destination);

      // Act / Assess
      expect(await records.marks(source, destination)).toBeUndefined();
    });
  });
});

describe.skipIf(!nativeStatus.loaded)('Function: copyTree with a state folder', () => {
  const tempDir = useTempDirs();

  /** A copied tree whose entries are older than the pass's margin, with xattrs and an ACL. */
  async function copiedWithState() {
    requireCheckTools();
    const fs = nativeOrThrow();
    const dir = await tempDir();
    const src = join(dir, 'src');
    await writeTree(src, { 'a.txt': 'alpha', 'sub/b.txt': 'bravo', 'sub/c.txt': 'charlie' });
    fs.setXattr(Buffer.from(join(src, 'a.txt')), Buffer.from('user.color'), Buffer.from('blue'));
    fs.setXattr(Buffer.from(join(src, 'sub/b.txt')), Buffer.from('user.kept'), Buffer.from('yes'));
    execFileSync('setfacl', ['-m', 'u:1234:r', join(src, 'sub/c.txt')]);
    const state = join(dir, 'state');
    await pause(60);
    const first = await copyTree(src, join(dir, 'dst'), { stateFolder: state });
    await pause(60);
    return { src, dst: join(dir, 'dst'), state, first, fs };
  }

  it('remembers a pass that got through, and not one that failed', async () => {
    // Prepare: after the first pass, an entry the next pass cannot handle: as root, an extra on the
    // destination that cannot be removed (immutable); otherwise a source file it may not read
    const { src, dst, state, first } = await copiedWithState();
    const records = new PassRecords(state);
    const file = records.fileOf(Buffer.from(src), Buffer.from(dst));
    const remembered = await readFile(file, 'utf8');
    const stuck = join(dst, 'sub/stuck.txt');
    if (isRoot) {
      await writeFile(stuck, 'immutable');
      execFileSync('chattr', ['+i', stuck]);
    } else {
      await writeFile(join(src, 'sub/unreadable.txt'), 'secret');
      await chmod(join(src, 'sub/unreadable.txt'), 0);
    }

    // Act
    await pause(20);
    const failed = await copyTree(src, dst, { stateFolder: state }).catch((error: unknown) => error);
    if (isRoot) execFileSync('chattr', ['-i', stuck]);

    // Assess
    expect(first.files).toBe(3);
    expect(JSON.parse(remembered)).toMatchObject({ version: 1, boot: currentBoot() });
    expect(failed).toBeInstanceOf(CopyFailedError);
    expect(await readFile(file, 'utf8')).toBe(remembered);
  });

  it('finds an xattr changed on the source since the pass, and one changed on the destination, and repairs both', async () => {
    // Prepare
    const { src, dst, state, fs } = await copiedWithState();
    fs.setXattr(Buffer.from(join(src, 'a.txt')), Buffer.from('user.color'), Buffer.from('green'));
    fs.setXattr(Buffer.from(join(dst, 'sub/b.txt')), Buffer.from('user.kept'), Buffer.from('tampered'));

    // Act
    const summary = await copyTree(src, dst, { stateFolder: state });

    // Assess
    expect(summary).toMatchObject({ files: 0, fixed: 2 });
    expect(differencesBetween(src, dst)).toEqual({ python: [], rsync: [] });
  });

  it('keeps every xattr and ACL when it fixes a mode or a time on either side of an unchanged pair', async () => {
    // Prepare: modes changed on both sides, nothing else
    const { src, dst, state } = await copiedWithState();
    await chmod(join(src, 'sub/b.txt'), 0o600);
    await chmod(join(dst, 'sub/c.txt'), 0o600);

    // Act
    const summary = await copyTree(src, dst, { stateFolder: state });

    // Assess
    expect(summary).toMatchObject({ files: 0, fixed: 2 });
    expect(differencesBetween(src, dst)).toEqual({ python: [], rsync: [] });
    expect((await stat(join(dst, 'sub/b.txt'))).mode & 0o777).toBe(0o600);
  });

  it('probes the destination again when the remembered pass set times from another platform', async () => {
    // Prepare: a record as a run without the addon (times set to the microsecond) would leave it
    const { src, dst, state } = await copiedWithState();
    await copyTree(src, dst, { stateFolder: state });
    const file = new PassRecords(state).fileOf(Buffer.from(src), Buffer.from(dst));
    const record = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...record, platformTimeGranularityNs: '1000' }));
    const rootBefore = await stat(dst, { bigint: true });

    // Act
    const summary = await copyTree(src, dst, { stateFolder: state });

    // Assess: the probe file came and went in the root (its ctime moved); nothing else changed
    expect(summary).toMatchObject({ files: 0, fixed: 0, unchanged: 3 });
    expect((await stat(dst, { bigint: true })).ctimeNs).toBeGreaterThan(rootBefore.ctimeNs);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ platformTimeGranularityNs: '1' });
    expect(differencesBetween(src, dst)).toEqual({ python: [], rsync: [] });
  });

  it('copies nothing and changes nothing over a tree in sync, and keeps it equal', async () => {
    // Prepare
    const { src, dst, state } = await copiedWithState();

    // Act
    const second = await copyTree(src, dst, { stateFolder: state });
    const rootAfterSecond = await stat(dst, { bigint: true });
    const third = await copyTree(src, dst, { stateFolder: state });
    const rootAfterThird = await stat(dst, { bigint: true });

    // Assess: the remembered pass knows how finely the destination keeps times, so the third pass
    // makes no probe file in the root (whose ctime would move)
    expect(second).toMatchObject({ files: 0, fixed: 0, unchanged: 3 });
    expect(third).toMatchObject({ files: 0, fixed: 0, unchanged: 3 });
    expect(rootAfterThird.ctimeNs).toBe(rootAfterSecond.ctimeNs);
    expect(differencesBetween(src, dst)).toEqual({ python: [], rsync: [] });
  });
});
