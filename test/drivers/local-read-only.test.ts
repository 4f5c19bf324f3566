import { chmod, lstat, mkdir, readFile, appendFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeReadOnly, readOriginalModes, restoreOriginalModes } from '../../lambdas/drivers/local/read-only.ts';
import { OriginalModesRecordError } from '../../lambdas/drivers/local/modes-journal.ts';
import { makeTempDir, modeOf, snapshotTree } from './local-fixtures.ts';

/** The journal's lines, parsed; the header first. */
async function journalLines(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Each record's path as the journal names it (UTF-8 text, or base64 for other bytes). */
function recordedPaths(lines: readonly Record<string, unknown>[]): string[] {
  return lines.slice(1).map((line) => (typeof line.p === 'string' ? line.p : `base64:${String(line.b)}`));
}

describe('Function: makeReadOnly / restoreOriginalModes', () => {
  let base: string;
  let data: string;
  let record: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir: base, cleanup } = await makeTempDir());
    data = path.join(base, 'data');
    record = path.join(base, 'readonly-modes.json');
    await mkdir(path.join(data, 'dir'), { recursive: true });
    await writeFile(path.join(data, 'dir', 'a.txt'), 'a');
    await writeFile(path.join(data, 'b.txt'), 'b');
    await chmod(path.join(data, 'dir', 'a.txt'), 0o640);
    await chmod(path.join(data, 'b.txt'), 0o664);
    await chmod(path.join(data, 'dir'), 0o2770);
    await chmod(data, 0o755);
  });
  afterEach(() => cleanup());

  it('appends one journal line per writable path, a header first, and restores every mode from it', async () => {
    // Prepare: more files than one batch of records, across folders.
    for (let folder = 0; folder < 5; folder++) {
      await mkdir(path.join(data, 'many', `f${folder}`), { recursive: true });
      for (let file = 0; file < 500; file++) await writeFile(path.join(data, 'many', `f${folder}`, `${file}.txt`), '');
    }
    const before = await snapshotTree(data);

    // Act
    await makeReadOnly(data, record);
    const lines = await journalLines(record);
    const originals = await readOriginalModes(record);
    await restoreOriginalModes(data, record);

    // Assess
    expect(lines[0]).toEqual({ format: 'smig-readonly-modes', version: 2 });
    const paths = recordedPaths(lines);
    expect(paths).toHaveLength(Object.keys(before).length);
    expect(new Set(paths).size).toBe(paths.length);
    expect(originals.get('dir/a.txt')).toBe(0o640);
    expect(originals.get('')).toBe(0o755);
    expect(originals.size).toBe(paths.length);
    expect(await snapshotTree(data)).toEqual(before);
    await expect(lstat(record)).rejects.toThrow(/ENOENT/);
  });

  it('after a crash between record and chmod, re-runs without recording a path twice, the first mode winning', async () => {
    // Prepare: the record holds every path, but some chmods never happened (modes put back as they were)
    // and a batch was torn mid-line; one path even got another writable mode meanwhile.
    const before = await snapshotTree(data);
    await makeReadOnly(data, record);
    await chmod(path.join(data, 'dir', 'a.txt'), 0o640);
    await chmod(path.join(data, 'b.txt'), 0o666);
    await appendFile(record, '{"p":"dir/tor');
    await writeFile(path.join(data, 'new.txt'), 'n');
    await chmod(path.join(data, 'new.txt'), 0o600);

    // Act
    await makeReadOnly(data, record);
    const lines = await journalLines(record);
    const readOnly = { a: await modeOf(path.join(data, 'dir', 'a.txt')), b: await modeOf(path.join(data, 'b.txt')) };
    await restoreOriginalModes(data, record);

    // Assess
    const paths = recordedPaths(lines);
    expect(paths.sort()).toEqual(['', 'b.txt', 'dir', 'dir/a.txt', 'new.txt']);
    expect(readOnly).toEqual({ a: 0o440, b: 0o444 });
    expect(await snapshotTree(data)).toEqual({ ...before, 'new.txt': 'file 600 n' });
  });

  it('restores nothing and keeps the record when a line in the middle is corrupt', async () => {
    // Prepare
    await makeReadOnly(data, record);
    const lines = (await readFile(record, 'utf8')).split('\n');
    lines.splice(2, 0, '{"p":"x","m":"rw"}');
    await writeFile(record, lines.join('\n'));

    // Act & Assess
    await expect(restoreOriginalModes(data, record)).rejects.toBeInstanceOf(OriginalModesRecordError);
    await expect(readOriginalModes(record)).rejects.toThrow(/line 3 is not/);
    expect(await modeOf(path.join(data, 'b.txt'))).toBe(0o444);
    expect((await lstat(record)).isFile()).toBe(true);
  });

  it('records names that are not UTF-8 as base64 and restores them', async () => {
    // Prepare
    const folder = Buffer.from([0x64, 0xff, 0x2d]); // "d\xff-": not UTF-8
    const name = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in latin1
    const abs = Buffer.concat([Buffer.from(`${data}/`), folder]);
    await mkdir(abs);
    await chmod(abs, 0o750);
    await writeFile(Buffer.concat([abs, Buffer.from('/'), name]), 'x');
    await chmod(Buffer.concat([abs, Buffer.from('/'), name]), 0o604);
    const rel = Buffer.concat([folder, Buffer.from('/'), name]);

    // Act
    await makeReadOnly(data, record);
    const lines = await journalLines(record);
    const originals = await readOriginalModes(record);
    await restoreOriginalModes(data, record);

    // Assess
    expect(lines).toContainEqual({ b: rel.toString('base64'), m: 0o604 });
    expect(originals.get(rel.toString('latin1'))).toBe(0o604);
    expect(originals.get(folder.toString('latin1'))).toBe(0o750);
    expect(await modeOf(Buffer.concat([abs, Buffer.from('/'), name]))).toBe(0o604);
    expect(await modeOf(abs)).toBe(0o750);
  });

  it('skips symlinks: neither a link nor what it points at is recorded or changed', async () => {
    // Prepare
    const outside = path.join(base, 'outside.txt');
    await writeFile(outside, 'o');
    await chmod(outside, 0o666);
    await symlink(outside, path.join(data, 'link'));
    await symlink(path.join(base), path.join(data, 'dir', 'up'));

    // Act
    await makeReadOnly(data, record);
    const paths = recordedPaths(await journalLines(record));
    const outsideWhileReadOnly = await modeOf(outside);
    await restoreOriginalModes(data, record);

    // Assess
    expect(paths.sort()).toEqual(['', 'b.txt', 'dir', 'dir/a.txt']);
    expect(outsideWhileReadOnly).toBe(0o666);
    expect(await modeOf(outside)).toBe(0o666);
  });

  it('reads, extends and restores a version-1 record left by the previous release', async () => {
    // Prepare: an instance that went read-only before the upgrade; a file came since.
    await chmod(path.join(data, 'dir', 'a.txt'), 0o440);
    await chmod(path.join(data, 'b.txt'), 0o444);
    const legacyName = Buffer.from([0x62, 0xe9]);
    await writeFile(Buffer.concat([Buffer.from(`${data}/`), legacyName]), '');
    await chmod(Buffer.concat([Buffer.from(`${data}/`), legacyName]), 0o400);
    await writeFile(
      record,
      `${JSON.stringify({ version: 1, modes: { 'dir/a.txt': 0o640, 'b.txt': 0o664 }, modes_base64: { [legacyName.toString('base64')]: 0o600 } }, null, 2)}\n`,
    );
    const legacy = await readOriginalModes(record);
    await writeFile(path.join(data, 'later.txt'), '');
    await chmod(path.join(data, 'later.txt'), 0o644);

    // Act
    await makeReadOnly(data, record);
    const extended = await readOriginalModes(record);
    await restoreOriginalModes(data, record);

    // Assess
    expect(Object.fromEntries(legacy)).toEqual({ 'dir/a.txt': 0o640, 'b.txt': 0o664, [legacyName.toString('latin1')]: 0o600 });
    expect(Object.fromEntries(extended)).toEqual({
      'dir/a.txt': 0o640,
      'b.txt': 0o664,
      [legacyName.toString('latin1')]: 0o600,
      '': 0o755,
      dir: 0o2770,
      'later.txt': 0o644,
    });
    expect(await modeOf(path.join(data, 'dir', 'a.txt'))).toBe(0o640);
    expect(await modeOf(Buffer.concat([Buffer.from(`${data}/`), legacyName]))).toBe(0o600);
    expect(await modeOf(path.join(data, 'later.txt'))).toBe(0o644);
  });

  it('leaves the record as it is when re-run with nothing writable, and a second restore does nothing', async () => {
    // Prepare
    await makeReadOnly(data, record);
    await restoreOriginalModes(data, record);
    await makeReadOnly(data, record);
    const first = await readFile(record, 'utf8');

    // Act
    await makeReadOnly(data, record);

    // Assess
    expect(await readFile(record, 'utf8')).toBe(first);
    await restoreOriginalModes(data, record);
    await restoreOriginalModes(data, record);
    expect(await modeOf(path.join(data, 'b.txt'))).toBe(0o664);
  });
});
