import { EventEmitter } from 'node:events';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CopyPass } from '../../lambdas/core/model.ts';
import type { CopyProgress, CopyProgressSink } from '../../lambdas/core/progress.ts';
import { CopyExitCode } from '../../lambdas/core/workflow.ts';
import { runCopyContainer, type CopyContainerDeps } from '../../copy-task/container.ts';
import { copyTree, type CopyOptions } from '../../copy-task/engine/index.ts';
import { readText, tempFilesUnder, useTempDirs, writeTree } from './helpers.ts';

const MIB = 1024 * 1024;

/** An in-memory CopyProgressSink that records every call. */
class MemorySink implements CopyProgressSink {
  readonly reports: CopyProgress[] = [];
  readonly finishedWith: Parameters<CopyProgressSink['finished']>[0][] = [];
  readonly failedWith: { pass: CopyPass; message: string }[] = [];
  cancel = false;
  cancelChecks = 0;

  async report(progress: CopyProgress): Promise<void> {
    this.reports.push(progress);
  }
  async finished(outcome: Parameters<CopyProgressSink['finished']>[0]): Promise<void> {
    this.finishedWith.push(outcome);
  }
  async failed(pass: CopyPass, message: string): Promise<void> {
    this.failedWith.push({ pass, message });
  }
  async cancelRequested(): Promise<boolean> {
    this.cancelChecks += 1;
    return this.cancel;
  }
}

function setup(overrides: Partial<CopyContainerDeps> = {}) {
  const sink = new MemorySink();
  const logs: Record<string, unknown>[] = [];
  const signals = new EventEmitter();
  const deps: CopyContainerDeps = { sink, signals, writeLog: (line) => logs.push(JSON.parse(line) as Record<string, unknown>), ...overrides };
  return { sink, logs, signals, deps };
}

const env = (dir: string, extra: Record<string, string> = {}) => ({
  SMIG_MIGRATION_ID: 'mig-42',
  SMIG_SOURCE: join(dir, 'src'),
  SMIG_DESTINATION: join(dir, 'dst'),
  SMIG_PASS: 'bulk',
  ...extra,
});

/** The real engine, slowed down so there is time to stop it. */
const slowCopy = (source: string, destination: string, options: CopyOptions) =>
  copyTree(source, destination, { ...options, bytesPerSecond: 4 * MIB, progressIntervalMs: 50 });

