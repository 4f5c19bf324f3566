/**
 * Read-only mode for a local share's data, and the bookkeeping that lets it be undone exactly.
 *
 * Going read-only removes every write bit (0o222) from each file and folder of the data tree that has one,
 * after recording that path's original mode (the low 12 bits: setuid, setgid and sticky included) in the
 * instance's `readonly-modes.json`. That file sits beside the data folder, never in it, so a copy of the
 * data never contains it. Paths that were already read-only are left alone and not recorded. Symlinks are
 * skipped: Linux has no lchmod and a link's own mode means nothing. Leaving read-only gives every recorded
 * path its recorded mode back, then removes the record.
 *
 * Both directions are idempotent and safe to re-run after a crash: the record is written (atomically)
 * before any chmod, a path already recorded keeps its first recorded mode, and the record is removed only
 * after every mode is restored.
 *
 * The copy task copies mode bits, so during the final pass it would read the stripped modes. The record is
 * therefore also its contract: for a path listed there, the source's real mode is the recorded one, not the
 * one lstat reports (`readOriginalModes` + `effectiveMode`). `LocalDriver.getCopyMount` names the file; it
 * exists only while the instance is read-only. Paths are bytes relative to the data folder, '/'-separated,
 * empty for the data folder itself (the copy engine's `TreeEntry.rel`), so names that are not UTF-8 work.
 */
import { rm } from 'node:fs/promises';
// A share's tree may be deeper than PATH_MAX: every path in it is reached a part at a time (long-paths.ts).
import { chmod, lstat, readdir } from '../../../copy-task/engine/long-paths.ts';
import { isErrno, readJson, writeJsonAtomic } from './fs-util.ts';

const WRITE_BITS = 0o222;
const MODE_BITS = 0o7777;
const SLASH = Buffer.from('/');

/** The record on disk. */
export interface OriginalModesFile {
  readonly version: 1;
  /** Data-relative paths that are valid UTF-8, '' for the data folder itself, to original modes. */
  readonly modes: Readonly<Record<string, number>>;
  /** Paths that are not valid UTF-8, as base64 of their bytes. */
  readonly modes_base64?: Readonly<Record<string, number>>;
}

/** Original modes by path; keys are `modeKey(rel)`. */
export type OriginalModes = ReadonlyMap<string, number>;

/** The key of a data-relative path in OriginalModes: its bytes as a latin1 string (lossless for any bytes). */
export function modeKey(rel: Buffer | string): string {
  return (typeof rel === 'string' ? Buffer.from(rel, 'utf8') : rel).toString('latin1');
}

/** The mode a copy of `rel` must get: the recorded original while the source is read-only, else what lstat saw. */
export function effectiveMode(rel: Buffer | string, statMode: number, originals: OriginalModes): number {
  return originals.get(modeKey(rel)) ?? statMode & MODE_BITS;
}

/** Strips write bits from the data tree, recording each changed path's original mode in `recordFile`. */
export async function makeReadOnly(dataDir: string, recordFile: string): Promise<void> {
  const recorded = await readOriginalModes(recordFile);
  const writable = (await listTree(dataDir)).filter((entry) => (entry.mode & WRITE_BITS) !== 0);
  const unrecorded = writable.filter((entry) => !recorded.has(entry.key));
  if (unrecorded.length > 0) {
    const modes = new Map(recorded);
    for (const entry of unrecorded) modes.set(entry.key, entry.mode);
    await writeJsonAtomic(recordFile, toFile(modes));
  }
  for (const entry of writable) {
    await chmod(entry.abs, entry.mode & ~WRITE_BITS);
  }
}

/** Gives every recorded path its recorded mode back, then drops the record. Does nothing without a record. */
export async function restoreOriginalModes(dataDir: string, recordFile: string): Promise<void> {
  const root = Buffer.from(dataDir);
  for (const [key, mode] of await readOriginalModes(recordFile)) {
    const abs = absoluteOf(root, Buffer.from(key, 'latin1'));
    try {
      if ((await lstat(abs)).isSymbolicLink()) continue;
      await chmod(abs, mode);
    } catch (err) {
      // Removed while read-only (only root could have): nothing to restore.
      if (!isErrno(err, 'ENOENT', 'ENOTDIR')) throw err;
    }
  }
  await rm(recordFile, { force: true });
}

/** The recorded original modes; empty when the instance is not read-only. */
export async function readOriginalModes(recordFile: string): Promise<OriginalModes> {
  const content = await readJson(recordFile);
  if (content === undefined) return new Map();
  if (!isOriginalModesFile(content)) {
    throw new Error(`${recordFile} is not a valid original-modes record`);
  }
  return new Map([
    ...Object.entries(content.modes).map(([rel, mode]): [string, number] => [modeKey(rel), mode]),
    ...Object.entries(content.modes_base64 ?? {}).map(([rel, mode]): [string, number] => [modeKey(Buffer.from(rel, 'base64')), mode]),
  ]);
}

function toFile(modes: OriginalModes): OriginalModesFile {
  const utf8: Record<string, number> = {};
  const base64: Record<string, number> = {};
  for (const [key, mode] of modes) {
    const bytes = Buffer.from(key, 'latin1');
    const text = bytes.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(bytes)) utf8[text] = mode;
    else base64[bytes.toString('base64')] = mode;
  }
  return Object.keys(base64).length > 0 ? { version: 1, modes: utf8, modes_base64: base64 } : { version: 1, modes: utf8 };
}

function isOriginalModesFile(value: unknown): value is OriginalModesFile {
  if (typeof value !== 'object' || value === null) return false;
  const { version, modes, modes_base64: base64 } = value as Record<string, unknown>;
  return version === 1 && isModeRecord(modes) && (base64 === undefined || isModeRecord(base64));
}

function isModeRecord(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every((mode) => Number.isInteger(mode) && (mode as number) >= 0 && (mode as number) <= MODE_BITS)
  );
}

interface TreeEntry {
  readonly key: string;
  readonly abs: Buffer;
  readonly mode: number;
}

/** Every file and folder under (and including) `root`, symlinks excluded, with its mode bits. */
async function listTree(root: string): Promise<TreeEntry[]> {
  const rootBytes = Buffer.from(root);
  const entries: TreeEntry[] = [];
  const visit = async (rel: Buffer): Promise<void> => {
    const abs = absoluteOf(rootBytes, rel);
    const stats = await lstat(abs);
    if (stats.isSymbolicLink()) return;
    entries.push({ key: modeKey(rel), abs, mode: stats.mode & MODE_BITS });
    if (!stats.isDirectory()) return;
    for (const name of await readdir(abs)) {
      await visit(rel.length === 0 ? name : Buffer.concat([rel, SLASH, name]));
    }
  };
  await visit(Buffer.alloc(0));
  return entries;
}

function absoluteOf(root: Buffer, rel: Buffer): Buffer {
  return rel.length === 0 ? root : Buffer.concat([root, SLASH, rel]);
}
