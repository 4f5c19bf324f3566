import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CopyProgress } from '../../../lambdas/core/progress.ts';
import { CopyAbortedError, copyTree } from '../../../copy-task/engine/index.ts';
import { listTree, tempFilesUnder, useTempDirs, writeTree } from '../helpers.ts';

const MIB = 1024 * 1024;

describe('Function: copyTree (progress and abort)', () => {
  const tempDir = useTempDirs();

  describe('progress', () => {
    it('reports phases in order, at most one event per interval, and a final done event', async () => {
      // Prepare: 3 MiB at 4 MiB/s takes about 0.75 s, so several throttled events fall in between
      const dir = await tempDir();
      await writeTree(dir, { 'src/small.txt': 'small' });
      await writeFile(join(dir, 'src/big.bin'), Buffer.alloc(3 * MIB, 1));
      const events: { at: number; progress: CopyProgress }[] = [];

      // Act
      await copyTree(join(dir, 'src'), join(dir, 'dst'), {
        bytesPerSecond: 4 * MIB,
        progressIntervalMs: 200,
        onProgress: (progress) => events.push({ at: performance.now(), progress }),
      });

      // Assess
      const last = events.at(-1)?.progress;
      expect(last).toEqual({
        type: 'progress', pass: 'bulk', phase: 'done',
        files_done: 2, files_total: 2, bytes_done: 3 * MIB + 5, bytes_total: 3 * MIB + 5,
        bytes_per_second: expect.any(Number), eta_seconds: 0,
      });
      const throttled = events.slice(0, -1);
      for (let i = 1; i < throttled.length; i += 1) {
        expect((throttled[i]?.at ?? 0) - (throttled[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(199);
      }
      const copying = throttled.map((e) => e.progress).filter((p) => p.phase === 'copying');
      expect(copying.length).toBeGreaterThan(0);
      for (const p of copying) {
        expect(p.bytes_total).toBe(3 * MIB + 5);
        expect(p.bytes_done).toBeLessThanOrEqual(p.bytes_total);
        expect(p.bytes_per_second).toBeGreaterThanOrEqual(0);
      }
      const order = ['scanning', 'copying', 'verifying', 'deleting', 'done'];
      const phases = events.map((e) => order.indexOf(e.progress.phase));
      expect([...phases].sort((a, b) => a - b)).toEqual(phases);
    });

    it('labels events with the pass', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/a.txt': 'a' });
      const passes = new Set<string>();

      // Act
      await copyTree(join(dir, 'src'), join(dir, 'dst'), { pass: 'final', onProgress: (p) => passes.add(p.pass) });

      // Assess
      expect([...passes]).toEqual(['final']);
    });
  });

  describe('abort', () => {
    it('stops promptly mid-file, leaving no partial file under a final name and no temp file', async () => {
      // Prepare: 16 MiB at 4 MiB/s would take 4 s
      const dir = await tempDir();
      await writeTree(dir, { 'src/done-first.txt': 'small' });
      await writeFile(join(dir, 'src/huge.bin'), Buffer.alloc(16 * MIB, 2));
      const controller = new AbortController();
      let abortedAt = 0;
      const onProgress = (progress: CopyProgress) => {
        if (progress.phase === 'copying' && progress.bytes_done >= MIB && abortedAt === 0) {
          abortedAt = performance.now();
          controller.abort('test says stop');
        }
      };

      // Act
      const outcome = await copyTree(join(dir, 'src'), join(dir, 'dst'), {
        bytesPerSecond: 4 * MIB, progressIntervalMs: 50, signal: controller.signal, onProgress, concurrency: 1,
      }).catch((error: unknown) => error);

      // Assess
      expect(outcome).toBeInstanceOf(CopyAbortedError);
      expect((outcome as Error).message).toBe('copy aborted: test says stop');
      expect(performance.now() - abortedAt).toBeLessThan(1000);
      await expect(access(join(dir, 'dst/huge.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await tempFilesUnder(join(dir, 'dst'))).toEqual([]);
      expect(await listTree(join(dir, 'dst'))).toEqual(['done-first.txt']);
    });

    it('rejects at once when the signal is already aborted, creating nothing', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/a.txt': 'a' });

      // Act
      const run = copyTree(join(dir, 'src'), join(dir, 'dst'), { signal: AbortSignal.abort('early') });

      // Assess
      await expect(run).rejects.toBeInstanceOf(CopyAbortedError);
      await expect(access(join(dir, 'dst'))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });
});
