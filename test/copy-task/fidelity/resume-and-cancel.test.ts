import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CopyExitCode } from '../../../lambdas/core/workflow.ts';
import { tempFilesUnder, useTempDirs } from '../helpers.ts';
import { jsonLines, runSmigCopy, summaryOf, type SmigCopyRun } from '../smig-copy-process.ts';
import { differencesBetween, requireCheckTools } from './checks.ts';
import { nativeOrThrow, setEveryTime } from './every-case-tree.ts';

const KIB = 1024;
const DATA_FILES = 24;
/** Slow enough that a run lasts about three seconds, so it can be stopped at several points. */
const SLOW = ['--bwlimit', '1M', '--concurrency', '2'];
/** The share's own files with names like the engine's journal and temp files: copied like any other, never taken for leftovers. */
const USER_NAMED_LIKE_THE_ENGINE = ['.smig-tmp-journal', '.smig-tmp-journal-1', 'd2/.smig-tmp-user'];

/** The engine's own temp names under `root` (its leftovers), less the share's files named like them. */
async function engineTempsUnder(root: string): Promise<string[]> {
  return (await tempFilesUnder(root)).filter((path) => !USER_NAMED_LIKE_THE_ENGINE.includes(path));
}

/** A folder a killed run made under a temp name: `.smig-tmp-<its token>d<hash of the folder's name>`. */
const HIDDEN_FOLDER = /^\.smig-tmp-[0-9a-f]{16}d[0-9a-f]{16}$/;

/**
 * A copy stopped at any moment, by SIGKILL (nothing runs after it) or SIGTERM (what ECS sends), and
 * run again with the same job, ends as an uninterrupted run would, and does not copy again what was
 * already complete.
 */
