import { EventEmitter } from 'node:events';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CopyProgressSink } from '../../../lambdas/core/progress.ts';
import { CopyExitCode, CopyTaskEnv } from '../../../lambdas/core/workflow.ts';
import { parseCliArgs } from '../../../copy-task/cli/args.ts';
import { runCli } from '../../../copy-task/cli/run-cli.ts';
import { runCopyContainer } from '../../../copy-task/container.ts';
import { copyTree, type CopyOptions } from '../../../copy-task/engine/index.ts';
import { WriteBackJournal } from '../../../copy-task/engine/durability.ts';
import { PassRecords } from '../../../copy-task/engine/pass-record.ts';
import { encodePartitionPath, PARTITION_FROM_ENV, PARTITION_TO_ENV, partitionKey } from '../../../copy-task/engine/partition-range.ts';
import { CopyJobError, parseCopyJob } from '../../../copy-task/runtime/job.ts';
import { CopyUsageError } from '../../../copy-task/runtime/exit-codes.ts';
import { useTempDirs } from '../helpers.ts';

const b64 = (path: string) => encodePartitionPath(Buffer.from(path));

describe('Function: parseCliArgs (partitions)', () => {
  it('reads --partition-from and --partition-to as the partition to copy', () => {
    // Act
    const command = parseCliArgs(['--partition-from', b64('a/m'), '--partition-to', b64('c'), 'src', 'dst'], '/work');

    // Assess
    expect(command).toMatchObject({ kind: 'run', source: '/work/src', destination: '/work/dst', partition: { from: Buffer.from('a/m'), to: Buffer.from('c') } });
  });

  it('refuses a partition that is not base64 of a path, or whose ends are out of order', () => {
    expect(() => parseCliArgs(['--partition-from', '***', 'src', 'dst'])).toThrow(CopyUsageError);
    expect(() => parseCliArgs(['--partition-from', b64('c'), '--partition-to', b64('a'), 'src', 'dst'])).toThrow(/must come before/);
  });

  it('reads seal and prepare with their cuts', () => {
    expect(parseCliArgs(['seal', '--cut', b64('a/b'), '--cut', b64('c'), '--no-delete', 'src', 'dst'], '/w')).toEqual({
      kind: 'seal', source: '/w/src', destination: '/w/dst', cuts: [Buffer.from('a/b'), Buffer.from('c')], mirror: false, preserveMetadata: true,
    });
    expect(() => parseCliArgs(['prepare', '--cut', b64('/abs'), 'src', 'dst'])).toThrow(CopyUsageError);
  });
});

describe('Function: parseCopyJob (partitions)', () => {
  const env = { SMIG_MIGRATION_ID: 'mig-1', SMIG_SOURCE: '/s', SMIG_DESTINATION: '/d', SMIG_PASS: 'bulk' };

  it('reads SMIG_PARTITION_FROM and SMIG_PARTITION_TO, the names CopyTaskEnv gives them', () => {
    // Assess: one name on both sides of the contract
    expect([CopyTaskEnv.PARTITION_FROM, CopyTaskEnv.PARTITION_TO]).toEqual([PARTITION_FROM_ENV, PARTITION_TO_ENV]);
    expect(parseCopyJob({ ...env, [PARTITION_TO_ENV]: b64('m') }).partition).toEqual({ to: Buffer.from('m') });
    expect(parseCopyJob(env).partition).toBeUndefined();
  });

  it('fails as a job error on a bad partition', () => {
    expect(() => parseCopyJob({ ...env, [PARTITION_FROM_ENV]: 'not base64!' })).toThrow(CopyJobError);
  });
});

describe('Partitions: the CLI and the container entry', () => {
  const tempDir = useTempDirs();

  it('prepare, two partitions at once and seal through smig-copy make the copy one pass makes', async () => {
    // Prepare
    const dir = await tempDir();
    const source = join(dir, 'src');
    await mkdir(join(source, 'a/b'), { recursive: true });
    await writeFile(join(source, 'a/b/1'), 'one');
    await writeFile(join(source, 'a/b/2'), 'two');
    await writeFile(join(source, 'z'), 'zed');
    const out: string[] = [];
    const io = { stdout: { write: (text: string) => void out.push(text) }, stderr: { write: (text: string) => void out.push(text) }, signals: new EventEmitter() };
    const cut = ['--cut', b64('a/b/2')];
    const destination = join(dir, 'dst');

    // Act
    expect(await runCli(['prepare', ...cut, source, destination], io)).toBe(CopyExitCode.OK);
    const codes = await Promise.all([
      runCli(['--json', '--no-state', '--partition-to', b64('a/b/2'), source, destination], io),
      runCli(['--json', '--no-state', '--partition-from', b64('a/b/2'), source, destination], io),
    ]);
    expect(await runCli(['seal', ...cut, source, destination], io)).toBe(CopyExitCode.OK);

    // Assess
    expect(codes).toEqual([CopyExitCode.OK, CopyExitCode.OK]);
    expect(await readFile(join(destination, 'a/b/1'), 'utf8')).toBe('one');
    expect(await readFile(join(destination, 'a/b/2'), 'utf8')).toBe('two');
    expect(await readFile(join(destination, 'z'), 'utf8')).toBe('zed');
    expect((await stat(join(destination, 'a/b'))).mtimeMs).toBe((await stat(join(source, 'a/b'))).mtimeMs);
    expect(out.at(-1)).toBe(`${JSON.stringify({ type: 'seal', sealed: 3, removed: 0, kept: 0 })}\n`);
  });

  it('hands the container\'s partition to the engine', async () => {
    // Prepare
    const dir = await tempDir();
    await mkdir(join(dir, 'src'));
    const seen: CopyOptions[] = [];
    const sink: CopyProgressSink = { report: async () => undefined, finished: async () => undefined, failed: async () => undefined, cancelRequested: async () => false };

    // Act
    const code = await runCopyContainer(
      { SMIG_MIGRATION_ID: 'mig-1', SMIG_SOURCE: join(dir, 'src'), SMIG_DESTINATION: join(dir, 'dst'), SMIG_PASS: 'bulk', [PARTITION_FROM_ENV]: b64('k') },
      { sink, signals: new EventEmitter(), writeLog: () => undefined, copy: (source, destination, options) => (seen.push(options), copyTree(source, destination, options)) },
    );

    // Assess
    expect(code).toBe(CopyExitCode.OK);
    expect(seen[0]?.partition).toEqual({ from: Buffer.from('k') });
  });
});

