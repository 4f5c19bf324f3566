import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CopyFailedError } from '../../../copy-task/engine/index.ts';
import { nativeStatus } from '../../../copy-task/native/index.ts';
import { isRoot, useTempDirs } from '../helpers.ts';
import { requireMountTools, runWithPrivateMount } from '../private-mount.ts';

const SMIG_COPY = join(import.meta.dirname, '../../../copy-task/bin/smig-copy.ts');

/** What the addon and the engine report when setxattr is refused, as the run sees it. */
const REFUSED = [
  { path: 'acl', reason: "cannot copy: ENOTSUP: operation not supported on socket, fsetxattr '/d/acl' (cannot set extended attribute system.posix_acl_access)", code: 'ENOTSUP' },
  { path: 'sub/tagged', reason: "cannot copy: ENOTSUP: operation not supported on socket, fsetxattr '/d/.smig-tmp-1/tagged' (cannot set extended attribute user.origin)", code: 'ENOTSUP' },
  { path: 'sub', reason: "cannot set folder attributes: cannot set extended attribute system.posix_acl_default: ENOTSUP: operation not supported, lsetxattr '/d/sub'", code: 'ENOTSUP' },
];
const HEADLINE =
  "copy failed for 3 path(s): the destination's file system keeps no POSIX ACLs (refused on 2 entries: acl, sub) " +
  'and no extended attributes (refused on 1 entry: sub/tagged: user.origin), which the source carries; ' +
  'they are not dropped: the copy fails on each entry that carries them. acl: cannot copy';

describe('Class: CopyFailedError', () => {
  describe('Method: message', () => {
    it('says first that the destination keeps no POSIX ACLs or extended attributes, and on which entries', () => {
      // Act
      const error = new CopyFailedError(REFUSED);

      // Assess
      expect(error.message.startsWith(HEADLINE)).toBe(true);
    });

    it('says nothing of metadata for other failures, nor for setxattr refused otherwise', () => {
      // Act
      const error = new CopyFailedError([
        { path: 'a', reason: "cannot copy: EACCES: permission denied, open '/s/a'", code: 'EACCES' },
        { path: 'b', reason: "cannot copy: EPERM: operation not permitted, fsetxattr '/d/b' (cannot set extended attribute trusted.x)", code: 'EPERM' },
      ]);

      // Assess
      expect(error.message).toBe(
        "copy failed for 2 path(s): a: cannot copy: EACCES: permission denied, open '/s/a'; b: cannot copy: EPERM: operation not permitted, fsetxattr '/d/b' (cannot set extended attribute trusted.x)",
      );
    });
  });
});

/**
 * A destination whose file system stores no extended attributes and no POSIX ACLs, as Amazon EFS
 * (NFSv4.1) does not: ramfs, mounted in a private mount namespace (root only).
 */
describe.runIf(isRoot && nativeStatus.loaded)('Function: copyTree onto a file system without extended attributes or ACLs (ramfs)', () => {
  const tempDir = useTempDirs('/var/tmp');

  async function copyOntoRamfs(source: string, mountPoint: string) {
    requireMountTools();
    await mkdir(mountPoint);
    const destination = join(mountPoint, 'dst');
    // The copy, then what it left on the destination (gone with the mount once the namespace ends).
    const script = '"$@"; echo "left: $(cd "$0" && find . -mindepth 1 | sort | tr "\\n" " ")"';
    const run = await runWithPrivateMount({ kind: 'ramfs' }, mountPoint, [
      'sh', '-c', script, destination, process.execPath, SMIG_COPY, '--json', '--pass', 'bulk', '--no-state', source, destination,
    ]);
    const lines = run.stdout.trim().split('\n');
    const left = lines.find((line) => line.startsWith('left: '))?.slice('left: '.length).trim().split(' ') ?? [];
    // Progress and the summary come on stdout, an error on stderr.
    const results = [...lines, ...run.stderr.split('\n')].filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, any>);
    return { run, left, error: results.find((line) => line['type'] === 'error'), summary: results.find((line) => line['type'] === 'summary') };
  }

  it('fails on the entries that carry them, saying the destination keeps none, rather than dropping them', async () => {
    // Prepare
    const dir = await tempDir();
    const src = join(dir, 'src');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'plain'), 'no metadata beyond modes, owner and times');
    await writeFile(join(src, 'sub/tagged'), 'with a user attribute');
    await writeFile(join(src, 'acl'), 'with an access ACL');
    if (!nativeStatus.loaded) throw new Error('the native addon is not loaded'); // runIf checked it: this narrows the type
    nativeStatus.fs.setXattr(Buffer.from(join(src, 'sub/tagged')), Buffer.from('user.origin'), Buffer.from('lab'));
    execFileSync('setfacl', ['-m', 'u:1234:rw', join(src, 'acl')]);
    execFileSync('setfacl', ['-d', '-m', 'u:1234:rwx', join(src, 'sub')]);

    // Act
    const { run, left, error } = await copyOntoRamfs(src, join(dir, 'mnt'));

    // Assess
    expect(run.code).toBe(0); // the shell's: the listing ran
    expect(error).toMatchObject({ error: 'CopyFailedError', exit_code: 1 });
    expect(error!['message']).toContain(
      "the destination's file system keeps no POSIX ACLs (refused on 2 entries: acl, sub) and no extended attributes (refused on 1 entry: sub/tagged: user.origin)",
    );
    expect(error!['failures'].map((failure: { path: string; code: string }) => [failure.path, failure.code]).sort()).toEqual([
      ['acl', 'ENOTSUP'], ['sub', 'ENOTSUP'], ['sub/tagged', 'ENOTSUP'],
    ]);
    // The files that carry them were not put in place without them; the rest was copied.
    expect(left).toEqual(['./plain', './sub']);
  });

  it('copies a source that carries none: the share\'s content decides', async () => {
    // Prepare
    const dir = await tempDir();
    const src = join(dir, 'src');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'plain'), 'plain');
    await writeFile(join(src, 'sub/file'), 'file');

    // Act
    const { left, error, summary } = await copyOntoRamfs(src, join(dir, 'mnt'));

    // Assess
    expect(error).toBeUndefined();
    expect(summary).toMatchObject({ files: 2, verified: true });
    expect(left).toEqual(['./plain', './sub', './sub/file']);
  });
});
