import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { access, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runPurgeContainer } from '../../../copy-task/runtime/purge-container.ts';
import { PURGE_ENTRY, PurgeExitCode } from '../../../lambdas/core/workflow.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const INSTANCE = '5f0c6d1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f';

describe('Function: runPurgeContainer', () => {
  let root: string;
  let outside: string;
  const logs: Record<string, unknown>[] = [];
  const writeLog = (line: string) => {
    logs.push(JSON.parse(line) as Record<string, unknown>);
  };
  const env = (folder = `shares/share-${INSTANCE}`, extra: Record<string, string> = {}) => ({
    SMIG_PURGE_ROOT: root, SMIG_PURGE_FOLDER: folder, SMIG_PURGE_INSTANCE_ID: INSTANCE, ...extra,
  });
  const exists = (path: string) => access(path).then(() => true, () => false);

  beforeEach(async () => {
    logs.length = 0;
    root = await mkdtemp(join(tmpdir(), 'smig-purge-root-'));
    outside = await mkdtemp(join(tmpdir(), 'smig-purge-outside-'));
    await writeFile(join(outside, 'keep.txt'), 'not the instance');
    const folder = join(root, 'shares', `share-${INSTANCE}`);
    await mkdir(join(folder, 'a', 'b', 'c'), { recursive: true });
    for (let i = 0; i < 40; i++) await writeFile(join(folder, 'a', `f${i}`), `file ${i}`);
    await writeFile(join(folder, 'a', 'b', 'c', 'deep'), 'deep');
    // Links are removed as links: what they point to stays.
    await symlink(outside, join(folder, 'a', 'link-to-outside'));
    await mkdir(join(root, 'shares', 'share-other'), { recursive: true });
    await writeFile(join(root, 'shares', 'share-other', 'x'), 'another share');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it("removes the instance's folder and everything in it, never what a link points to, and nothing else; again: already gone", async () => {
    // Act
    const first = await runPurgeContainer(env(), { writeLog, signals: new EventEmitter() });
    const second = await runPurgeContainer(env(), { writeLog, signals: new EventEmitter() });

    // Assess
    expect([first, second]).toEqual([PurgeExitCode.OK, PurgeExitCode.OK]);
    expect(await exists(join(root, 'shares', `share-${INSTANCE}`))).toBe(false);
    expect(await readFile(join(outside, 'keep.txt'), 'utf8')).toBe('not the instance');
    expect(await readFile(join(root, 'shares', 'share-other', 'x'), 'utf8')).toBe('another share');
    expect(logs.map((line) => line['message'])).toEqual(['purge starting', 'purge finished', 'purge starting', 'nothing to purge: the folder is not there']);
  });

  it.each([
    ['a folder outside shares/', 'etc'],
    ['a path that climbs out', `shares/share-${INSTANCE}/../../etc`],
    ['shares itself', 'shares'],
    ['a hidden name', 'shares/share-.x'],
    ['an absolute path', `/shares/share-${INSTANCE}`],
    ["another instance's folder", 'shares/share-other'],
  ])('refuses %s and touches nothing', async (_case, folder) => {
    // Act
    const code = await runPurgeContainer(env(folder), { writeLog, signals: new EventEmitter() });

    // Assess
    expect(code).toBe(PurgeExitCode.REFUSED);
    expect(await exists(join(root, 'shares', `share-${INSTANCE}`, 'a', 'f0'))).toBe(true);
    expect(await exists(join(root, 'shares', 'share-other', 'x'))).toBe(true);
    expect(logs.at(-1)).toMatchObject({ level: 'ERROR', message: 'purge refused' });
  });

  it('refuses an instance folder that is a link, and leaves what it points to', async () => {
    // Prepare
    await rm(join(root, 'shares', `share-${INSTANCE}`), { recursive: true });
    await symlink(outside, join(root, 'shares', `share-${INSTANCE}`));

    // Act
    const code = await runPurgeContainer(env(), { writeLog, signals: new EventEmitter() });

    // Assess
    expect(code).toBe(PurgeExitCode.REFUSED);
    expect(await readFile(join(outside, 'keep.txt'), 'utf8')).toBe('not the instance');
  });

  it('exits USAGE without a job, FAILED when the root is not mounted, CANCELLED when stopped', async () => {
    // Prepare
    const signals = new EventEmitter();

    // Act
    const usage = await runPurgeContainer({}, { writeLog, signals });
    const unmounted = await runPurgeContainer(env(undefined, { SMIG_PURGE_ROOT: join(root, 'not-mounted') }), { writeLog, signals });
    const stopping = runPurgeContainer(env(), { writeLog, signals });
    signals.emit('SIGTERM');
    const cancelled = await stopping;

    // Assess
    expect([usage, unmounted, cancelled]).toEqual([PurgeExitCode.USAGE, PurgeExitCode.FAILED, PurgeExitCode.CANCELLED]);
    expect(await exists(join(root, 'shares', `share-${INSTANCE}`))).toBe(true);
  });

  it('runs as the purge task does: node with the purge entry, its job in the environment', async () => {
    // Act
    const code = await new Promise<number | null>((done, fail) => {
      const child = spawn(process.execPath, [join(REPO_ROOT, PURGE_ENTRY)], { cwd: REPO_ROOT, env: { PATH: process.env['PATH'] ?? '', ...env() }, stdio: 'ignore' });
      child.once('error', fail);
      child.once('close', done);
    });

    // Assess
    expect(code).toBe(PurgeExitCode.OK);
    expect(await exists(join(root, 'shares', `share-${INSTANCE}`))).toBe(false);
  });
});
