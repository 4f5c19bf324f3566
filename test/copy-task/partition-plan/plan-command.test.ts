import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopyExitCode } from '../../../lambdas/core/workflow.ts';
import { parseCliArgs } from '../../../copy-task/cli/args.ts';
import { PLAN_USAGE, runPlan } from '../../../copy-task/partition/plan-command.ts';
import { CopyUsageError } from '../../../copy-task/runtime/exit-codes.ts';
import { useTempDirs } from '../helpers.ts';

const BIN = join(import.meta.dirname, '../../../copy-task/bin/smig-copy.ts');

/** Runs the CLI as a child process. */
function smigCopy(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('Function: parseCliArgs', () => {
  describe('Method: plan', () => {
    it('reads the plan subcommand, its options and its one folder, made absolute', () => {
      // Act / Assess
      expect(parseCliArgs(['plan', '--partitions', '4', '--max-partitions', '9', 'src'], '/work')).toEqual({ kind: 'plan', source: '/work/src', partitions: 4, maxPartitions: 9 });
      expect(parseCliArgs(['plan', '/abs'], '/work')).toEqual({ kind: 'plan', source: '/abs', partitions: undefined, maxPartitions: undefined });
      expect(parseCliArgs(['plan', '--help'])).toEqual({ kind: 'help', usage: PLAN_USAGE });
    });

    it.each([
      [['plan'], /plan expects SRC, got 0/],
      [['plan', 'a', 'b'], /plan expects SRC, got 2/],
      [['plan', '--partitions', '0', 'a'], /--partitions must be a positive integer, got '0'/],
      [['plan', '--max-partitions', 'x', 'a'], /--max-partitions must be a positive integer/],
      [['plan', '--bogus', 'a'], /bogus/],
    ])('refuses %j', (argv, message) => {
      // Act / Assess
      expect(() => parseCliArgs(argv)).toThrow(CopyUsageError);
      expect(() => parseCliArgs(argv)).toThrow(message);
    });
  });
});

describe('Command: smig-copy plan', () => {
  const tempDir = useTempDirs();

  it('prints the plan as one JSON line and exits 0', async () => {
    // Prepare
    const root = await tempDir();
    for (const folder of ['a', 'b']) {
      await mkdir(join(root, folder));
      for (let at = 0; at < 10; at += 1) await writeFile(join(root, folder, `f${at}`), 'data');
    }

    // Act
    const run = await smigCopy(['plan', '--partitions', '2', root]);

    // Assess
    expect(run.code).toBe(CopyExitCode.OK);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      version: 1,
      totals: { bytes: 80, entries: 22 },
      partitions: [
        { to: Buffer.from('b').toString('base64'), bytes: 40, entries: 11 },
        { from: Buffer.from('b').toString('base64'), bytes: 40, entries: 11 },
      ],
      cuts: [Buffer.from('b').toString('base64')],
    });
  });

  it('fails with a JSON error on stderr and exit 1 when the source cannot be surveyed, and 2 on bad usage', async () => {
    // Prepare
    const missing = join(await tempDir(), 'missing');

    // Act
    const failed = await smigCopy(['plan', missing]);
    const misused = await smigCopy(['plan', '--partitions', 'many', missing]);

    // Assess
    expect(failed.code).toBe(CopyExitCode.FAILED);
    expect(JSON.parse(failed.stderr.trim())).toMatchObject({ type: 'error', error: 'PartitionSurveyError', exit_code: 1 });
    expect(failed.stdout).toBe('');
    expect(misused.code).toBe(CopyExitCode.USAGE);
  });

  it('stops the survey on SIGTERM, printing no plan, and exits 143', async () => {
    // Prepare
    const root = await tempDir();
    for (let at = 0; at < 5; at += 1) await mkdir(join(root, `folder-${at}`));
    const signals = new EventEmitter();
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) }, signals };

    // Act
    const running = runPlan({ kind: 'plan', source: root, partitions: 2, maxPartitions: undefined }, io);
    signals.emit('SIGTERM');
    const code = await running;

    // Assess
    expect(code).toBe(CopyExitCode.CANCELLED);
    expect(stdout).toBe('');
    expect(JSON.parse(stderr.trim())).toMatchObject({ error: 'CopyAbortedError', exit_code: 143 });
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });
});