describe('Partitions: what a pass keeps of itself', () => {
  const tempDir = useTempDirs();

  it('gives each partition a journal of its own name in the destination root, found again by that partition only', async () => {
    // Prepare
    const dir = await tempDir();
    await mkdir(join(dir, 'src'));
    await mkdir(join(dir, 'dst'));
    const roots = { sourceRoot: Buffer.from(join(dir, 'src')), destinationRoot: Buffer.from(join(dir, 'dst')) };
    const [first, second] = [partitionKey({ to: Buffer.from('m') }), partitionKey({ from: Buffer.from('m') })];

    // Act
    const a = await WriteBackJournal.open(roots, { token: 'aaaaaaaaaaaaaaaa', partitionKey: first });
    const b = await WriteBackJournal.open(roots, { token: 'bbbbbbbbbbbbbbbb', partitionKey: second });
    await Promise.all([a.begin(), b.begin()]);
    const again = await WriteBackJournal.open(roots, { token: 'cccccccccccccccc', partitionKey: first });

    // Assess
    expect((await readdir(join(dir, 'dst'))).sort()).toEqual([`.smig-tmp-journal-p${first}`, `.smig-tmp-journal-p${second}`].sort());
    expect(again.name.toString()).toBe(`.smig-tmp-journal-p${first}`);
    expect([...again.staleTokens]).toEqual(['aaaaaaaaaaaaaaaa']);
  });

  it('leaves another partition\'s temp files in a boundary folder alone, and removes its own leftovers there on its next run', async () => {
    // Prepare: leftovers of killed runs of two partitions in the root (a boundary folder), each token in its partition's journal
    const dir = await tempDir();
    const [source, destination] = [join(dir, 'src'), join(dir, 'dst')];
    await mkdir(source);
    await mkdir(destination);
    await writeFile(join(source, 'f'), 'x');
    const roots = { sourceRoot: Buffer.from(source), destinationRoot: Buffer.from(destination) };
    const mine = { to: Buffer.from('m') };
    const theirs = { from: Buffer.from('m') };
    await (await WriteBackJournal.open(roots, { token: 'aaaaaaaaaaaaaaaa', partitionKey: partitionKey(mine) })).begin();
    await (await WriteBackJournal.open(roots, { token: 'bbbbbbbbbbbbbbbb', partitionKey: partitionKey(theirs) })).begin();
    // Both names sort into `mine` ('.' < 'm'): the other partition's is still not mine to remove.
    await writeFile(join(destination, '.smig-tmp-aaaaaaaaaaaaaaaaj0'), 'my leftover');
    await writeFile(join(destination, '.smig-tmp-bbbbbbbbbbbbbbbbj0'), 'in flight elsewhere');

    // Act
    await copyTree(source, destination, { partition: mine });

    // Assess
    const names = await readdir(destination);
    expect(names).not.toContain('.smig-tmp-aaaaaaaaaaaaaaaaj0');
    expect(names).toContain('.smig-tmp-bbbbbbbbbbbbbbbbj0');
    expect(names).toContain(`.smig-tmp-journal-p${partitionKey(theirs)}`);
    expect(names).toContain('f');
  });

  it('keys the remembered pass by the partition, so that partitions do not overwrite each other\'s record', async () => {
    // Prepare
    const dir = await tempDir();
    const [source, destination, state] = [join(dir, 'src'), join(dir, 'dst'), join(dir, 'state')];
    await mkdir(source);
    await writeFile(join(source, 'f'), 'x');
    const ranges = [{ to: Buffer.from('m') }, { from: Buffer.from('m') }];

    // Act
    await Promise.all(ranges.map((partition) => copyTree(source, destination, { partition, stateFolder: state })));

    // Assess
    const files = ranges.map((range) => new PassRecords(state, undefined, partitionKey(range)).fileOf(Buffer.from(source), Buffer.from(destination)));
    expect(new Set(files).size).toBe(2);
    expect((await readdir(join(state, 'passes'))).sort()).toEqual(files.map((file) => file.split('/').at(-1)).sort());
  });
});
