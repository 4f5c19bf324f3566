import { constants } from 'node:fs';
import { lstat, open, readdir, rename } from 'node:fs/promises';
import { codeOf } from './scan.ts';

/**
 * Where the write-back journal (durability.ts) lives and how it is told from the share's own files.
 *
 * It must be in the destination root (its ctime is the destination's clock, and the container has no
 * other place on that file system), where any name may also be a user's: the source root can hold a
 * file of the same name, now or later (a bulk pass runs while users write). So:
 *
 * - Its name is the first of `.smig-tmp-journal`, `.smig-tmp-journal-1`, `-2`, ... that the source root
 *   does not hold (nor the destination root, unless it is the journal found there).
 * - It proves itself: it records its own inode number, which a copy of a user's file (a new inode the
 *   engine makes) cannot know in advance. A file at one of those names that does not prove itself is
 *   the share's, and is copied, compared and kept like any other.
 * - A journal found at a name the source root holds now is renamed (the same inode) to a free one
 *   before the walk, so the user's file is copied there.
 *
 * A journal written before journals proved themselves (`since N\n[boot B\n]`, at `.smig-tmp-journal`
 * only) is taken for one when the source root does not hold that name, as that version took it.
 */

const BASE = '.smig-tmp-journal';
const CANDIDATE = /^\.smig-tmp-journal(?:-([1-9][0-9]{0,5}))?$/;

/**
 * A partitioned pass (CopyOptions.partition) keeps a journal of its own, `.smig-tmp-journal-p<key>`
 * (partition-range.ts, partitionKey), so that concurrent partitions never take the same name and a
 * partition run again finds its own; the candidates after it are `-1`, `-2`, ... as for the whole tree's.
 */
export function journalBase(partitionKey?: string): string {
  return partitionKey === undefined ? BASE : `${BASE}-p${partitionKey}`;
}

function candidatePattern(base: string): RegExp {
  return base === BASE ? CANDIDATE : new RegExp(`^${base.replace(/[.]/g, '\\.')}(?:-([1-9][0-9]{0,5}))?$`);
}
const MAGIC = 'smig-copy journal 2';
/** A journal is a few hundred bytes; anything longer at its name is not one. */
const MAX_BYTES = 64 * 1024;

/** What a journal records. */
export interface JournalContent {
  /** ctime (ns) from which destination entries may have lost data; undefined: nothing is suspect. */
  readonly since: bigint | undefined;
  /** The boot the recorded runs wrote in. */
  readonly boot: string | undefined;
  /** The runs that wrote under this journal and did not clean up after themselves (see paths.ts, staleTempMatcher). */
  readonly tokens: readonly string[];
}

/** A journal found in the destination root. */
export interface FoundJournal extends JournalContent {
  readonly name: Buffer;
}

/** The n-th name a journal may have (0: `.smig-tmp-journal`). */
export function journalName(n: number, base = BASE): Buffer {
  return Buffer.from(n === 0 ? base : `${base}-${n}`);
}

/** The journal's text: it names its own inode, so that no copy of a user's file can pass for it. */
export function formatJournal(ino: bigint, content: JournalContent): Buffer {
  const lines = [
    MAGIC,
    `ino ${ino}`,
    `since ${content.since ?? '-'}`,
    ...(content.boot ? [`boot ${content.boot}`] : []),
    `tokens ${content.tokens.map((token) => (token === '' ? '*' : token)).join(' ')}`.trimEnd(),
    'end',
    '',
  ];
  return Buffer.from(lines.join('\n'));
}

/**
 * The journals in the destination root (none, usually one), each with what it records. `sourceHas`
 * tells whether the source root holds a name (an old-style journal counts only where it does not).
 */
