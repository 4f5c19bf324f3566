import { constants, readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { TEMP_PREFIX } from './paths.ts';
import { codeOf } from './scan.ts';

/** The journal's name in the destination root; scans leave it out (it is not part of the copy). */
export const JOURNAL_NAME = Buffer.from(`${TEMP_PREFIX}journal`);

/**
 * This machine's boot (a random id the kernel draws at each start); undefined where it cannot be
 * read. Data a run handed to the kernel and that was not yet on disk survives anything but a restart
 * of the machine: a process killed, even with SIGKILL, leaves it to be written.
 */
export function currentBoot(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Crash safety without an fsync per file. A file is written without a name and linked into place
 * without waiting for the disk; instead:
 *
 * - Before the run places anything, a journal file in the destination root records, durably (file
 *   and root fsynced), a point in the destination's own clock, `since` (the ctime of the journal as
 *   the destination stamped it), and the machine's boot.
 * - Every entry the run places or changes gets a ctime at or after `since` (link, rename, chmod and
 *   utimensat all set it, and nothing can set it back).
 * - A pass that must be durable when it ends (the pipeline's passes) writes back the whole
 *   destination file system (syncfs) and only then removes the journal; while it copies, every
 *   `checkpointMs` it stamps the journal again (T), writes back, and records T as `since`.
 * - A pass that leaves write-back to the kernel (like cp and rsync) removes the journal when it ends
 *   without waiting for the disk.
 *
 * A run that finds a journal follows a run that did not finish (killed, or the machine went down).
 * In the same boot its data is on disk or will be: the kernel still holds it, so nothing is suspect
 * (a process killed, even with SIGKILL, loses nothing it wrote). After a restart (another boot, or none recorded) files whose
 * ctime is at or after `since` may have lost data that never reached the disk while their names,
 * sizes and times did, so their size and mtime prove nothing: they are compared with the source by
 * content. That run keeps the old `since` in the journal until it ends (no checkpoints), so a second
 * crash loses nothing either. Without the addon (no syncfs), files are fsynced one by one instead.
 */
export class WriteBackJournal {
  readonly #path: Buffer;
  readonly #root: Buffer;
  readonly #syncfs: (path: Buffer) => Promise<void>;
  readonly #boot: string | undefined;
  /** ctime (ns) from which destination entries are suspect; undefined when no earlier run can have lost data. */
  readonly suspectSinceNs: bigint | undefined;
  /** A journal of this boot is in place: runs before this one left data the kernel may not have written yet. */
  readonly #inherited: boolean;
  #checkpoint: Promise<void> | undefined;
  #begun = false;
  #closed = false;

  private constructor(root: Buffer, syncfs: (path: Buffer) => Promise<void>, boot: string | undefined, found: Found | undefined) {
    this.#root = root;
    this.#path = Buffer.concat([root, Buffer.from('/'), JOURNAL_NAME]);
    this.#syncfs = syncfs;
    this.#boot = boot;
    const sameBoot = found !== undefined && boot !== undefined && found.boot === boot;
    this.suspectSinceNs = found !== undefined && !sameBoot ? found.since : undefined;
    this.#inherited = sameBoot;
  }

  /** Reads the journal earlier runs left, if any. */
  static async open(root: Buffer, syncfs: (path: Buffer) => Promise<void>, boot: string | undefined = currentBoot()): Promise<WriteBackJournal> {
    const path = Buffer.concat([root, Buffer.from('/'), JOURNAL_NAME]);
    return new WriteBackJournal(root, syncfs, boot, await readJournal(path));
  }

  /** A journal is in force (left by earlier runs, or begun by this one). */
  get active(): boolean {
    return this.#begun || this.#inherited || this.suspectSinceNs !== undefined;
  }

  /** Starts the journal (durably) before the run places anything; a run with nothing to do never does. */
  async begin(): Promise<void> {
    if (this.#begun) return;
    this.#begun = true;
    // One left behind stays in force: its `since` is the earliest moment whose data may not be on disk.
    if (this.#inherited || this.suspectSinceNs !== undefined) return;
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

  /**
   * Everything placed so far (by this run and those before it) is written back, and the journal goes
   * (once). With `writeBack` false (a pass that leaves write-back to the kernel) the journal goes
   * without waiting: from then on, as after cp or rsync, a crash before the kernel has written
   * everything (within half a minute, by default) goes unseen.
   */
  async close(writeBack = true): Promise<void> {
    if (this.#closed || !this.active) return;
    this.#closed = true;
    await this.#checkpoint;
    if (writeBack) await this.#syncfs(this.#root);
    await unlink(this.#path).catch((error: unknown) => (codeOf(error) === 'ENOENT' ? undefined : Promise.reject(error)));
  }

  /**
   * A stopped run: closes if the write-back takes at most `withinMs`; otherwise the journal stays (the
   * write-back goes on without the run waiting), and the next run treats what this one placed as its
   * boot allows.
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
   * ctime as `since` with this boot, and fsyncs the journal. The old `since` stays in
   * force until then.
   */
  async #stamp(between: (stamp: bigint) => Promise<bigint>): Promise<void> {
    const handle = await open(this.#path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      const stamp = await touch(handle);
      const since = await between(stamp);
      const text = Buffer.from(`since ${since}\n${this.#boot ? `boot ${this.#boot}\n` : ''}`);
      await handle.truncate(0);
      await handle.write(text, 0, text.length, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

/** The journal's ctime after touching it: the destination's "now"; its content stays. */
async function touch(handle: Awaited<ReturnType<typeof open>>): Promise<bigint> {
  const now = new Date();
  await handle.utimes(now, now);
  return (await handle.stat({ bigint: true })).ctimeNs;
}

interface Found {
  readonly since: bigint;
  readonly boot: string | undefined;
}

async function readJournal(path: Buffer): Promise<Found | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw error;
  }
  const match = /^since (\d+)\n(?:boot ([0-9a-f-]+)\n)?$/.exec(text);
  // A journal cut short while being written: trust nothing the runs before placed.
  if (!match) return { since: 0n, boot: undefined };
  return { since: BigInt(match[1] as string), boot: match[2] };
}

async function syncDirectory(path: Buffer): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
