import { execFileSync, spawn } from 'node:child_process';
import { chmod, chown, lchown, lstat, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CopyExitCode } from '../../../lambdas/core/workflow.ts';
import { copyTree, nativeStatus, type CopySummary } from '../../../copy-task/engine/index.ts';
import { isRoot, listTree, useTempDirs } from '../helpers.ts';

const CHILD = join(import.meta.dirname, 'left-out-child.ts');
const NOBODY = 65534;

/**
 * preserveMetadata false (a migration started with preserve_metadata=False) onto a destination that
 * refuses to give entries away. An EFS access point with a POSIX user makes every request as that user,
 * so the server answers EPERM to a chown to any other owner, though the copy task runs as root. Here the
 * copy runs (left-out-child.ts) as root without CAP_CHOWN, which the kernel refuses exactly so, and as
 * nobody; the destination root is nobody's, as an access point's root is its user's. Owners are then left
 * out (entries keep the owner the destination gives them, and are not compared), and counted; the rest is
 * copied. With metadata to be preserved, the copy still fails on them.
 */
const RUN_AS = {
  'root without CAP_CHOWN (the copy task on an EFS access point with a POSIX user)': { args: ['--inh-caps=-chown', '--bounding-set=-chown'], given: 0 },
  nobody: { args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'], given: NOBODY },
} as const;
type RunAs = keyof typeof RUN_AS;
const [ROOT_WITHOUT_CHOWN] = Object.keys(RUN_AS) as [RunAs, RunAs];

/** Entries of several owners, set by root; everything readable by anyone (nobody copies it too). */
async function sourceTree(root: string): Promise<void> {
  await mkdir(join(root, 'shared'), { recursive: true });
  await writeFile(join(root, 'alice'), "alice's");
  await writeFile(join(root, 'shared/root-owned'), "root's");
  await writeFile(join(root, 'nobody-owned'), "nobody's");
  await symlink('alice', join(root, 'link'));
  execFileSync('mkfifo', ['-m', '0644', join(root, 'fifo')]);
  await chown(join(root, 'alice'), 1000, 1000);
  await chown(join(root, 'shared'), 2000, 3000);
  await chown(join(root, 'nobody-owned'), NOBODY, NOBODY);
  await lchown(join(root, 'link'), 1000, 1000);
  await chown(join(root, 'fifo'), 2000, 2000);
  await chmod(root, 0o755);
}

/**
 * The entries whose source owner is not the one they get on the destination: those whose owner is left
 * out. `given` to what the copy makes; the root (root's in the source) keeps its own, nobody's.
 */
function ownedByOthers(given: number): string[] {
  const owners: Record<string, number> = { alice: 1000, shared: 2000, 'shared/root-owned': 0, 'nobody-owned': NOBODY, link: 1000, fifo: 2000 };
  return ['.', ...Object.keys(owners).filter((path) => owners[path] !== given)].sort();
}

/** Data, modes and times arrive; every entry has the owner the destination gave it (its root keeps its own). */
async function assertCopiedWithOwner(source: string, destination: string, given: number): Promise<void> {
  const paths = await listTree(source);
  expect(await listTree(destination)).toEqual(paths);
  for (const path of paths) {
    const [from, to] = await Promise.all([lstat(join(source, path), { bigint: true }), lstat(join(destination, path), { bigint: true })]);
    expect({ path, mode: to.mode, mtimeNs: to.mtimeNs, uid: to.uid, gid: to.gid }).toEqual({ path, mode: from.mode, mtimeNs: from.mtimeNs, uid: BigInt(given), gid: BigInt(given) });
    if (from.isFile()) expect(await readFile(join(destination, path))).toEqual(await readFile(join(source, path)));
  }
  expect(await lstat(destination)).toMatchObject({ uid: NOBODY, gid: NOBODY });
}

describe.runIf(isRoot && nativeStatus.loaded)('Function: copyTree with preserveMetadata false, onto a destination that refuses owners', () => {
  const tempDir = useTempDirs('/var/tmp');

  beforeAll(() => {
    try {
      execFileSync('setpriv', ['--version']);
    } catch (error) {
      throw new Error(`these tests need setpriv (util-linux) to run the copy without the right to give files away: ${String(error)}`);
    }
  });

  /** A source tree, and an empty destination root owned by nobody, in a folder anyone may pass through. */
  async function prepare() {
    const dir = await tempDir();
    await chmod(dir, 0o755);
    const source = join(dir, 'src');
    const destination = join(dir, 'dst');
    await sourceTree(source);
    await mkdir(destination);
    await chown(destination, NOBODY, NOBODY);
    return { source, destination };
  }

  /** left-out-child.ts under setpriv as `who`: its JSON line. */
  function runAs(who: RunAs, args: readonly string[]): Promise<Record<string, any>> {
    return new Promise((resolve, reject) => {
      const child = spawn('setpriv', [...RUN_AS[who].args, process.execPath, CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) reject(new Error(`${CHILD} ${args[0]} as ${who} exited ${String(code)}: ${stderr}`));
        else resolve(JSON.parse(stdout) as Record<string, any>);
      });
    });
  }

  const copy = (who: RunAs, source: string, destination: string, options: Record<string, unknown>) => runAs(who, ['copy', source, destination, JSON.stringify(options)]);

  const cases = (Object.keys(RUN_AS) as RunAs[]).flatMap((who) => [
    [who, 'the native walk', {}] as const,
    [who, 'the portable walk', { portable: true }] as const,
  ]);

  it.each(cases)('as %s, with %s, copies leaving owners to the destination, names the entries, and the next pass copies nothing', async (who, _walk, options) => {
    // Prepare
    const { source, destination } = await prepare();
    const given = RUN_AS[who].given;

    // Act
    const first = await copy(who, source, destination, { ...options, preserveMetadata: false });
    const second = await copy(who, source, destination, { ...options, preserveMetadata: false });

    // Assess
    expect(first['error']).toBeUndefined();
    const summary = first['summary'] as CopySummary;
    expect(summary).toMatchObject({ files: 3, symlinks: 1, specials: 1, dirs: 1, verified: true });
    const { owners, xattrs, acls } = summary.metadataLeftOut!;
    const expected = ownedByOthers(given);
    expect({ xattrs, acls, entries: owners.entries, examples: owners.examples.length }).toEqual({
      xattrs: { entries: 0, examples: [] }, acls: { entries: 0, examples: [] }, entries: expected.length, examples: 5,
    });
    expect(expected).toEqual(expect.arrayContaining([...owners.examples]));
    await assertCopiedWithOwner(source, destination, given);
    expect(second['error']).toBeUndefined();
    expect(second['summary']).toMatchObject({ files: 0, symlinks: 0, specials: 0, dirs: 0, unchanged: 3 });
    // Owners are not compared. Only the root is set again (the probes came and went in it), without its
    // owner again; and nobody, who may not read without moving the atime of a file not its own (O_NOATIME),
    // fixes those atimes, as any pass not run as root does.
    const fixed = who === ROOT_WITHOUT_CHOWN ? [] : ['alice', 'shared/root-owned'];
    expect(second['summary'].fixed).toBe(fixed.length);
    const again = second['summary'].metadataLeftOut.owners;
    expect({ ...again, examples: [...again.examples].sort() }).toEqual({ entries: fixed.length + 1, examples: ['.', ...fixed] });
  });

  it('fails on them as before when metadata is to be preserved (the default)', async () => {
    // Prepare
    const { source, destination } = await prepare();

    // Act
    const { error } = await copy(ROOT_WITHOUT_CHOWN, source, destination, {});

    // Assess
    expect(error).toMatchObject({ name: 'CopyFailedError' });
    expect(error.message).toMatch(/alice: cannot copy: EPERM: operation not permitted, fchown/);
  });

  it('still gives entries their owners where the destination takes them', async () => {
    // Prepare
    const { source, destination } = await prepare();

    // Act
    const summary = await copyTree(source, destination, { preserveMetadata: false });

    // Assess
    expect(summary.metadataLeftOut).toBeUndefined();
    for (const path of await listTree(source)) {
      const [from, to] = await Promise.all([lstat(join(source, path)), lstat(join(destination, path))]);
      expect({ path, uid: to.uid, gid: to.gid }).toEqual({ path, uid: from.uid, gid: from.gid });
    }
  });

  describe('Function: runCopyContainer', () => {
    it('with SMIG_PRESERVE_METADATA=false, as root without CAP_CHOWN, copies and says in a warning which owners it left out', async () => {
      // Prepare
      const { source, destination } = await prepare();
      const env = { SMIG_MIGRATION_ID: 'mig-9', SMIG_SOURCE: source, SMIG_DESTINATION: destination, SMIG_PASS: 'bulk', SMIG_PRESERVE_METADATA: 'false' };

      // Act
      const { code, finished, failed, logs } = await runAs(ROOT_WITHOUT_CHOWN, ['container', JSON.stringify(env)]);

      // Assess
      expect({ code, failed, finished: finished.length }).toEqual({ code: CopyExitCode.OK, failed: [], finished: 1 });
      const warning = logs.find((line: any) => line.metadata_left_out !== undefined);
      expect(warning).toMatchObject({ level: 'WARN', migration_id: 'mig-9', metadata_left_out: { owners: { entries: ownedByOthers(0).length }, xattrs: { entries: 0 }, acls: { entries: 0 } } });
      expect(warning.message).toMatch(/^left out the owners of 6 entries \(.+, and 1 more\): the destination's file system does not keep them, and metadata need not be preserved$/);
      await assertCopiedWithOwner(source, destination, 0);
    });
  });
});
