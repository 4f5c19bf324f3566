import { constants } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { TEMP_PREFIX } from './paths.ts';
import { codeOf } from './scan.ts';

/** The journal's name in the destination root; scans leave it out (it is not part of the copy). */
export const JOURNAL_NAME = Buffer.from(`${TEMP_PREFIX}journal`);

/**
 * Crash safety without an fsync per file. A file is written to a temp name and renamed into place
 * without waiting for the disk; instead:
 *
 * - Before the run places anything, a journal file in the destination root records, durably (file
 *   and root fsynced), a point in the destination's own clock: `since`, the ctime of the journal as
 *   the destination stamped it.
 * - Every entry the run places or changes gets a ctime at or after `since` (rename, chmod and
 *   utimensat all set it, and nothing can set it back).
 * - Every `checkpointMs` while copying, the journal is stamped again (its new ctime, T), the whole
 *   destination file system is written back (syncfs), and only then is T recorded as `since`: what
 *   changed before T is on disk.
 * - At the end of a pass (a failed one too) the file system is written back once more and the journal
 *   removed. A stopped one (SIGTERM must stop within seconds) does so only if the write-back takes
 *   at most a second; otherwise it leaves the journal.
 *
 * A run that finds a journal follows one that did not finish (SIGKILL, a crash, a power cut): files
 * whose ctime is at or after its `since` may have lost data that never reached the disk while their
 * names, sizes and times did, so their size and mtime prove nothing; the plan compares them with the
 * source by content (checksum) and copies those that differ. That run keeps the old `since` to its
 * end (no checkpoints), so a second crash loses nothing either. Without the addon (no syncfs), files
 * are fsynced one by one instead, as before.
 */
export class WriteBackJournal {
  readonly #path: Buffer;
  readonly #root: Buffer;
  readonly #syncfs: (path: Buffer) => Promise<void>;
  /** ctime (ns) from which destination entries are suspect; undefined when no earlier run was cut short. */
  readonly suspectSinceNs: bigint | undefined;
  #checkpoint: Promise<void> | undefined;
  #begun = false;
  #closed = false;

  private constructor(root: Buffer, syncfs: (path: Buffer) => Promise<void>, suspectSinceNs: bigint | undefined) {
    this.#root = root;
    this.#path = Buffer.concat([root, Buffer.from('/'), JOURNAL_NAME]);
    this.#syncfs = syncfs;
    this.suspectSinceNs = suspectSinceNs;
  }

  /** Reads the journal an unfinished run left, if any. */
  static async open(root: Buffer, syncfs: (path: Buffer) => Promise<void>): Promise<WriteBackJournal> {
    const path = Buffer.concat([root, Buffer.from('/'), JOURNAL_NAME]);
    return new WriteBackJournal(root, syncfs, await readSince(path));
  }

  /** Starts the journal (durably) before the run places anything; a run with nothing to do never does. */
  async begin(): Promise<void> {
    if (this.#begun) return;
    this.#begun = true;
    if (this.suspectSinceNs !== undefined) return; // the one left behind stays in force
    await this.#stamp(async (stamp) => {
      await syncDirectory(this.#root);
      return stamp;
    });
  }

  /**
   * Writes back what is placed so far and moves `since` forward; one at a time, never failing the run.
   * Not while suspects of an earlier run are about: one whose content differed may not be copied yet.
   */
  checkpoint(): Promise<void> {
    if (!this.#begun || this.suspectSinceNs !== undefined) return Promise.resolve();
    this.#checkpoint ??= this.#stamp(async (stamp) => {
      await this.#syncfs(this.#root);
      return stamp;
    })
      .catch(() => undefined)
      .finally(() => {
        this.#checkpoint = undefined;
      });
    return this.#checkpoint;
  }

  /** Everything placed so far is written back, and the journal goes (once; later calls do nothing). */
  async close(): Promise<void> {
    if (this.#closed || (!this.#begun && this.suspectSinceNs === undefined)) return;
    this.#closed = true;
    await this.#checkpoint;
    await this.#syncfs(this.#root);
    await unlink(this.#path).catch((error: unknown) => (codeOf(error) === 'ENOENT' ? undefined : Promise.reject(error)));
  }

  /**
   * A stopped run: closes if the write-back takes at most `withinMs`; otherwise the journal stays (the
   * write-back goes on without the run waiting), and the next run checks what this one placed.
   */
  async abandon(withinMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), withinMs).unref()));
    try {
      await Promise.race([this.close(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Touches the journal (its ctime is then the destination's "now"), runs `between`, then records that
   * ctime as `since` and fsyncs the journal. The old `since` stays in force until then.
   */
  async #stamp(between: (stamp: bigint) => Promise<bigint>): Promise<void> {
    const handle = await open(this.#path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      const now = new Date();
      await handle.utimes(now, now);
      const stamp = (await handle.stat({ bigint: true })).ctimeNs;
      const since = await between(stamp);
      const text = Buffer.from(`since ${since}\n`);
      await handle.truncate(0);
      await handle.write(text, 0, text.length, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

async function readSince(path: Buffer): Promise<bigint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw error;
  }
  const match = /^since (\d+)\n?$/.exec(text);
  // A journal cut short while being written: trust nothing the last run placed.
  return match ? BigInt(match[1] as string) : 0n;
}

async function syncDirectory(path: Buffer): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
