/**
 * Reads what the addon's tree walk returns (src/smig_walk.c, src/smig_pair.h): its totals, the
 * records of what JavaScript must act on (each naming its entry by its path relative to the roots),
 * and the notes of files whose copy went wrong or whose source moved under it.
 */
import { getSystemErrorMessage, getSystemErrorName } from 'node:util';
import { LEAVE_OUT_ACLS, LEAVE_OUT_OWNERS, LEAVE_OUT_XATTRS } from '../native/index.ts';
import { display, resolveUnder } from './paths.ts';
import { recordEntry } from './scan.ts';
import type { CopyFailure, TreeEntry } from './types.ts';

/** walkTree flags. */
export const PAIR_COMPARE_OWNER = 1;
export const PAIR_COPY = 4;
export const PAIR_CHECKSUM = 8;
/** walkTree sync flags (with COPY_VERIFY, COPY_VERIFY_STORAGE and COPY_AS_ROOT from the addon's index). */
export const SYNC_WRITE_BACK = 4;
export const SYNC_STABLE = 16;
/** A starting folder's place: on the destination already, or just made there. */
export const FOLDER_ON_DEST = 1;
export const FOLDER_CREATED = 2;
/** And its attributes already match the source's (a partitioned pass's start: its walk then leaves them). */
export const FOLDER_SETTLED = 4;

const ROLE_FOLDER = 1;
const ROLE_WORK = 2;
const ROLE_DEFER_SOURCE = 4;
const ROLE_DEFER_DEST = 5;
const ROLE_EXTRA = 6;
const ROLE_STALE = 7;
const ROLE_FAILED = 8;
const ROLE_MOVED = 9;
const REC_ON_DEST = 1 << 24;
const REC_CREATED = 1 << 25;
const REC_SETTLED = 1 << 26;
const REC_TOUCHED = 1 << 27;
const REC_FROM_DESTINATION = 1 << 28;
const REC_FINISHED = 1 << 29;
const REC_OWNER_LEFT_OUT = 1 << 19;
/** A record's fixed part (src/smig_listing.h), and a note's (src/smig_pair.h). */
const HEADER = 96;
const NOTE_HEADER = 24;
const WHAT_RENAME = 6;
const WHAT: Record<number, [what: string, syscall: string]> = {
  1: ['cannot read', 'lstat'],
  2: ['cannot read', 'readlink'],
  3: ['cannot read', 'llistxattr'],
  4: ['cannot create folder', 'mkdir'],
  5: ['cannot list folder', 'scandir'],
  6: ['cannot put the folder in place (it was made under a temp name)', 'rename'],
};

/** A folder the copying walk went through, for its attributes at the end. */
export interface WalkedFolder {
  /** The source folder itself (its xattrs read). */
  readonly entry: TreeEntry;
  /** Made by this walk. */
  readonly created: boolean;
  /** Its attributes matched the destination's when listed. */
  readonly settled: boolean;
  /** Something was placed in it, or a folder made in it. */
  readonly touched: boolean;
  /** The walk gave it its attributes once everything below it was done (and read them back when verifying). */
  readonly finished: boolean;
  /** And it kept the destination's owner, not the source's: the run leaves owners out. */
  readonly ownerLeftOut: boolean;
}

export interface WalkCounts {
  readonly foundFiles: number;
  readonly foundBytes: number;
  readonly copyFiles: number;
  readonly copyBytes: number;
  readonly equalFiles: number;
  readonly created: number;
  readonly work: boolean;
  readonly files: number;
  readonly links: number;
  readonly fixed: number;
  readonly differed: number;
  readonly verified: number;
  /** Of those verified, read back from storage with O_DIRECT, or after their cached pages were dropped. */
  readonly verifiedDirect: number;
  readonly verifiedDropped: number;
  readonly stopped: boolean;
  readonly bytes: number;
  /** Bytes to add to the copying total (files whose size moved since they were listed). */
  readonly adjust: number;
  readonly folders: number;
  /** The largest ctime (ns) of a source entry the walk listed; undefined: none (or an addon built before it said). */
  readonly sourceCtimeMaxNs: bigint | undefined;
}

export interface WalkRecords {
  /** Folders with work of their own (survey), and whether the destination has them. */
  readonly work: { readonly rel: Buffer; readonly onDestination: boolean }[];
  readonly folders: WalkedFolder[];
  /** Entries handed over to the planner, by their folder's key (keyOf). */
  readonly deferredSource: TreeEntry[];
  readonly deferredDestination: TreeEntry[];
  readonly extras: TreeEntry[];
  readonly stale: TreeEntry[];
  readonly failures: CopyFailure[];
  /** Folders this walk made under a temp name and could not rename to their own (they stay hidden, as a killed run leaves them). */
  readonly unrenamed: Buffer[];
  /** Source folders that were no longer folders when the walk went into them: changed (another type now) or vanished. */
  readonly moved: { readonly rel: Buffer; readonly note: 'changed' | 'vanished' }[];
}