describe('Function: runCopyContainer', () => {
  const tempDir = useTempDirs();

  describe('a job that runs to the end', () => {
    it('copies, reports progress and the outcome, logs JSON with the migration id, and returns OK', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/a.txt': 'alpha', 'src/b/c.txt': 'gamma' });
      const { sink, logs, deps } = setup();

      // Act
      const code = await runCopyContainer(env(dir, { SMIG_PASS: 'final' }), deps);

      // Assess
      expect(code).toBe(CopyExitCode.OK);
      expect(await readText(join(dir, 'dst/b/c.txt'))).toBe('gamma');
      expect(sink.reports.at(-1)).toMatchObject({ type: 'progress', pass: 'final', phase: 'done', files_done: 2, bytes_done: 10 });
      expect(sink.finishedWith).toEqual([{ pass: 'final', files: 2, bytes: 10, seconds: expect.any(Number), verified: true, verification: 'storage' }]);
      expect(sink.failedWith).toEqual([]);
      expect(logs.length).toBeGreaterThan(0);
      for (const line of logs) expect(line).toMatchObject({ service: 'smig-copy', migration_id: 'mig-42', pass: 'final', level: expect.any(String) });
      expect(logs.at(-1)).toMatchObject({ level: 'INFO', message: 'copy finished', summary: expect.objectContaining({ files: 2 }) });
    });

    it('does not verify a bulk pass unless SMIG_VERIFY says so', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/a.txt': 'a' });
      const bulk = setup();
      const verified = setup();

      // Act
      await runCopyContainer(env(dir), bulk.deps);
      await runCopyContainer(env(dir, { SMIG_VERIFY: 'true' }), verified.deps);

      // Assess
      expect(bulk.sink.finishedWith[0]).toMatchObject({ verified: false, verification: 'none' });
      expect(verified.sink.finishedWith[0]).toMatchObject({ verified: true, verification: 'cache', files: 0 });
    });

    it.each(['bulk', 'final'])('makes a %s pass durable before it reports it done (its step may run elsewhere next)', async (pass) => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/a.txt': 'a' });
      const seen: CopyOptions[] = [];
      const { sink, deps } = setup({ copy: (source, destination, options) => (seen.push(options), copyTree(source, destination, options)) });

      // Act
      const code = await runCopyContainer(env(dir, { SMIG_PASS: pass }), deps);

      // Assess
      expect(code).toBe(CopyExitCode.OK);
      expect(seen).toEqual([expect.objectContaining({ pass, writeBack: 'pass' })]);
      expect(sink.finishedWith).toHaveLength(1);
    });
  });

  describe('a job that cannot run', () => {
    it('returns USAGE for a bad environment and reports it when the migration is known', async () => {
      // Prepare
      const { sink, logs, deps } = setup();

      // Act
      const code = await runCopyContainer({ SMIG_MIGRATION_ID: 'mig-42', SMIG_PASS: 'bulk', SMIG_SOURCE: 'relative' }, deps);

      // Assess
      expect(code).toBe(CopyExitCode.USAGE);
      expect(sink.failedWith).toEqual([{ pass: 'bulk', message: expect.stringContaining('SMIG_SOURCE must be an absolute path') }]);
      expect(logs).toEqual([expect.objectContaining({ level: 'ERROR', message: 'invalid copy job', migration_id: 'mig-42' })]);
    });

    it('returns USAGE without touching the sink when the migration id is missing', async () => {
      // Prepare
      const { sink, deps } = setup();

      // Act
      const code = await runCopyContainer({}, deps);

      // Assess
      expect(code).toBe(CopyExitCode.USAGE);
      expect(sink.failedWith).toEqual([]);
      expect(sink.cancelChecks).toBe(0);
    });

    it('returns FAILED and reports the failed paths when the copy fails', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/a.txt': 'a', 'blocker': 'file' });
      const { sink, logs, deps } = setup();

      // Act
      const code = await runCopyContainer(env(dir, { SMIG_DESTINATION: join(dir, 'blocker/dst') }), deps);

      // Assess
      expect(code).toBe(CopyExitCode.FAILED);
      expect(sink.failedWith).toEqual([{ pass: 'bulk', message: expect.stringContaining('blocker/dst: cannot use destination: ENOTDIR') }]);
      expect(sink.finishedWith).toEqual([]);
      expect(logs.at(-1)).toMatchObject({ level: 'ERROR', message: 'copy failed', failures: [expect.objectContaining({ code: 'ENOTDIR' })] });
    });
  });

  describe('stopping', () => {
    it('returns CANCELLED when the sink says the migration was cancelled, leaving no partial file', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/': '' });
      await writeFile(join(dir, 'src/huge.bin'), Buffer.alloc(16 * MIB, 4));
      const { sink, deps } = setup({ copy: slowCopy, cancelPollMs: 100 });
      setTimeout(() => (sink.cancel = true), 300);

      // Act
      const started = performance.now();
      const code = await runCopyContainer(env(dir), deps);

      // Assess
      expect(code).toBe(CopyExitCode.CANCELLED);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(sink.cancelChecks).toBeGreaterThanOrEqual(2);
      expect(sink.finishedWith).toEqual([]);
      expect(sink.failedWith).toEqual([]);
      await expect(access(join(dir, 'dst/huge.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await tempFilesUnder(join(dir, 'dst'))).toEqual([]);
    });

    it('polls for a cancel about every second by default', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/': '' });
      await writeFile(join(dir, 'src/big.bin'), Buffer.alloc(9 * MIB, 5));
      const { sink, deps } = setup({ copy: slowCopy });

      // Act: 9 MiB at 4 MiB/s takes about 2.3 s
      await runCopyContainer(env(dir), deps);

      // Assess: one check at the start, then one per second
      expect(sink.cancelChecks).toBeGreaterThanOrEqual(2);
      expect(sink.cancelChecks).toBeLessThanOrEqual(4);
    });

    it('returns CANCELLED within two seconds of SIGTERM, leaving no partial file', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/': '' });
      await writeFile(join(dir, 'src/huge.bin'), Buffer.alloc(16 * MIB, 6));
      const { sink, signals, logs, deps } = setup({ copy: slowCopy });
      let signalledAt = 0;
      const waitForBytes = setInterval(() => {
        if (signalledAt === 0 && sink.reports.some((r) => r.phase === 'copying' && r.bytes_done > 0)) {
          signalledAt = performance.now();
          signals.emit('SIGTERM');
        }
      }, 20);

      // Act
      const code = await runCopyContainer(env(dir), deps);
      clearInterval(waitForBytes);

      // Assess
      expect(signalledAt).toBeGreaterThan(0);
      expect(code).toBe(CopyExitCode.CANCELLED);
      expect(performance.now() - signalledAt).toBeLessThan(2000);
      expect(logs).toContainEqual(expect.objectContaining({ level: 'WARN', message: 'stop signal received, stopping the copy', signal: 'SIGTERM' }));
      await expect(access(join(dir, 'dst/huge.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await tempFilesUnder(join(dir, 'dst'))).toEqual([]);
      expect(signals.listenerCount('SIGTERM')).toBe(0);
    });

    it('gives up waiting for an engine that does not stop, within the grace period', async () => {
      // Prepare
      const dir = await tempDir();
      const stuck = () => new Promise<never>(() => undefined);
      const { signals, deps } = setup({ copy: stuck, stopGraceMs: 300 });
      setTimeout(() => signals.emit('SIGTERM'), 50);

      // Act
      const started = performance.now();
      const code = await runCopyContainer(env(dir), deps);

      // Assess
      expect(code).toBe(CopyExitCode.CANCELLED);
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });

  describe('a sink that fails', () => {
    it('keeps copying when progress reports fail, and returns FAILED when the outcome cannot be recorded', async () => {
      // Prepare
      const dir = await tempDir();
      await writeTree(dir, { 'src/a.txt': 'a' });
      const { sink, logs, deps } = setup();
      sink.report = async () => Promise.reject(new Error('table unavailable'));
      sink.finished = async () => Promise.reject(new Error('still unavailable'));

      // Act
      const code = await runCopyContainer(env(dir), deps);

      // Assess
      expect(code).toBe(CopyExitCode.FAILED);
      expect(await readText(join(dir, 'dst/a.txt'))).toBe('a');
      expect(logs).toContainEqual(expect.objectContaining({ level: 'WARN', message: 'could not report progress', error: { name: 'Error', message: 'table unavailable' } }));
      expect(sink.failedWith).toEqual([{ pass: 'bulk', message: 'still unavailable' }]);
    });
  });
});
