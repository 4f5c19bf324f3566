import { execFileSync } from 'node:child_process';
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyTree } from '../../../copy-task/engine/index.ts';
import { makeReadOnly, readOriginalModes } from '../../../lambdas/drivers/local/read-only.ts';
import type { NativeFs } from '../../../copy-task/native/index.ts';
import { nativeOrThrow } from '../fidelity/every-case-tree.ts';
import { useTempDirs, writeTree } from '../helpers.ts';

describe('Function: copyTree with sourceModes', () => {
  const tempDir = useTempDirs();

  it('gives the destination the modes the source had before its read-only mode stripped write bits', async () => {
    // Prepare: a source made read-only by the local driver, which records the original modes.
    const base = await tempDir();
    const source = join(base, 'data');
    const destination = join(base, 'dst');
    await writeTree(source, { 'a.txt': 'a', 'sub/b.txt': 'b' });
    await chmod(join(source, 'a.txt'), 0o640);
    await chmod(join(source, 'sub'), 0o2775);
    const record = join(base, 'readonly-modes.json');
    await makeReadOnly(source, record);
    expect((await stat(join(source, 'a.txt'))).mode & 0o7777).toBe(0o440);
    const originals = await readOriginalModes(record);

    // Act
    await copyTree(source, destination, { pass: 'final', sourceModes: originals });

    // Assess
    expect((await stat(join(destination, 'a.txt'))).mode & 0o7777).toBe(0o640);
    expect((await stat(join(destination, 'sub'))).mode & 0o7777).toBe(0o2775);
    expect((await stat(join(destination, 'sub/b.txt'))).mode & 0o7777).toBe(0o644);
  });
});

describe('Function: copyTree with sourceModes and ACLs', () => {
  const tempDir = useTempDirs();

  it('gives an ACL the permissions of the original mode too, since chmod keeps the two in step', async () => {
    // Prepare: a file with an ACL (its mask follows the group bits), made read-only by the local driver
    const fs = nativeOrThrow();
    const base = await tempDir();
    const source = join(base, 'data');
    await writeTree(source, { 'shared.txt': 's' });
    const file = join(source, 'shared.txt');
    execFileSync('setfacl', ['-m', 'u:1234:rw', file]);
    await chmod(file, 0o664);
    const aclBefore = aclOf(fs, file);
    const record = join(base, 'readonly-modes.json');
    await makeReadOnly(source, record);
    expect(aclOf(fs, file).equals(aclBefore)).toBe(false); // the mask lost its w
    const originals = await readOriginalModes(record);

    // Act
    await copyTree(source, join(base, 'dst'), { pass: 'final', sourceModes: originals });

    // Assess
    expect((await stat(join(base, 'dst/shared.txt'))).mode & 0o7777).toBe(0o664);
    expect(aclOf(fs, join(base, 'dst/shared.txt'))).toEqual(aclBefore);
  });
});

function aclOf(fs: NativeFs, path: string): Buffer {
  const flat = fs.readXattrs(Buffer.from(path));
  const at = flat.findIndex((name, i) => i % 2 === 0 && name.toString() === 'system.posix_acl_access');
  if (at < 0) throw new Error(`${path} has no access ACL`);
  return flat[at + 1] as Buffer;
}

describe('Function: copyTree with sourceModes, ACLs and folders', () => {
  const tempDir = useTempDirs();

  it('gives a folder and a file already copied in a bulk pass their original ACLs in the final pass, where only attributes change', async () => {
    // Prepare: a folder and a file with ACLs, copied while writable, then made read-only by the local driver
    const fs = nativeOrThrow();
    const base = await tempDir();
    const source = join(base, 'data');
    const destination = join(base, 'dst');
    await writeTree(source, { 'team/shared.txt': 's' });
    const folder = join(source, 'team');
    const file = join(folder, 'shared.txt');
    execFileSync('setfacl', ['-m', 'u:1234:rwx', folder]);
    execFileSync('setfacl', ['-m', 'u:1234:rw', file]);
    await chmod(folder, 0o2775);
    await chmod(file, 0o664);
    const folderAcl = aclOf(fs, folder);
    const fileAcl = aclOf(fs, file);
    await copyTree(source, destination);
    const record = join(base, 'readonly-modes.json');
    await makeReadOnly(source, record);
    expect(aclOf(fs, folder).equals(folderAcl)).toBe(false);
    const originals = await readOriginalModes(record);

    // Act
    await copyTree(source, destination, { pass: 'final', sourceModes: originals });

    // Assess: the modes and the ACLs' masks are the original ones, on the folder as on the file
    expect((await stat(join(destination, 'team'))).mode & 0o7777).toBe(0o2775);
    expect((await stat(join(destination, 'team/shared.txt'))).mode & 0o7777).toBe(0o664);
    expect(aclOf(fs, join(destination, 'team'))).toEqual(folderAcl);
    expect(aclOf(fs, join(destination, 'team/shared.txt'))).toEqual(fileAcl);
  });
});
