import { execFileSync } from 'node:child_process';
import { lstat, mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopyExitCode } from '../../../lambdas/core/workflow.ts';
import { readText, useTempDirs } from '../helpers.ts';
import { runSmigCopy, summaryOf } from '../smig-copy-process.ts';

/** Without the native addon (SMIG_NATIVE=off) the engine still copies, and says what it cannot keep. */
describe('Command: smig-copy without the native addon', () => {
  const tempDir = useTempDirs();
  const withoutAddon = { env: { SMIG_NATIVE: 'off' } };

  it('copies files with times to the microsecond and lists what the copy does not preserve', async () => {
    // Prepare
    const dir = await tempDir();
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src/a.txt'), 'alpha');
    await utimes(join(dir, 'src/a.txt'), 1_600_000_000.25, 1_600_000_000.123456);

    // Act
    const run = await runSmigCopy([join(dir, 'src'), join(dir, 'dst')], withoutAddon);

    // Assess
    expect(run.code).toBe(CopyExitCode.OK);
    const summary = summaryOf(run);
    expect(summary).toMatchObject({ files: 1, verified: true });
    expect(summary['limitations']).toEqual([
      'times are kept to the microsecond, not the nanosecond (the native addon is not loaded: turned off by SMIG_NATIVE=off)',
      'extended attributes and ACLs are not copied (the native addon is not loaded: turned off by SMIG_NATIVE=off)',
      'sparse files are written out in full (the native addon is not loaded: turned off by SMIG_NATIVE=off)',
      'FIFOs, sockets and device nodes cannot be created (the native addon is not loaded: turned off by SMIG_NATIVE=off)',
    ]);
    expect(await readText(join(dir, 'dst/a.txt'))).toBe('alpha');
    const micros = async (root: string) => (await lstat(join(root, 'a.txt'), { bigint: true })).mtimeNs / 1000n;
    expect(await micros(join(dir, 'dst'))).toBe(await micros(join(dir, 'src')));
    const again = await runSmigCopy([join(dir, 'src'), join(dir, 'dst')], withoutAddon);
    expect(summaryOf(again)).toMatchObject({ files: 0, unchanged: 1 }); // microsecond times compare equal
  });

  it('fails on a FIFO, naming it and why, rather than skipping it', async () => {
    // Prepare
    const dir = await tempDir();
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src/a.txt'), 'alpha');
    execFileSync('mkfifo', [join(dir, 'src/pipe')]);

    // Act
    const run = await runSmigCopy([join(dir, 'src'), join(dir, 'dst')], withoutAddon);

    // Assess
    expect(run.code).toBe(CopyExitCode.FAILED);
    expect(JSON.parse(run.stderr)).toMatchObject({
      error: 'CopyFailedError',
      failures: [{ path: 'pipe', reason: 'cannot copy fifo: needs the native addon, which is not loaded (turned off by SMIG_NATIVE=off)' }],
    });
  });
});
