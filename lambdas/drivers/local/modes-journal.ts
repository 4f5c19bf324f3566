/**
 * The original-modes record on disk (see read-only.ts for what it guarantees), written as a journal so that
 * a share of any size goes read-only in bounded memory: a header line, then one line per recorded path,
 * appended as the walk goes.
 *
 *   {"format":"smig-readonly-modes","version":2}
 *   {"p":"dir/rw.txt","m":436}        a path whose bytes are valid UTF-8, '' for the data folder itself
 *   {"b":"Y2Fm6Q==","m":416}          any other path, as base64 of its bytes
 *
 * A line counts only once its newline is on disk: a crash mid-append leaves a torn last line, which readers
 * ignore and the next append cuts off first (nothing was chmodded on its account: the chmods covered by a
 * batch start only after the batch is synced). Version 1, one JSON object `{version: 1, modes,
 * modes_base64}` written whole, is still read: an instance can be read-only across an upgrade.
 */
import { createReadStream } from 'node:fs';
import { open, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { isErrno, readJson } from './fs-util.ts';
import { ModeTable } from './mode-table.ts';

export const MODES_JOURNAL_FORMAT = 'smig-readonly-modes';
const HEADER = `${JSON.stringify({ format: MODES_JOURNAL_FORMAT, version: 2 })}\n`;
const NEWLINE = 0x0a;
const MODE_BITS = 0o7777;

/** Version 1 of the record, one JSON object: still read, never written. */
export interface OriginalModesFile {
  readonly version: 1;
  /** Data-relative paths that are valid UTF-8, '' for the data folder itself, to original modes. */
  readonly modes: Readonly<Record<string, number>>;
  /** Paths that are not valid UTF-8, as base64 of their bytes. */
  readonly modes_base64?: Readonly<Record<string, number>>;
}

/** The record cannot be read as either version: restoring from it would lose modes, so nothing goes on. */
export class OriginalModesRecordError extends Error {
  override readonly name = 'OriginalModesRecordError';
  readonly file: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file} is not a valid original-modes record: ${problem}`, options);
    this.file = file;
  }
}

/** One recorded path: its bytes relative to the data folder and its original mode. */
export interface ModeRecord {
  readonly path: Buffer;
  readonly mode: number;
}

/** One journal line for `record`, newline included. */
export function encodeRecord(record: ModeRecord): string {
  const text = record.path.toString('utf8');
  return Buffer.from(text, 'utf8').equals(record.path)
    ? `${JSON.stringify({ p: text, m: record.mode })}\n`
    : `${JSON.stringify({ b: record.path.toString('base64'), m: record.mode })}\n`;
}

/**
 * Calls `onBatch` with the records of `file` in order, a batch at a time (awaited before reading on), and
 * answers where its complete lines end, or undefined if there is no such file. A version-1 record is read
 * whole (it was written whole) and reported as `legacy`.
 */
export async function readRecords(
  file: string,
  onBatch: (records: readonly ModeRecord[]) => Promise<void> | void,
  batchSize = 1024,
): Promise<{ readonly completeBytes: number; readonly legacy: boolean } | undefined> {
  let stream;
  try {
    stream = createReadStream(file, { highWaterMark: 1 << 16 });
    await new Promise<void>((resolve, reject) => stream!.once('open', () => resolve()).once('error', reject));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  let pending: Buffer = Buffer.alloc(0);
  let consumed = 0;
  let lineNumber = 0;
  let batch: ModeRecord[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let start = 0;
      for (let end = pending.indexOf(NEWLINE); end !== -1; end = pending.indexOf(NEWLINE, start)) {
        const line = pending.toString('utf8', start, end);
        consumed += end + 1 - start;
        start = end + 1;
        if (lineNumber++ === 0) {
          if (!isHeader(line)) {
            stream.destroy();
            await readLegacy(file, onBatch);
            return { completeBytes: 0, legacy: true };
          }
          continue;
        }
        batch.push(decodeRecord(file, line, lineNumber));
        if (batch.length >= batchSize) {
          await onBatch(batch);
          batch = [];
        }
      }
      pending = pending.subarray(start);
    }
  } finally {
    stream.destroy();
  }
  if (lineNumber === 0) {
    // No newline at all: a version-1 object written without one, or no record.
    if (pending.length === 0) throw new OriginalModesRecordError(file, 'it is empty');
    await readLegacy(file, onBatch);
    return { completeBytes: 0, legacy: true };
  }
  if (batch.length > 0) await onBatch(batch);
  return { completeBytes: consumed, legacy: false };
}

/** Every record of `file` in a ModeTable (first mode of a path wins), or undefined if there is no such file. */
export async function loadModeTable(file: string): Promise<{ table: ModeTable; completeBytes: number; legacy: boolean } | undefined> {
  const table = new ModeTable();
  const read = await readRecords(file, (records) => {
    for (const record of records) table.add(record.path, record.mode);
  });
  return read && { table, ...read };
}

/** Where new records are appended, each batch synced before the chmods it covers begin. */
export class ModesJournal {
  readonly #handle: FileHandle;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /**
   * Opens `file` for appending. `existing` says what is there: undefined, a fresh journal is created
   * (atomically, header only); a version-1 record, it is rewritten as a journal holding `carried`; a journal,
   * a torn last line (past `completeBytes`) is cut off.
   */
  static async open(file: string, existing: { completeBytes: number; legacy: boolean } | undefined, carried?: ModeTable): Promise<ModesJournal> {
    if (existing === undefined || existing.legacy) await createJournal(file, carried);
    else await truncate(file, existing.completeBytes);
    return new ModesJournal(await open(file, 'a'));
  }

  async append(records: readonly ModeRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.#handle.write(records.map(encodeRecord).join(''));
    await this.#handle.datasync();
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

/** Writes a journal holding `carried` to a temp file, syncs it, and renames it over `file`. */
async function createJournal(file: string, carried?: ModeTable): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.write(HEADER);
    let lines: string[] = [];
    for (const [key, mode] of carried ?? []) {
      lines.push(encodeRecord({ path: Buffer.from(key, 'latin1'), mode }));
      if (lines.length >= 1024) {
        await handle.write(lines.join(''));
        lines = [];
      }
    }
    if (lines.length > 0) await handle.write(lines.join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

function isHeader(line: string): boolean {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && (value as Record<string, unknown>).format === MODES_JOURNAL_FORMAT && (value as Record<string, unknown>).version === 2;
  } catch {
    return false;
  }
}

function decodeRecord(file: string, line: string, lineNumber: number): ModeRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new OriginalModesRecordError(file, `line ${lineNumber} is not JSON`, { cause: err });
  }
  const { p, b, m } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (!isMode(m) || (typeof p === 'string') === (typeof b === 'string')) {
    throw new OriginalModesRecordError(file, `line ${lineNumber} is not {"p"|"b": path, "m": mode}`);
  }
  return { path: typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(b as string, 'base64'), mode: m };
}

async function readLegacy(file: string, onBatch: (records: readonly ModeRecord[]) => Promise<void> | void): Promise<void> {
  let content: unknown;
  try {
    content = await readJson(file);
  } catch (err) {
    throw new OriginalModesRecordError(file, 'it is neither a journal nor a version-1 JSON object', { cause: err });
  }
  if (!isOriginalModesFile(content)) throw new OriginalModesRecordError(file, 'it is neither a journal nor a version-1 record');
  await onBatch([
    ...Object.entries(content.modes).map(([rel, mode]) => ({ path: Buffer.from(rel, 'utf8'), mode })),
    ...Object.entries(content.modes_base64 ?? {}).map(([rel, mode]) => ({ path: Buffer.from(rel, 'base64'), mode })),
  ]);
}

function isOriginalModesFile(value: unknown): value is OriginalModesFile {
  if (typeof value !== 'object' || value === null) return false;
  const { version, modes, modes_base64: base64 } = value as Record<string, unknown>;
  return version === 1 && isModeRecord(modes) && (base64 === undefined || isModeRecord(base64));
}

function isModeRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.values(value).every(isMode);
}

function isMode(mode: unknown): mode is number {
  return Number.isInteger(mode) && (mode as number) >= 0 && (mode as number) <= MODE_BITS;
}
