import { spawn } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { CopyExitCode } from '../../../lambdas/core/workflow.ts';
import { listTree, readText, tempFilesUnder, useTempDirs, writeTree } from '../helpers.ts';

const BIN = join(import.meta.dirname, '../../../copy-task/bin/smig-copy.ts');
const MIB = 1024 * 1024;

interface Finished {
  readonly code: number | null;
  readonly stdout: string[];
  readonly stderr: string;
}

/** Runs the CLI as a child process; `onLine` sees each stdout line as it comes. */
function smigCopy(args: readonly string[], onLine: (line: string, child: ReturnType<typeof spawn>) => void = () => undefined): Promise<Finished> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout.push(line);
    onLine(line, child);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const parse = (lines: readonly string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('Command: smig-copy', () => {
  const tempDir = useTempDirs();

  it('copies, printing progress and then a summary as JSON lines, and exits 0', async () => {
    // Prepare
    const dir = await tempDir();
    await writeTree(dir, { 'src/a.txt': 'alpha', 'src/sub/b.txt': 'beta' });

    // Act
    const result = await smigCopy([join(dir, 'src'), join(dir, 'dst')]);

    // Assess
    expect(result.code).toBe(CopyExitCode.OK);
    expect(result.stderr).toBe('');
    const lines = parse(result.stdout);
    const progress = lines.filter((l) => l['type'] === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (const p of progress) {
      expect(Object.keys(p).sort()).toEqual(['bytes_done', 'bytes_per_second', 'bytes_total', 'eta_seconds', 'files_done', 'files_total', 'pass', 'phase', 'type']);
    }
    expect(progress.at(-1)).toMatchObject({ phase: 'done', files_done: 2, bytes_done: 9 });
    expect(lines.at(-1)).toMatchObject({ type: 'summary', pass: 'bulk', files: 2, bytes: 9, dirs: 1, verified: true });
    expect(await readText(join(dir, 'dst/sub/b.txt'))).toBe('beta');
  });

  it('keeps extras with --no-delete and skips verification with --no-verify', async () => {
    // Prepare
    const dir = await tempDir();
    await writeTree(dir, { 'src/a.txt': 'a', 'dst/extra.txt': 'x' });

    // Act
    const result = await smigCopy(['--no-delete', '--no-verify', '--concurrency', '2', '--json', join(dir, 'src'), join(dir, 'dst')]);

    // Assess
    expect(result.code).toBe(CopyExitCode.OK);
    expect(parse(result.stdout).at(-1)).toMatchObject({ type: 'summary', verified: false, deleted: 0 });
    expect(await listTree(join(dir, 'dst'))).toEqual(['a.txt', 'extra.txt']);
  });

  it('exits 2 with a JSON usage error on stderr for bad arguments', async () => {
    // Act
    const result = await smigCopy(['--concurrency', 'lots', '/a', '/b']);

    // Assess
    expect(result.code).toBe(CopyExitCode.USAGE);
    expect(result.stdout).toEqual([]);
    expect(JSON.parse(result.stderr)).toEqual({
      type: 'error', error: 'CopyUsageError', message: "--concurrency must be an integer from 1 to 1024, got 'lots'", exit_code: 2,
    });
  });

  it('prints help and exits 0', async () => {
    // Act
    const result = await smigCopy(['--help']);

    // Assess
    expect(result.code).toBe(CopyExitCode.OK);
    expect(result.stdout[0]).toBe('Usage: smig-copy [options] SRC DST');
  });

  it('exits 1 with the failed paths as JSON on stderr', async () => {
    // Prepare
    const dir = await tempDir();
    await writeTree(dir, { 'src/a.txt': 'a', 'blocker': 'a file, not a folder' });

    // Act
    const result = await smigCopy([join(dir, 'src'), join(dir, 'blocker/dst')]);

    // Assess
    expect(result.code).toBe(CopyExitCode.FAILED);
    const error = JSON.parse(result.stderr) as Record<string, unknown>;
    expect(error).toMatchObject({ type: 'error', error: 'CopyFailedError', exit_code: 1 });
    expect(error['failures']).toEqual([expect.objectContaining({ path: join(dir, 'blocker/dst'), code: 'ENOTDIR' })]);
  });

  it('stops on SIGTERM mid-copy with exit 143, leaving no partial file', async () => {
    // Prepare: 16 MiB at 4 MiB/s would take 4 s
    const dir = await tempDir();
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src/huge.bin'), Buffer.alloc(16 * MIB, 3));
    let signalledAt = 0;

    // Act
    const result = await smigCopy(['--bwlimit', '4M', join(dir, 'src'), join(dir, 'dst')], (line, child) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      if (signalledAt === 0 && event['phase'] === 'copying' && Number(event['bytes_done']) > 0) {
        signalledAt = performance.now();
        child.kill('SIGTERM');
      }
    });

    // Assess
    expect(signalledAt).toBeGreaterThan(0);
    expect(result.code).toBe(CopyExitCode.CANCELLED);
    expect(performance.now() - signalledAt).toBeLessThan(2000);
    expect(JSON.parse(result.stderr)).toMatchObject({ type: 'error', error: 'CopyAbortedError', message: 'copy aborted: SIGTERM', exit_code: 143 });
    await expect(access(join(dir, 'dst/huge.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await tempFilesUnder(join(dir, 'dst'))).toEqual([]);
  });
});