describe('Command: smig-copy (stopped and run again)', () => {
  const tempDir = useTempDirs();
  beforeAll(() => requireCheckTools());

  /** 24 files of 128 KiB in four folders (one read-only), a file with two names, a link, a FIFO, xattrs, files named like the engine's. */
  async function sourceTree(): Promise<{ src: string; dst: string }> {
    const dir = await tempDir();
    const src = join(dir, 'src');
    for (let d = 0; d < 4; d += 1) {
      await mkdir(join(src, `d${d}`), { recursive: true });
      for (let f = 0; f < DATA_FILES / 4; f += 1) await writeFile(join(src, `d${d}/f${f}.bin`), randomBytes(128 * KIB));
    }
    for (const path of USER_NAMED_LIKE_THE_ENGINE) await writeFile(join(src, path), `the share's own ${path}`);
    await link(join(src, 'd0/f0.bin'), join(src, 'd3/also-f0.bin'));
    await symlink('d1/f1.bin', join(src, 'link'));
    nativeOrThrow().mknod(Buffer.from(join(src, 'fifo')), 0o010000 | 0o644, 0n);
    nativeOrThrow().setXattr(Buffer.from(join(src, 'd2/f2.bin')), Buffer.from('user.kept'), Buffer.from('yes'));
    await chmod(join(src, 'd1'), 0o555);
    await setEveryTime(nativeOrThrow(), Buffer.from(src));
    return { src, dst: join(dir, 'dst') };
  }

  /** Runs the CLI and stops it with `signal` once `when` says so (given the progress lines so far). */
  function stopWhen(src: string, dst: string, signal: NodeJS.Signals, when: (copying: number, line: Record<string, unknown>) => boolean) {
    let copying = 0;
    let sentAt = 0;
    const run = runSmigCopy([...SLOW, src, dst], {
      onLine: (line, child) => {
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event['phase'] === 'copying' && Number(event['bytes_done']) > 0) copying += 1;
        if (sentAt === 0 && when(copying, event)) {
          sentAt = performance.now();
          child.kill(signal);
        }
      },
    });
    return run.then((result) => ({ ...result, stoppedAfterMs: sentAt === 0 ? undefined : performance.now() - sentAt }));
  }

  /**
   * The data files whose final names are on the destination, checking that each is complete: same
   * content, size, mode and mtime as the source (a final name only ever holds a finished copy). And
   * those complete in a folder a killed run made under a temp name (HIDDEN_FOLDER, where files go
   * under their names at once, since nothing in it is seen before it is renamed): the next run takes
   * them up, so they are not copied again either.
   */
  async function completeFiles(src: string, dst: string): Promise<string[]> {
    const found: string[] = [];
    for (const folder of await readdir(dst).catch(() => [])) {
      if (HIDDEN_FOLDER.test(folder)) {
        for (const name of await readdir(join(dst, folder))) {
          const data = await readFile(join(dst, folder, name)).catch(() => undefined);
          const copy = await lstat(join(dst, folder, name), { bigint: true });
          for (const source of ['d0', 'd1', 'd2', 'd3']) {
            const original = await lstat(join(src, source, name), { bigint: true }).catch(() => undefined);
            if (!original || original.mtimeNs !== copy.mtimeNs || original.size !== copy.size) continue;
            if (data?.equals(await readFile(join(src, source, name)))) found.push(`${source}/${name} (in ${folder})`);
          }
        }
        continue;
      }
      if (!folder.startsWith('d')) continue;
      for (const name of await readdir(join(dst, folder))) {
        if (!/^f\d+\.bin$/.test(name)) continue;
        const path = `${folder}/${name}`;
        const [copy, source] = await Promise.all([lstat(join(dst, path), { bigint: true }), lstat(join(src, path), { bigint: true })]);
        expect([copy.size, copy.mode, copy.mtimeNs], path).toEqual([source.size, source.mode, source.mtimeNs]);
        expect((await readFile(join(dst, path))).equals(await readFile(join(src, path))), path).toBe(true);
        found.push(path);
      }
    }
    return found;
  }

  /** The share's files named like the engine's that are on the destination, complete, under their names (so not copied again). */
  async function completeUserFiles(src: string, dst: string): Promise<string[]> {
    const found: string[] = [];
    for (const path of USER_NAMED_LIKE_THE_ENGINE) {
      const copy = await lstat(join(dst, path), { bigint: true }).catch(() => undefined);
      const source = await lstat(join(src, path), { bigint: true });
      if (copy?.isFile() && copy.mtimeNs === source.mtimeNs && (await readFile(join(dst, path))).equals(await readFile(join(src, path)))) found.push(path);
    }
    return found;
  }

  it('SIGKILLed while scanning, then twice while copying, the next run finishes the job and copies only what was missing', async () => {
    // Prepare
    const { src, dst } = await sourceTree();

    // Act
    const kills: SmigCopyRun[] = [
      await stopWhen(src, dst, 'SIGKILL', () => true),
      await stopWhen(src, dst, 'SIGKILL', (copying) => copying >= 1),
      await stopWhen(src, dst, 'SIGKILL', (copying) => copying >= 2),
    ];
    const completeBefore = await completeFiles(src, dst);
    const userFilesBefore = await completeUserFiles(src, dst);
    const last = await runSmigCopy([src, dst]);

    // Assess
    expect(kills.map((k) => k.signal)).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL']);
    expect(completeBefore.length).toBeGreaterThan(0);
    expect(completeBefore.length).toBeLessThan(DATA_FILES);
    expect(last.code).toBe(CopyExitCode.OK);
    const userFiles = USER_NAMED_LIKE_THE_ENGINE.length - userFilesBefore.length;
    expect(summaryOf(last)).toMatchObject({ files: DATA_FILES - completeBefore.length + userFiles, verified: true });
    expect(differencesBetween(src, dst)).toEqual({ python: [], rsync: [] });
    expect(await tempFilesUnder(dst)).toEqual([...USER_NAMED_LIKE_THE_ENGINE].sort());
  });

  it('SIGTERMed mid-copy, stops within 2 s with exit 143 and no temp file; the next run copies only the rest', async () => {
    // Prepare
    const { src, dst } = await sourceTree();

    // Act
    const stopped = await stopWhen(src, dst, 'SIGTERM', (copying) => copying >= 1);
    const tempsAfterStop = await engineTempsUnder(dst);
    const completeBefore = await completeFiles(src, dst);
    const userFilesBefore = await completeUserFiles(src, dst);
    const last = await runSmigCopy([src, dst]);

    // Assess
    expect(stopped.code).toBe(CopyExitCode.CANCELLED);
    expect(stopped.stoppedAfterMs).toBeLessThan(2000);
    expect(JSON.parse(stopped.stderr)).toMatchObject({ error: 'CopyAbortedError', exit_code: 143 });
    expect(jsonLines(stopped.stdout).some((line) => line['type'] === 'summary')).toBe(false);
    expect(tempsAfterStop).toEqual([]);
    expect(completeBefore.length).toBeLessThan(DATA_FILES);
    const userFiles = USER_NAMED_LIKE_THE_ENGINE.length - userFilesBefore.length;
    expect(summaryOf(last)).toMatchObject({ files: DATA_FILES - completeBefore.length + userFiles, deleted: 0 });
    expect(differencesBetween(src, dst)).toEqual({ python: [], rsync: [] });
  });
});