export async function findJournals(destinationRoot: Buffer, sourceHas: (name: Buffer) => Promise<boolean>, base = BASE): Promise<FoundJournal[]> {
  const candidate = candidatePattern(base);
  const names = (await readdir(destinationRoot, { encoding: 'buffer' })).filter((name) => candidate.test(name.toString('latin1')));
  const index = (name: Buffer) => Number(candidate.exec(name.toString('latin1'))?.[1] ?? 0);
  names.sort((a, b) => index(a) - index(b));
  const found: FoundJournal[] = [];
  for (const name of names) {
    const journal = await readJournal(destinationRoot, name, sourceHas);
    if (journal) found.push(journal);
  }
  return found;
}

/**
 * The name this run's journal takes: `current`'s (a journal found) unless the source root holds it,
 * else the first candidate neither root holds.
 */
export async function chooseJournalName(
  destinationRoot: Buffer, current: Buffer | undefined, sourceHas: (name: Buffer) => Promise<boolean>, base = BASE,
): Promise<Buffer> {
  if (current && !(await sourceHas(current))) return current;
  for (let n = 0; ; n += 1) {
    const name = journalName(n, base);
    if (!(await sourceHas(name)) && !(await exists(join(destinationRoot, name)))) return name;
  }
}

/** Moves a found journal to `to` (its inode, and so its proof, stays). */
export async function moveJournal(destinationRoot: Buffer, from: Buffer, to: Buffer): Promise<void> {
  await rename(join(destinationRoot, from), join(destinationRoot, to));
}

export function join(root: Buffer, name: Buffer): Buffer {
  return Buffer.concat([root, Buffer.from('/'), name]);
}

export async function exists(path: Buffer): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return false;
    throw error;
  }
}

async function readJournal(root: Buffer, name: Buffer, sourceHas: (name: Buffer) => Promise<boolean>): Promise<FoundJournal | undefined> {
  const path = join(root, name);
  // Only a regular file is opened (a device node of that name is the share's, and opening it could act).
  const seen = await lstat(path, { bigint: true }).catch((error: unknown) => (codeOf(error) === 'ENOENT' ? undefined : Promise.reject(error)));
  if (!seen?.isFile() || seen.size > MAX_BYTES) return undefined;
  let text: string;
  let ino: bigint;
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: unknown) => {
    // Replaced by a link, or gone, since: not a journal.
    if (['ELOOP', 'ENOENT', 'ENXIO'].includes(codeOf(error) ?? '')) return undefined;
    throw error;
  });
  if (!handle) return undefined;
  try {
    const stats = await handle.stat({ bigint: true });
    if (!stats.isFile() || stats.size > MAX_BYTES) return undefined;
    ino = stats.ino;
    text = (await handle.readFile()).toString('latin1');
  } finally {
    await handle.close();
  }
  const proven = parseJournal(text, ino);
  if (proven) return { name, ...proven };
  // One an earlier version wrote (it did not prove itself): where the source does not hold the name.
  if (name.toString('latin1') !== BASE || (await sourceHas(name))) return undefined;
  const legacy = /^since (\d+)\n(?:boot ([0-9a-f-]+)\n)?$/.exec(text);
  // That version truncated before writing: cut short, it proves nothing the runs before placed.
  if (!legacy && text.length > 0) return undefined;
  return { name, since: legacy ? BigInt(legacy[1] as string) : 0n, boot: legacy?.[2], tokens: [''] };
}

/** The journal's content, if `text` is one that names `ino` as its own (bytes after its end line are left over from a longer version). */
export function parseJournal(text: string, ino: bigint): JournalContent | undefined {
  const match = /^smig-copy journal 2\nino (\d+)\nsince (\d+|-)\n(?:boot ([0-9a-f-]+)\n)?tokens((?: (?:[0-9a-f]{16}|\*))*)\nend\n/.exec(text);
  if (!match || BigInt(match[1] as string) !== ino) return undefined;
  const since = match[2] === '-' ? undefined : BigInt(match[2] as string);
  const tokens = (match[4] as string).split(' ').filter((token) => token !== '').map((token) => (token === '*' ? '' : token));
  return { since, boot: match[3], tokens };
}
