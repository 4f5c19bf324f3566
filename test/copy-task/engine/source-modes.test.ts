import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyTree } from '../../../copy-task/engine/index.ts';
import { makeReadOnly, effectiveMode, readOriginalModes } from '../../../lambdas/drivers/local/read-only.ts';
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
    await copyTree(source, destination, { pass: 'final', sourceModes: (rel, mode) => effectiveMode(rel, mode, originals) });

    // Assess
    expect((await stat(join(destination, 'a.txt'))).mode & 0o7777).toBe(0o640);
    expect((await stat(join(destination, 'sub'))).mode & 0o7777).toBe(0o2775);
    expect((await stat(join(destination, 'sub/b.txt'))).mode & 0o7777).toBe(0o644);
  });
});