export function parseCounts(counts: Buffer): WalkCounts {
  return {
    foundFiles: Number(counts.readBigUInt64LE(0)),
    foundBytes: Number(counts.readBigUInt64LE(8)),
    copyFiles: Number(counts.readBigUInt64LE(16)),
    copyBytes: Number(counts.readBigUInt64LE(24)),
    equalFiles: Number(counts.readBigUInt64LE(32)),
    created: counts.readUInt32LE(40),
    work: counts.readUInt32LE(44) !== 0,
    files: counts.readUInt32LE(48),
    links: counts.readUInt32LE(52),
    fixed: counts.readUInt32LE(56),
    differed: counts.readUInt32LE(60),
    verified: counts.readUInt32LE(64),
    stopped: counts.readUInt32LE(68) !== 0,
    bytes: Number(counts.readBigUInt64LE(72)),
    adjust: Number(counts.readBigInt64LE(80)),
    folders: counts.readUInt32LE(88),
    verifiedDirect: counts.readUInt32LE(92),
    verifiedDropped: counts.readUInt32LE(96),
    sourceCtimeMaxNs: counts.length >= 112 && counts.readBigInt64LE(104) > 0n ? counts.readBigInt64LE(104) : undefined,
  };
}

export function parseRecords(records: Buffer, roots: { readonly source: Buffer; readonly destination: Buffer }): WalkRecords {
  const parsed: WalkRecords = { work: [], folders: [], deferredSource: [], deferredDestination: [], extras: [], stale: [], failures: [], moved: [], unrenamed: [] };
  for (let at = 0; at + HEADER <= records.length; ) {
    const length = records.readUInt32LE(at);
    const flags = records.readUInt32LE(at + 24);
    const role = (flags >>> 20) & 0xf;
    const rel = Buffer.from(records.subarray(at + HEADER, at + HEADER + records.readUInt32LE(at + 88)));
    const errno = records.readInt32LE(at + 20);
    if (role === ROLE_MOVED) {
      parsed.moved.push({ rel, note: getSystemErrorName(-errno) === 'ENOENT' ? 'vanished' : 'changed' });
    } else if (role === ROLE_FAILED || errno !== 0) {
      const [what, syscall] = WHAT[flags & 0xffff] ?? ['cannot read', 'lstat'];
      const root = (flags & REC_FROM_DESTINATION) !== 0 ? roots.destination : roots.source;
      parsed.failures.push(errnoFailure(rel, what, errno, syscall, resolveUnder(root, rel)));
      if ((flags & 0xffff) === WHAT_RENAME) parsed.unrenamed.push(rel);
    } else if (role === ROLE_WORK) {
      parsed.work.push({ rel, onDestination: (flags & REC_ON_DEST) !== 0 });
    } else {
      const entry = recordEntry(rel, records, at);
      if (role === ROLE_FOLDER) {
        parsed.folders.push({
          entry,
          created: (flags & REC_CREATED) !== 0,
          settled: (flags & REC_SETTLED) !== 0,
          touched: (flags & REC_TOUCHED) !== 0,
          finished: (flags & REC_FINISHED) !== 0,
          ownerLeftOut: (flags & REC_OWNER_LEFT_OUT) !== 0,
        });
      } else if (role === ROLE_DEFER_SOURCE) parsed.deferredSource.push(entry);
      else if (role === ROLE_DEFER_DEST) parsed.deferredDestination.push(entry);
      else if (role === ROLE_EXTRA) parsed.extras.push(entry);
      else if (role === ROLE_STALE) parsed.stale.push(entry);
    }
    at += length;
  }
  return parsed;
}

/** Kinds of notes. */
const K_FAILED = 1;
const K_CHANGED = 2;
const K_VANISHED = 3;
const K_UPDATED = 4;
const K_MISMATCH = 5;
const K_ATTRIBUTES = 6;
const K_LINKED = 7;
const K_LEFT_OUT = 8;
/** What was being done, for the failure's reason. */
const ACTIONS: Record<number, string> = { 1: 'cannot copy', 2: 'cannot compare', 3: 'cannot set attributes', 4: 'cannot copy link' };

export type SourceNote = 'updated' | 'changed' | 'vanished';

