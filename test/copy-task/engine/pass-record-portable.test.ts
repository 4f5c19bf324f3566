import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wallClockNs } from '../../../copy-task/engine/clock.ts';
import { copyTree, nativeStatus } from '../../../copy-task/engine/index.ts';
import { destinationNow } from '../../../copy-task/engine/pass-marks.ts';
import { MemoryRecordStore } from '../../../copy-task/engine/pass-record-store.ts';
import { PassRecords } from '../../../copy-task/engine/pass-record.ts';
import { differencesBetween, requireCheckTools } from '../fidelity/checks.ts';
import { nativeOrThrow } from '../fidelity/every-case-tree.ts';
import { useTempDirs, writeTree } from '../helpers.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MARGIN = 2_000_000_000n;
const ANOTHER_BOOT = '00000000-0000-0000-0000-000000000000';

/** The one record a store holds, changed by `change` (as a fresh container on another machine would find it). */
function rewrite(store: MemoryRecordStore, change: (record: Record<string, unknown>) => Record<string, unknown>): void {
  const [key, text] = [...store.records][0]!;
  store.records.set(key, JSON.stringify(change(JSON.parse(text) as Record<string, unknown>)));
}

/** An xattr's value (read by Python's os.getxattr); undefined when the entry has none by that name. */
function xattr(path: string, name: string): string | undefined {
  try {
    const read = 'import os, sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2]).decode())';
    return execFileSync('python3', ['-c', read, path, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

function recordIn(store: MemoryRecordStore): Record<string, unknown> {
  return JSON.parse([...store.records.values()][0]!) as Record<string, unknown>;
}

describe('Class: PassRecords (portable marks)', () => {
  const tempDir = useTempDirs();

  async function roots() {
    const dir = await tempDir();
    await mkdir(join(dir, 'src'));
    await mkdir(join(dir, 'dst'));
    return { source: Buffer.from(join(dir, 'src')), destination: Buffer.from(join(dir, 'dst')) };
  }
  const granularity = { destinationNs: 1n, platformNs: 1n };

  describe('Method: marks', () => {
    it('takes the destination mark from its probe, and the source mark from the largest source ctime of the pass before, in a fresh instance of another boot', async () => {
      // Prepare: a bulk pass (no record before it), then a pass with that record, each in a fresh instance
      const { source, destination } = await roots();
      const store = new MemoryRecordStore();
      const firstMark = (await destinationNow(destination))!;
      await new PassRecords(store).record(source, destination, { startedNs: wallClockNs(), timeGranularity: granularity, destinationMarkNs: firstMark, sourceCtimeMaxNs: 111_000_000_000n });
      rewrite(store, (record) => ({ ...record, boot: ANOTHER_BOOT }));
      const afterBulk = await new PassRecords(store).marks(source, destination, () => destinationNow(destination));
      const secondMark = (await destinationNow(destination))!;
      await new PassRecords(store).record(source, destination, { startedNs: wallClockNs(), timeGranularity: granularity, destinationMarkNs: secondMark, sourceCtimeMaxNs: 222_000_000_000n });
      rewrite(store, (record) => ({ ...record, boot: ANOTHER_BOOT }));

      // Act
      const marks = await new PassRecords(store).marks(source, destination, () => destinationNow(destination));

      // Assess
      expect(afterBulk).toEqual({ sourceXattrsAfterNs: undefined, destinationXattrsAfterNs: firstMark - MARGIN, timeGranularity: granularity });
      expect(marks).toEqual({ sourceXattrsAfterNs: 111_000_000_000n - MARGIN, destinationXattrsAfterNs: secondMark - MARGIN, timeGranularity: granularity });
      expect(recordIn(store)).toMatchObject({ sourceMarkNs: '111000000000', sourceCtimeMaxNs: '222000000000', destinationMarkNs: String(secondMark) });
    });

    it('knows the roots on another mount (another device number) by their path and inode', async () => {
      // Prepare
      const { source, destination } = await roots();
      const store = new MemoryRecordStore();
      const mark = (await destinationNow(destination))!;
      await new PassRecords(store).record(source, destination, { startedNs: wallClockNs(), timeGranularity: granularity, destinationMarkNs: mark });
      const other = (identity: unknown) => ({ ...(identity as Record<string, unknown>), dev: '4242' });
      rewrite(store, (record) => ({ ...record, source: other(record['source']), destination: other(record['destination']) }));

      // Act
      const marks = await new PassRecords(store).marks(source, destination, () => destinationNow(destination));

      // Assess: not the local rule (another device), the portable one
      expect(marks?.destinationXattrsAfterNs).toBe(mark - MARGIN);
      expect(marks?.sourceXattrsAfterNs).toBeUndefined();
    });

    it.each([
      ['the destination\'s clock went back since (its probe now reads before the mark)', (mark: bigint) => mark - 1n],
      ['the destination cannot be probed', () => undefined],
    ])('gives none when %s', async (_what, now) => {
      // Prepare
      const { source, destination } = await roots();
      const store = new MemoryRecordStore();
      const mark = (await destinationNow(destination))!;
      await new PassRecords(store).record(source, destination, { startedNs: wallClockNs(), timeGranularity: granularity, destinationMarkNs: mark, sourceCtimeMaxNs: 1n });
      rewrite(store, (record) => ({ ...record, boot: ANOTHER_BOOT }));

      // Act / Assess
      expect(await new PassRecords(store).marks(source, destination, async () => now(mark))).toBeUndefined();
    });
  });
});

describe.skipIf(!nativeStatus.loaded)('Function: copyTree with a shared pass record store', () => {
  const tempDir = useTempDirs();

  /** A tree with xattrs and an ACL, copied twice through `store` (a bulk pass and one after it), as two fresh containers. */
  async function copiedTwice() {
    requireCheckTools();
    const fs = nativeOrThrow();
    const dir = await tempDir();
    const src = join(dir, 'src');
    const dst = join(dir, 'dst');
    await writeTree(src, { 'a.txt': 'alpha', 'sub/b.txt': 'bravo', 'sub/c.txt': 'charlie', 'sub/d.txt': 'delta' });
    fs.setXattr(Buffer.from(join(src, 'a.txt')), Buffer.from('user.color'), Buffer.from('blue'));
    fs.setXattr(Buffer.from(join(src, 'sub/b.txt')), Buffer.from('user.kept'), Buffer.from('yes'));
    execFileSync('setfacl', ['-m', 'u:1234:r', join(src, 'sub/c.txt')]);
    const store = new MemoryRecordStore();
    await copyTree(src, dst, { passRecords: store });
    rewrite(store, (record) => ({ ...record, boot: ANOTHER_BOOT }));
    await copyTree(src, dst, { passRecords: store });
    rewrite(store, (record) => ({ ...record, boot: ANOTHER_BOOT }));
    return { src, dst, store, fs };
  }

  it('records both marks from the file systems\' clocks: the destination probe\'s ctime, and the largest source ctime the pass saw', async () => {
    // Prepare / Act
    const { src, store } = await copiedTwice();
    const newest = BigInt(execFileSync('find', [src, '-mindepth', '1', '-printf', '%C@\\n'], { encoding: 'utf8' }).trim().split('\n')
      .map((seconds) => Number(seconds)).reduce((a, b) => Math.max(a, b)) * 1e9);

    // Assess: the record of the second pass hands on the first pass's largest source ctime as its source mark
    const record = recordIn(store);
    expect(record['destinationMarkNs']).toBeDefined();
    expect(record['sourceMarkNs']).toBe(record['sourceCtimeMaxNs']);
    expect(Number(BigInt(record['sourceCtimeMaxNs'] as string) - newest)).toBeLessThan(1e6);
  });

  it('skips, in a fresh instance of another boot, the xattrs of entries unchanged since the marks, and reads those changed since', async () => {
    // Prepare: differences whose ctimes lie before the marks (the pass cannot see them, proving it did
    // not read those xattrs), then changes after them (which it must see)
    const { src, dst, store, fs } = await copiedTwice();
    fs.setXattr(Buffer.from(join(src, 'a.txt')), Buffer.from('user.color'), Buffer.from('unseen'));
    fs.setXattr(Buffer.from(join(dst, 'sub/b.txt')), Buffer.from('user.kept'), Buffer.from('unseen'));
    await pause(2200);
    const marks = String(await destinationNow(Buffer.from(dst)));
    rewrite(store, (record) => ({ ...record, destinationMarkNs: marks, sourceMarkNs: marks }));
    await pause(2200);
    fs.setXattr(Buffer.from(join(src, 'sub/c.txt')), Buffer.from('user.new'), Buffer.from('seen'));
    fs.setXattr(Buffer.from(join(dst, 'sub/d.txt')), Buffer.from('user.stray'), Buffer.from('seen'));

    // Act
    const summary = await copyTree(src, dst, { passRecords: store });

    // Assess
    expect(summary).toMatchObject({ files: 0, fixed: 2 });
    expect(xattr(join(dst, 'sub/c.txt'), 'user.new')).toBe('seen');
    expect(xattr(join(dst, 'sub/d.txt'), 'user.stray')).toBeUndefined();
    expect(xattr(join(dst, 'a.txt'), 'user.color')).toBe('blue');
  }, 60_000);

  it('reads everything when the destination\'s probe says its clock went back', async () => {
    // Prepare: the same unseen differences, but the record's destination mark is ahead of the destination's clock now
    const { src, dst, store, fs } = await copiedTwice();
    fs.setXattr(Buffer.from(join(src, 'a.txt')), Buffer.from('user.color'), Buffer.from('green'));
    fs.setXattr(Buffer.from(join(dst, 'sub/b.txt')), Buffer.from('user.kept'), Buffer.from('tampered'));
    await pause(2200);
    const now = (await destinationNow(Buffer.from(dst)))!;
    rewrite(store, (record) => ({ ...record, destinationMarkNs: String(now + 3_600_000_000_000n), sourceMarkNs: String(now) }));

    // Act
    const summary = await copyTree(src, dst, { passRecords: store });

    // Assess
    expect(summary).toMatchObject({ files: 0, fixed: 2 });
    expect(differencesBetween(src, dst)).toEqual({ python: [], rsync: [] });
  }, 60_000);
});
