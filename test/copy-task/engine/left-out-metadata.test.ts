import { execFileSync } from 'node:child_process';
import { link, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyExitCode } from '../../../lambdas/core/workflow.ts';
import { copyTree, nativeStatus, type CopySummary } from '../../../copy-task/engine/index.ts';
import { isRoot, listTree, useTempDirs } from '../helpers.ts';
import { holdPrivateMount, type HeldMount } from '../private-mount.ts';

const CHILD = join(import.meta.dirname, 'left-out-child.ts');

/**
 * preserveMetadata false (a migration started with preserve_metadata=False) onto a destination whose
 * file system stores no extended attributes and no POSIX ACLs, as Amazon EFS (NFSv4.1) does not: ramfs,
 * mounted in a private mount namespace (root only), where each copy runs (left-out-child.ts). What it
 * refuses is left out and counted, the rest (data, modes, owners, times) copied; with metadata to be
 * preserved, the copy still fails on it.
 */
const native = nativeStatus.loaded ? nativeStatus.fs : undefined;

function setXattr(path: string, name: string, value: string): void {
  native!.setXattr(Buffer.from(path), Buffer.from(name), Buffer.from(value));
}

function xattrNames(path: string): string[] {
  return native!.readXattrs(Buffer.from(path)).filter((_, i) => i % 2 === 0).map((name) => name.toString()).sort();
}

/**
 * A source whose entries carry what EFS refuses: user and trusted extended attributes (a file, a link,
 * a FIFO, a file with two names), an access ACL and a folder's default ACL; and a plain file.
 */