export interface WalkNotes {
  readonly failures: CopyFailure[];
  /** Entries whose source moved under the copy. */
  readonly moved: { readonly rel: Buffer; readonly note: SourceNote }[];
  /** Files found to have other names only as they were copied (a folder the walk made is listed by type alone): for the planner. */
  readonly linked: Buffer[];
  /** Entries written without their source's attributes of the kinds (LEAVE_OUT_*) the run leaves out. */
  readonly leftOut: { readonly rel: Buffer; readonly kinds: number }[];
}

export function parseNotes(notes: Buffer, hash: string): WalkNotes {
  const parsed: WalkNotes = { failures: [], moved: [], linked: [], leftOut: [] };
  for (let at = 0; at + NOTE_HEADER <= notes.length; ) {
    const length = notes.readUInt32LE(at);
    const kind = notes.readUInt16LE(at + 4);
    const action = notes.readUInt16LE(at + 6);
    const errno = notes.readInt32LE(at + 8);
    let cursor = at + NOTE_HEADER;
    const rel = Buffer.from(notes.subarray(cursor, (cursor += notes.readUInt32LE(at + 12))));
    const syscall = notes.toString('utf8', cursor, (cursor += notes.readUInt16LE(at + 16)));
    const detail = notes.toString('utf8', cursor, (cursor += notes.readUInt16LE(at + 18)));
    const pathLength = notes.readUInt32LE(at + 20);
    const path = notes.subarray(cursor, cursor + pathLength);
    at += length;
    const what = ACTIONS[action] ?? 'cannot copy';
    if (kind === K_FAILED) {
      const failure = errnoFailure(rel, what, errno, syscall, pathLength > 0 ? path : undefined);
      parsed.failures.push(detail ? { ...failure, reason: `${failure.reason} (${detail})` } : failure);
    } else if (kind === K_MISMATCH) {
      parsed.failures.push({ path: display(rel), reason: `checksum mismatch after copy (${hash}: ${detail}); nothing was put under its final name` });
    } else if (kind === K_ATTRIBUTES) {
      parsed.failures.push({ path: display(rel), reason: `metadata mismatch after copy: ${detail}` });
    } else if (kind === K_CHANGED) parsed.moved.push({ rel, note: 'changed' });
    else if (kind === K_VANISHED) parsed.moved.push({ rel, note: 'vanished' });
    else if (kind === K_UPDATED) parsed.moved.push({ rel, note: 'updated' });
    else if (kind === K_LINKED) parsed.linked.push(rel);
    else if (kind === K_LEFT_OUT) parsed.leftOut.push({ rel, kinds: leftOutKinds(detail) });
  }
  return parsed;
}

/** The kinds a K_LEFT_OUT note names ("xattrs", "acls", "owners", comma-separated). */
function leftOutKinds(detail: string): number {
  const named = detail.split(',');
  return (named.includes('xattrs') ? LEAVE_OUT_XATTRS : 0) | (named.includes('acls') ? LEAVE_OUT_ACLS : 0) | (named.includes('owners') ? LEAVE_OUT_OWNERS : 0);
}

/** A failure worded as Node words its fs errors: "what: ENOENT: no such file or directory, open '/path'". */
function errnoFailure(rel: Buffer, what: string, errno: number, syscall: string, path: Buffer | undefined): CopyFailure {
  const code = getSystemErrorName(-errno);
  const where = path ? ` '${path.toString()}'` : '';
  return { path: display(rel), reason: `${what}: ${code}: ${getSystemErrorMessage(-errno)}, ${syscall}${where}`, code };
}

/** Starting folders for walkTree: u32 path length, path, u8 flags; repeated. */
export function packStarts(starts: readonly { readonly rel: Buffer; readonly flags: number }[]): Buffer {
  return Buffer.concat(starts.flatMap(({ rel, flags }) => [u32(rel.length), rel, Buffer.from([flags])]));
}

/** Tokens of earlier runs for walkTree (their leftovers' names, see paths.ts staleTempMatcher): u8 length, token; repeated. */
export function packTokens(tokens: Iterable<string>): Buffer | null {
  const parts = [...tokens].flatMap((token) => [Buffer.from([token.length]), Buffer.from(token, 'latin1')]);
  return parts.length === 0 ? null : Buffer.concat(parts);
}

/** Paths for walkTree's needed set: u32 path length, path; repeated (paths as long as a tree is deep). */
export function packPaths(paths: Iterable<Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const path of paths) parts.push(u32(path.length), path);
  return Buffer.concat(parts);
}

export function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}
