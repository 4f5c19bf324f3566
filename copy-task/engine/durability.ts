import { constants, readFileSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { RUN_TOKEN } from './paths.ts';
import { codeOf } from './scan.ts';
import { chooseJournalName, exists, findJournals, formatJournal, join, journalBase, moveJournal, type FoundJournal, type JournalContent } from './journal-file.ts';

/**
 * This machine's boot (a random id the kernel draws at each start); undefined where it cannot be
 * read. Data a run handed to the kernel and that was not yet on disk survives anything but a restart
 * of the machine: a process killed, even with SIGKILL, loses nothing it wrote.
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
 * - Before the run writes anything in the destination, a journal file in the destination root
 *   records, durably (file and root fsynced), a point in the destination's own clock, `since` (the
 *   ctime of the journal as the destination stamped it), the machine's boot, and the run's token (the
 *   mark of every temp name it makes, see paths.ts). Its name and how it is told from the share's own
 *   files: journal-file.ts.
 * - Every entry the run places or changes gets a ctime at or after `since` (link, rename, chmod and
 *   utimensat all set it, and nothing can set it back).
 * - A pass that must be durable when it ends (the pipeline's passes) writes back the whole
 *   destination file system (syncfs) and only then removes the journal; while it copies, every
 *   `checkpointMs` it stamps the journal again (T), writes back, and records T as `since`.
 * - A pass that leaves write-back to the kernel (like cp and rsync) removes the journal when it ends
 *   without waiting for the disk.
 * - A pass that ends with leftovers of earlier runs still in place (temp files it could not remove,
 *   a hidden folder it could not rename: see `close`) keeps the journal, so that their tokens are
 *   still known to the next run.
 *
 * A run that finds a journal follows a run that did not finish (killed, or the machine went down).
 * Entries named with the tokens it records, and that the source does not have, are that run's temp
 * files and hidden folders: removed, or taken up (smig_pair.c). A user's entry with such a name (the
 * source has it, or no journal records its token) is copied and kept like any other. In the same
 * boot its data is on disk or will be: the kernel still holds it, so nothing is suspect (a process
 * killed, even with SIGKILL, loses nothing it wrote). After a restart (another boot, or none recorded)
 * files whose ctime is at or after `since` may have lost data that never reached the disk while their
 * names, sizes and times did, so their size and mtime prove nothing: they are compared with the source
 * by content. That run keeps the old `since` in the journal until it ends (no checkpoints), so a
 * second crash loses nothing either. Without the addon (no syncfs) files are fsynced one by one, and
 * the journal keeps the tokens all the same.
 */
export class WriteBackJournal {
  readonly #root: Buffer;
  readonly #sourceRoot: Buffer;
  readonly #syncfs: ((path: Buffer) => Promise<void>) | undefined;
  readonly #boot: string | undefined;
  readonly #token: string;
  /** The journals earlier runs left (usually none or one; the first is this run's from the start). */
  readonly #found: readonly FoundJournal[];
  /** This run's journal's name in the destination root: no source root entry has it when the run starts. */
  readonly name: Buffer;
  /** ctime (ns) from which destination entries are suspect; undefined when no earlier run can have lost data. */
  readonly suspectSinceNs: bigint | undefined;
  /** Tokens of earlier runs that left their journal: destination entries named with them that the source lacks are theirs. */
  readonly staleTokens: ReadonlySet<string>;
  #checkpoint: Promise<void> | undefined;
  #begun = false;
  #closed = false;

  private constructor(
    roots: { readonly sourceRoot: Buffer; readonly destinationRoot: Buffer },
    name: Buffer,
    found: readonly FoundJournal[],
    options: { syncfs: ((path: Buffer) => Promise<void>) | undefined; boot: string | undefined; token: string },
  ) {
    this.#root = roots.destinationRoot;
    this.#sourceRoot = roots.sourceRoot;
    this.name = name;
    this.#found = found;
    this.#syncfs = options.syncfs;
    this.#boot = options.boot;
    this.#token = options.token;
    const suspect = (journal: FoundJournal) => journal.since !== undefined && (options.boot === undefined || journal.boot !== options.boot);
    const suspects = found.filter(suspect).map((journal) => journal.since as bigint);
    this.suspectSinceNs = suspects.length > 0 ? suspects.reduce((a, b) => (a < b ? a : b)) : undefined;
    this.staleTokens = new Set(found.flatMap((journal) => journal.tokens).filter((token) => token !== options.token));
  }

  /**
   * Reads the journals earlier runs left in the destination root, if any, and settles this run's
   * journal's name: one the source root does not hold (a journal found at a name the source root
   * holds now is moved to a free one first, so that the user's file is copied to it).
   */
  static async open(
    roots: { readonly sourceRoot: Buffer; readonly destinationRoot: Buffer },
    options: {
      readonly syncfs?: (path: Buffer) => Promise<void>;
      readonly boot?: string;
      readonly token?: string;
      /** A partitioned pass's partitionKey: its journal is its own (journal-file.ts, journalBase). */
      readonly partitionKey?: string;
    } = {},
  ): Promise<WriteBackJournal> {
    const { sourceRoot, destinationRoot } = roots;
    const sourceHas = (name: Buffer) => exists(join(sourceRoot, name));
    const base = journalBase(options.partitionKey);
    const found = await findJournals(destinationRoot, sourceHas, base);
    const first = found[0];
    const name = await chooseJournalName(destinationRoot, first?.name, sourceHas, base);
    if (first && !first.name.equals(name)) {
      await moveJournal(destinationRoot, first.name, name);
      found[0] = { ...first, name };
    }
    const boot = 'boot' in options ? options.boot : currentBoot();
    return new WriteBackJournal(roots, name, found, { syncfs: options.syncfs, boot, token: options.token ?? RUN_TOKEN });
  }

  /** A journal is in force (left by earlier runs, or begun by this one). */
  get active(): boolean {
    return this.#begun || this.#found.length > 0;
  }

  /**
   * Starts the journal (durably) before the run writes anything in the destination: its token is then
   * on record, so that whatever it leaves if it is killed is known as its own. A run that writes
   * nothing never does.
   */
  async begin(): Promise<void> {
    if (this.#begun) return;
    await this.#record();
    // Only once it is on record: a run whose first attempt failed (a root it could not write yet) tries again.
    this.#begun = true;
  }

  async #record(): Promise<void> {
    const tokens = this.#tokens();
    const sinces = this.#found.flatMap((journal) => (journal.since === undefined ? [] : [journal.since]));
    if (sinces.length > 0) {
      // One left behind stays in force: its `since` is the earliest moment whose data may not be on
      // disk, and its boot says whether anything is suspect (a suspect one keeps its own boot, so that
      // it stays suspect). This run's token joins it.
      const suspect = this.#found.find((journal) => journal.since === this.suspectSinceNs);
      const since = this.suspectSinceNs ?? sinces.reduce((a, b) => (a < b ? a : b));
      await this.#rewrite({ since, boot: suspect ? suspect.boot : this.#boot, tokens });
    } else {
      await this.#stamp(tokens, async (stamp) => {
        await syncDirectory(this.#root);
        return stamp;
      });
    }
    await this.#removeOthers();
  }

  /**
   * Journals found besides the first (their `since` and tokens now in this run's): removed, where the
   * source root does not hold their name (there they are the share's name, and its file is copied
   * over them).
   */
  async #removeOthers(): Promise<void> {
    for (const other of this.#found.slice(1)) {
      if (!(await exists(join(this.#sourceRoot, other.name)))) await unlink(join(this.#root, other.name)).catch(ignoreMissing);
    }
  }

  /**
   * Writes back what is placed so far and moves `since` forward; one at a time, never failing the run.
   * Not while suspects of an earlier run are about: one whose content differed may not be copied yet.
   */
  checkpoint(): Promise<void> {
    if (!this.#begun || this.suspectSinceNs !== undefined || !this.#syncfs) return Promise.resolve();
    const syncfs = this.#syncfs;
    this.#checkpoint ??= this.#stamp(this.#tokens(), async (stamp) => {
      await syncfs(this.#root);
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
   * everything (within half a minute, by default) goes unseen. With `leftovers` (temp files or
   * hidden folders of the runs it records are still in place) it stays, written back as asked.
   */
  async close(writeBack = true, leftovers = false): Promise<void> {
    if (this.#closed || !this.active) return;
    this.#closed = true;
    await this.#checkpoint;
    if (writeBack) await this.#syncfs?.(this.#root);
    if (leftovers) {
      // Their tokens must be on record, with this run's.
      if (!this.#begun) await this.begin();
      return;
    }
    await unlink(this.#path).catch(ignoreMissing);
    if (!this.#begun) await this.#removeOthers();
  }

  /**
   * A stopped run: closes if the write-back takes at most `withinMs`; otherwise the journal stays (the
   * write-back goes on without the run waiting), and the next run treats what this one placed as its
   * boot allows.
   */
  async abandon(withinMs: number, leftovers = false): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), withinMs).unref()));
    try {
      await Promise.race([this.close(true, leftovers), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  #tokens(): string[] {
    return [...new Set([...this.#found.flatMap((journal) => journal.tokens), this.#token])];
  }

  get #path(): Buffer {
    return join(this.#root, this.name);
  }

  /** Writes `content` over the journal in place (its inode, which it names, stays), durably. */
  async #rewrite(content: JournalContent): Promise<void> {
    const handle = await open(this.#path, constants.O_RDWR | constants.O_NOFOLLOW);
    try {
      await writeContent(handle, content);
    } finally {
      await handle.close();
    }
  }

  /**
   * Touches the journal (made now if it is not there: its ctime is then the destination's "now"), runs
   * `between`, then records that ctime as `since` with this boot and `tokens`, and fsyncs the journal.
   * The old `since` stays in force until then.
   */
  async #stamp(tokens: readonly string[], between: (stamp: bigint) => Promise<bigint>): Promise<void> {
    const handle = await open(this.#path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      const stamp = await touch(handle);
      const since = await between(stamp);
      await writeContent(handle, { since, boot: this.#boot, tokens });
    } finally {
      await handle.close();
    }
  }
}

/**
 * The content in one write from the start, then the length cut to it and the file fsynced: the
 * journal is never empty on the way, and a crash leaves the old text or the new one (bytes after the
 * end line, left from a longer old text, are ignored).
 */
async function writeContent(handle: Awaited<ReturnType<typeof open>>, content: JournalContent): Promise<void> {
  const { ino } = await handle.stat({ bigint: true });
  const text = formatJournal(ino, content);
  await handle.write(text, 0, text.length, 0);
  await handle.truncate(text.length);
  await handle.sync();
}

function ignoreMissing(error: unknown): void {
  if (codeOf(error) !== 'ENOENT') throw error;
}

/** The journal's ctime after touching it: the destination's "now"; its content stays. */
async function touch(handle: Awaited<ReturnType<typeof open>>): Promise<bigint> {
  const now = new Date();
  await handle.utimes(now, now);
  return (await handle.stat({ bigint: true })).ctimeNs;
}

async function syncDirectory(path: Buffer): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