async function sourceTree(root: string): Promise<void> {
  await mkdir(join(root, 'sub'), { recursive: true });
  await writeFile(join(root, 'plain'), 'no metadata beyond modes, owner and times');
  await writeFile(join(root, 'sub/tagged'), 'with a user attribute');
  await writeFile(join(root, 'acl'), 'with an access ACL');
  await writeFile(join(root, 'hard1'), 'one file, two names, an attribute');
  await link(join(root, 'hard1'), join(root, 'hard2'));
  await symlink('plain', join(root, 'link'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  setXattr(join(root, 'sub/tagged'), 'user.origin', 'lab');
  setXattr(join(root, 'hard1'), 'user.origin', 'lab');
  setXattr(join(root, 'link'), 'trusted.note', 'a link');
  setXattr(join(root, 'fifo'), 'trusted.note', 'a fifo');
  execFileSync('setfacl', ['-m', 'u:1234:rw', join(root, 'acl')]);
  execFileSync('setfacl', ['-d', '-m', 'u:1234:rwx', join(root, 'sub')]);
}

/** What must arrive whatever is left out: the tree, content, modes, owners and times (mtime to the ns). */
async function assertDataModesOwnersTimes(source: string, destination: string): Promise<void> {
  const paths = await listTree(source);
  expect(await listTree(destination)).toEqual(paths);
  for (const path of paths) {
    const [from, to] = await Promise.all([lstat(join(source, path), { bigint: true }), lstat(join(destination, path), { bigint: true })]);
    expect({ path, mode: to.mode, uid: to.uid, gid: to.gid, mtimeNs: to.mtimeNs }).toEqual({ path, mode: from.mode, uid: from.uid, gid: from.gid, mtimeNs: from.mtimeNs });
    if (from.isFile()) expect(await readFile(join(destination, path))).toEqual(await readFile(join(source, path)));
  }
  expect((await lstat(join(destination, 'hard2'))).ino).toBe((await lstat(join(destination, 'hard1'))).ino);
}

const LEFT_OUT = {
  xattrs: { entries: 4, examples: ['fifo', 'hard1', 'link', 'sub/tagged'] },
  acls: { entries: 2, examples: ['acl', 'sub'] },
};

describe.runIf(isRoot && nativeStatus.loaded)('Function: copyTree with preserveMetadata false', () => {
  const tempDir = useTempDirs('/var/tmp');
  let mountPoint: string;
  let ramfs: HeldMount;

  beforeAll(async () => {
    mountPoint = await mkdtemp('/var/tmp/smig-left-out-mnt-');
    ramfs = await holdPrivateMount({ kind: 'ramfs' }, mountPoint);
  });
  afterAll(async () => {
    await ramfs?.release();
    await rm(mountPoint, { recursive: true, force: true });
  });

  /** A source tree, and a destination on the ramfs: its path in the namespace, and as this process reads it. */
  async function prepare() {
    const source = join(await tempDir(), 'src');
    await sourceTree(source);
    const name = `dst-${Math.random().toString(36).slice(2)}`;
    return { source, destination: join(mountPoint, name), seen: join(ramfs.seen, name) };
  }

  async function inNamespace(args: readonly string[]): Promise<Record<string, any>> {
    const run = await ramfs.run([process.execPath, CHILD, ...args]);
    if (run.code !== 0) throw new Error(`${CHILD} ${args[0]} exited ${String(run.code)}: ${run.stderr}`);
    return JSON.parse(run.stdout) as Record<string, any>;
  }

  const copy = (source: string, destination: string, options: Record<string, unknown>) =>
    inNamespace(['copy', source, destination, JSON.stringify(options)]);

  it.each([
    ['the native walk', {}],
    ['the portable walk', { portable: true }],
  ])('copies onto a destination that refuses xattrs and ACLs with %s, leaving them out and naming the entries, and the next pass writes nothing', async (_walk, options) => {
    // Prepare
    const { source, destination, seen } = await prepare();

    // Act
    const first = await copy(source, destination, { ...options, preserveMetadata: false });
    const second = await copy(source, destination, { ...options, preserveMetadata: false });

    // Assess
    expect(first['error']).toBeUndefined();
    const summary = first['summary'] as CopySummary;
    const leftOut = summary.metadataLeftOut!;
    expect({ xattrs: { ...leftOut.xattrs, examples: [...leftOut.xattrs.examples].sort() }, acls: { ...leftOut.acls, examples: [...leftOut.acls.examples].sort() } }).toEqual(LEFT_OUT);
    expect(summary).toMatchObject({ files: 4, hardlinks: 1, symlinks: 1, specials: 1, dirs: 1, verified: true });
    await assertDataModesOwnersTimes(source, seen);
    expect(second['summary']).toMatchObject({ files: 0, fixed: 0, symlinks: 0, specials: 0, unchanged: 5 });
    expect(second['summary'].metadataLeftOut).toBeUndefined();
  });

  it('fails on them as before when metadata is to be preserved (the default)', async () => {
    // Prepare
    const { source, destination } = await prepare();

    // Act
    const { error } = await copy(source, destination, {});

    // Assess
    expect(error).toMatchObject({ name: 'CopyFailedError' });
    expect(error.message).toMatch(/the destination's file system keeps no POSIX ACLs \(refused on 2 entries: .*\) and no extended attributes \(refused on 4 entries: /);
  });

  it('still copies them where the destination keeps them', async () => {
    // Prepare
    const dir = await tempDir();
    const source = join(dir, 'src');
    const destination = join(dir, 'dst');
    await sourceTree(source);

    // Act
    const summary = await copyTree(source, destination, { preserveMetadata: false });

    // Assess
    expect(summary.metadataLeftOut).toBeUndefined();
    expect(xattrNames(join(destination, 'sub/tagged'))).toEqual(['user.origin']);
    expect(xattrNames(join(destination, 'acl'))).toEqual(['system.posix_acl_access']);
    expect(xattrNames(join(destination, 'sub'))).toEqual(['system.posix_acl_default']);
    expect(xattrNames(join(destination, 'link'))).toEqual(['trusted.note']);
  });

  describe('Function: runCopyContainer', () => {
    async function runContainer(extra: Record<string, string>) {
      const { source, destination, seen } = await prepare();
      const env = { SMIG_MIGRATION_ID: 'mig-7', SMIG_SOURCE: source, SMIG_DESTINATION: destination, SMIG_PASS: 'bulk', ...extra };
      return { ...(await inNamespace(['container', JSON.stringify(env)])), source, seen } as Record<string, any>;
    }

    it('with SMIG_PRESERVE_METADATA=false, copies and says in a warning what it left out', async () => {
      // Act
      const { code, finished, failed, logs, source, seen } = await runContainer({ SMIG_PRESERVE_METADATA: 'false' });

      // Assess
      expect(code).toBe(CopyExitCode.OK);
      expect(failed).toEqual([]);
      expect(finished).toHaveLength(1);
      expect(logs.find((line: any) => line.message === 'copy starting')).toMatchObject({ preserve_metadata: false, migration_id: 'mig-7' });
      const warning = logs.find((line: any) => line.metadata_left_out !== undefined);
      expect(warning).toMatchObject({ level: 'WARN', metadata_left_out: { xattrs: { entries: 4 }, acls: { entries: 2 } } });
      expect(warning.message).toMatch(/^left out the POSIX ACLs of 2 entries \((acl, sub|sub, acl)\) and the extended attributes of 4 entries \(.+\): the destination's file system does not keep them/);
      await assertDataModesOwnersTimes(source, seen);
    });

    it('without SMIG_PRESERVE_METADATA, fails the pass saying what the destination refused, and what to do', async () => {
      // Act
      const { code, failed, logs } = await runContainer({});

      // Assess
      expect(code).toBe(CopyExitCode.FAILED);
      expect(logs.find((line: any) => line.message === 'copy starting')).toMatchObject({ preserve_metadata: true });
      expect(failed).toHaveLength(1);
      expect(failed[0].message).toMatch(/the destination's file system keeps no POSIX ACLs \(refused on 2 entries: .*\) and no extended attributes \(refused on 4 entries: /);
      expect(failed[0].message).toMatch(/; a migration started with preserve_metadata=False leaves out what the destination refuses instead$/);
    });
  });
});
