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
 * A share may hold millions of files, so both directions stream: the tree is walked a folder at a time, the
 * record is a journal appended as the walk goes (modes-journal.ts), and chmods run IN_FLIGHT at a time.
 * Memory stays bounded by one folder's names and one batch, not by the share.
 *
 * Both directions are idempotent and safe to re-run after a crash: each batch's records are appended and
 * synced before any chmod they cover starts, a path already recorded keeps its first recorded mode (a
 * re-run records only paths the journal does not hold, so the journal never holds a path twice), and the
 * record is removed only after every mode is restored.
 *
 * The copy task copies mode bits, so during the final pass it would read the stripped modes. The record is
 * therefore also its contract: for a path listed there, the source's real mode is the recorded one, not the
 * one lstat reports (`readOriginalModes` + `effectiveMode`). `LocalDriver.getCopyMount` names the file; it
 * exists only while the instance is read-only. Paths are bytes relative to the data folder, '/'-separated,
 * empty for the data folder itself (the copy engine's `TreeEntry.rel`), so names that are not UTF-8 work.
 */
import { opendir, rm } from 'node:fs/promises';
// A share's tree may be deeper than PATH_MAX: every path in it is reached a part at a time (long-paths.ts).
import { chmod, lstat, withPath } from '../../../copy-task/engine/long-paths.ts';
import { isErrno } from './fs-util.ts';
import { ModeTable } from './mode-table.ts';
import { loadModeTable, ModesJournal, readRecords, type ModeRecord } from './modes-journal.ts';

export { OriginalModesRecordError, type OriginalModesFile } from './modes-journal.ts';

const WRITE_BITS = 0o222;
const MODE_BITS = 0o7777;
const SLASH = Buffer.from('/');
/** lstat or chmod calls in flight at once: enough to overlap the calls, few enough to bound them. */
const IN_FLIGHT = 32;
/** Records appended and synced together before their chmods: one sync a batch, not one a file. */
const BATCH = 1024;

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
  const root = Buffer.from(dataDir);
  const recorder = new Recorder(recordFile);
  let batch: TreeEntry[] = [];
  const flush = async (): Promise<void> => {
    const entries = batch;
    batch = [];
    await recorder.record(entries);
    await inParallel(entries, (entry) => chmod(absoluteOf(root, entry.rel), entry.mode & ~WRITE_BITS));
  };
  try {
    await walkTree(root, async (entry) => {
      if ((entry.mode & WRITE_BITS) === 0) return;
      batch.push(entry);
      if (batch.length >= BATCH) await flush();
    });
    await flush();
  } finally {
    await recorder.close();
  }
}

/** Gives every recorded path its recorded mode back, then drops the record. Does nothing without a record. */
export async function restoreOriginalModes(dataDir: string, recordFile: string): Promise<void> {
  const root = Buffer.from(dataDir);
  const read = await readRecords(recordFile, (records) => inParallel(records, (record) => restoreMode(root, record)));
  if (read !== undefined) await rm(recordFile, { force: true });
}

/**
 * The recorded original modes; empty when the instance is not read-only. A compact table (mode-table.ts),
 * not a Map: the copy task holds it through the final pass of shares of millions of files.
 */
export async function readOriginalModes(recordFile: string): Promise<OriginalModes> {
  return (await loadModeTable(recordFile))?.table ?? new ModeTable();
}

async function restoreMode(root: Buffer, record: ModeRecord): Promise<void> {
  const abs = absoluteOf(root, record.path);
  try {
    if ((await lstat(abs)).isSymbolicLink()) return;
    await chmod(abs, record.mode);
  } catch (err) {
    // Removed while read-only (only root could have): nothing to restore.
    if (!isErrno(err, 'ENOENT', 'ENOTDIR')) throw err;
  }
}

/**
 * Appends records to the journal, opened at the first batch: a share with nothing writable (a re-run once
 * all is stripped) reads and writes no record. On a re-run after a crash, what the journal already holds is
 * loaded once, so those paths keep their first mode and are not recorded twice.
 */
class Recorder {
  readonly #file: string;
  #journal: ModesJournal | undefined;
  #recorded: ModeTable | undefined;

  constructor(file: string) {
    this.#file = file;
  }

  async record(entries: readonly TreeEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.#journal === undefined) {
      const existing = await loadModeTable(this.#file);
      this.#recorded = existing?.table;
      this.#journal = await ModesJournal.open(this.#file, existing, existing?.legacy ? existing.table : undefined);
    }
    const recorded = this.#recorded;
    const fresh = recorded ? entries.filter((entry) => !recorded.has(modeKey(entry.rel))) : entries;
    await this.#journal.append(fresh.map((entry) => ({ path: entry.rel, mode: entry.mode })));
  }

  async close(): Promise<void> {
    await this.#journal?.close();
  }
}

interface TreeEntry {
  /** Relative to the data folder; empty for the data folder itself. */
  readonly rel: Buffer;
  readonly mode: number;
}

/**
 * Calls `visit` for every file and folder under (and including) `root`, symlinks excluded, a folder at a
 * time and each folder's entries as the directory stream gives them: only IN_FLIGHT names and the folders
 * still to visit are held, never a folder's whole listing (a share may keep 300,000 files in one folder).
 */
async function walkTree(root: Buffer, visit: (entry: TreeEntry) => Promise<void>): Promise<void> {
  const top = await lstat(root);
  if (top.isSymbolicLink()) return;
  await visit({ rel: Buffer.alloc(0), mode: top.mode & MODE_BITS });
  if (!top.isDirectory()) return;
  const folders: Buffer[] = [Buffer.alloc(0)];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    const parent = folder;
    const visitAll = async (rels: readonly Buffer[]): Promise<void> => {
      const stats = await Promise.all(rels.map((rel) => lstat(absoluteOf(root, rel))));
      for (const [index, rel] of rels.entries()) {
        const entry = stats[index]!;
        if (entry.isSymbolicLink()) continue;
        await visit({ rel, mode: entry.mode & MODE_BITS });
        if (entry.isDirectory()) folders.push(rel);
      }
    };
    // The folder stays open while its entries are visited; long paths are reached through it (long-paths.ts).
    await withPath(absoluteOf(root, parent), async (reached) => {
      let rels: Buffer[] = [];
      for await (const dirent of await opendir(reached, { encoding: 'buffer' as BufferEncoding, bufferSize: IN_FLIGHT })) {
        const name = dirent.name as unknown as Buffer;
        rels.push(parent.length === 0 ? name : Buffer.concat([parent, SLASH, name]));
        if (rels.length < IN_FLIGHT) continue;
        await visitAll(rels);
        rels = [];
      }
      await visitAll(rels);
    });
  }
}

/** Runs `task` on every item, at most IN_FLIGHT at once. */
async function inParallel<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, worker));
}

function absoluteOf(root: Buffer, rel: Buffer): Buffer {
  return rel.length === 0 ? root : Buffer.concat([root, SLASH, rel]);
}
