import type { FileHandle } from 'node:fs/promises';
import { lstat, open, readdir, readlink } from './long-paths.ts';
import { constants, type BigIntStats } from 'node:fs';
import { getSystemErrorMessage, getSystemErrorName } from 'node:util';
import { childOf, display, resolveUnder } from './paths.ts';
import type { CopyFailure, EntryKind, TreeEntry, Xattrs } from './types.ts';
import { leaveOutXattrs, withAclMode } from './xattrs.ts';

export interface ListOptions {
  /** The mode to record for an entry, given what lstat saw (CopyOptions.sourceModes). */
  readonly modeOf?: (rel: Buffer, statMode: number) => number;
  /** Reads an entry's extended attributes (Platform.readXattrs); none are recorded without it. */
  readonly readXattrs?: (abs: Buffer) => Xattrs | undefined;
  /**
   * Lists a folder with every entry's lstat, link target and xattrs in one call on the thread pool
   * (the addon's scanDir, packed as parseListing reads it); without it, Node's fs does it entry by entry.
   */
  readonly listDir?: (abs: Buffer, range?: Buffer) => Promise<Buffer>;
  /** Entries to leave out (the run's own journal), by path relative to the root. */
  readonly skip?: (rel: Buffer) => boolean;
  /**
   * The entries a partitioned pass sees in a boundary folder (partition-view.ts): the others are neither
   * read (without the addon), built, counted as equal, nor reported as failures, so a huge folder split by
   * name ranges costs each partition its own share of memory. @default every entry
   */
  readonly keep?: (rel: Buffer) => boolean;
  /** And the names `keep` may keep, for the addon's listing to lstat no other (PartitionView.nameRange). @default all */
  readonly range?: Buffer;
  /**
   * Kinds of attributes (LEAVE_OUT_*) left out of what readXattrs reads, as the addon's listings leave
   * them out when asked (the destination refuses them: see left-out-metadata.ts). @default none
   */
  readonly leaveOut?: number;
  /**
   * The tree changes while it is walked (the source, which users write during a bulk pass): a folder
   * gone or replaced by another type is FolderListing.moved, not a failure. @default false
   */
  readonly mayChange?: boolean;
}

export interface FolderListing {
  /** The folder's entries (not the folder itself), sorted by name bytes. */
  readonly entries: TreeEntry[];
  /** The folder itself could not be listed, or some entries could not be read. */
  readonly failures: CopyFailure[];
  /**
   * The folder (not a root) is no longer one: `vanished` (gone) or `changed` (a link, or a file, stands
   * at its name now; never followed). A change of the tree while it is walked, not a failure.
   */
  readonly moved?: 'changed' | 'vanished';
}

/** How a folder that cannot be listed for `error` moved, if that is why (see FolderListing.moved). */
export function movedFolder(dir: Buffer, error: unknown): 'changed' | 'vanished' | undefined {
  if (dir.length === 0) return undefined;
  const code = codeOf(error);
  return code === 'ENOENT' ? 'vanished' : code === 'ENOTDIR' || code === 'ELOOP' ? 'changed' : undefined;
}

/** A folder's listing that failed for `error`: moved (where the tree may change), or a failure naming the folder. */
function unlisted(dir: Buffer, error: unknown, options: ListOptions): FolderListing {
  const moved = options.mayChange ? movedFolder(dir, error) : undefined;
  return moved ? { entries: [], failures: [], moved } : { entries: [], failures: [failureOf(dir, error, 'cannot list folder')] };
}

/** An entry as lstat sees it (never following a link), with its link target and attributes. */
export async function readEntry(root: Buffer, rel: Buffer, options: ListOptions): Promise<TreeEntry> {
  return readEntryAt(resolveUnder(root, rel), rel, options);
}

/** readEntry of the entry at `abs`, recorded as `rel`. */
async function readEntryAt(abs: Buffer, rel: Buffer, options: ListOptions): Promise<TreeEntry> {
  const stats = await lstat(abs, { bigint: true });
  const entry = toEntry(rel, stats);
  const { kept: xattrs, left } = leaveOutXattrs(options.readXattrs?.(abs), options.leaveOut ?? 0);
  const target = entry.kind === 'symlink' ? await readlink(abs) : undefined;
  return mapMode({ ...entry, ...(xattrs ? { xattrs } : {}), ...(left ? { leftOut: left } : {}), ...(target ? { target } : {}) }, options);
}

/** One folder's entries, never following links; entries removed since they were listed are left out. */
export async function listFolder(root: Buffer, dir: Buffer, options: ListOptions): Promise<FolderListing> {
  const entries: TreeEntry[] = [];
  const failures: CopyFailure[] = [];
  const add = (entry: TreeEntry) => {
    if (!options.skip?.(entry.rel)) entries.push(mapMode(entry, options));
  };
  if (options.listDir) {
    let listing: Buffer;
    try {
      listing = await options.listDir(resolveUnder(root, dir), options.range);
    } catch (error) {
      return unlisted(dir, error, options);
    }
    parseListing(dir, listing, root, add, (failure) => failures.push(failure), undefined, options.keep);
    return { entries, failures };
  }
  // Opened without following a link at its name (readdir alone would list a link's target), and its
  // entries read through the open folder: a folder replaced by a link meanwhile is not followed.
  let folder: FileHandle;
  try {
    folder = await open(resolveUnder(root, dir), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    return unlisted(dir, error, options);
  }
  try {
    const here = Buffer.from(`/proc/self/fd/${folder.fd}`);
    let names: Buffer[];
    try {
      names = await readdir(here);
    } catch (error) {
      return unlisted(dir, error, options);
    }
    names.sort(Buffer.compare);
    for (const name of names) {
      const rel = childOf(dir, name);
      if (options.skip?.(rel) || (options.keep && !options.keep(rel))) continue;
      try {
        entries.push(await readEntryAt(childOf(here, name), rel, options));
      } catch (error) {
        if (codeOf(error) === 'ENOENT') continue; // removed since it was listed: it is not there to copy
        failures.push(failureOf(rel, error, 'cannot read'));
      }
    }
  } finally {
    await folder.close();
  }
  return { entries, failures };
}

/** Files found equal on both sides by a paired listing, and so left out of it. */
export interface SameFiles {
  files: number;
  bytes: number;
}

/**
 * A folder listed on both sides at once by the addon (scanPair), which leaves out the regular files
 * with one name whose size, times, mode, owner and xattrs are the same on both (counted in `same`):
 * in a tree in sync, that is nearly everything, and nothing is built for it.
 */
export async function listFolderPair(
  roots: { readonly source: Buffer; readonly destination: Buffer },
  dir: Buffer,
  options: { readonly source: ListOptions; readonly destination: ListOptions },
  scanPair: (source: Buffer, destination: Buffer, range?: Buffer) => Promise<[Buffer | Error, Buffer | Error]>,
): Promise<{ source: FolderListing; destination: FolderListing; same: SameFiles }> {
  const same: SameFiles = { files: 0, bytes: 0 };
  // Both sides see the same names: the wider of the two ranges (the destination's keeps more, by JavaScript's checks).
  const [sourceListing, destinationListing] = await scanPair(resolveUnder(roots.source, dir), resolveUnder(roots.destination, dir), options.destination.range);
  const side = (root: Buffer, listing: Buffer | Error, sideOptions: ListOptions, onSame?: (size: number) => void): FolderListing => {
    if (listing instanceof Error) return unlisted(dir, listing, sideOptions);
    const entries: TreeEntry[] = [];
    const failures: CopyFailure[] = [];
    const add = (entry: TreeEntry) => {
      if (!sideOptions.skip?.(entry.rel)) entries.push(mapMode(entry, sideOptions));
    };
    parseListing(dir, listing, root, add, (failure) => failures.push(failure), onSame, sideOptions.keep);
    return { entries, failures };
  };
  return {
    source: side(roots.source, sourceListing, options.source, (size) => {
      same.files += 1;
      same.bytes += size;
    }),
    destination: side(roots.destination, destinationListing, options.destination),
    same,
  };
}

/** The mode the destination must get (ListOptions.modeOf), with the access ACL following it. */
export function mapMode(entry: TreeEntry, options: Pick<ListOptions, 'modeOf'>): TreeEntry {
  if (!options.modeOf || entry.kind === 'symlink') return entry;
  const mode = options.modeOf(entry.rel, entry.mode);
  if (mode === entry.mode) return entry;
  return { ...entry, mode, ...(entry.xattrs ? { xattrs: withAclMode(entry.xattrs, mode) } : {}) };
}

const S_IFMT = 0o170000n;
const S_IFMT_NUMBER = 0o170000;
const HEADER = 96;
const WHAT_FAILED = ['', 'lstat', 'readlink', 'llistxattr'] as const;
const RECORD_SAME = 1 << 16;
/** Bits 30-31 of a record's flags: the kinds of the entry's attributes its listing left out (src/smig_listing.h). */
const RECORD_LEFT_OUT_SHIFT = 30;

/**
 * Reads the addon's packed listing of the folder `dir` (see src/smig_async.c, scanDir): one record
 * per entry, in name-byte order, each turned into a TreeEntry (or a failure when it could not be read).
 */
export function parseListing(
  dir: Buffer,
  listing: Buffer,
  root: Buffer,
  onEntry: (entry: TreeEntry) => void,
  onFailure: (failure: CopyFailure) => void,
  onSame?: (size: number) => void,
  /** ListOptions.keep: records of other entries are passed over. */
  keep?: (rel: Buffer) => boolean,
): void {
  for (let at = 0; at + HEADER <= listing.length; ) {
    const length = listing.readUInt32LE(at);
    const flags = listing.readUInt32LE(at + 24);
    const nameLength = listing.readUInt32LE(at + 88);
    const nameStart = at + HEADER;
    if (keep && !keep(childOf(dir, listing.subarray(nameStart, nameStart + nameLength)))) {
      at += length;
      continue;
    }
    if ((flags & RECORD_SAME) !== 0) {
      // A file equal on both sides (scanPair): counted, not built.
      onSame?.(Number(listing.readBigUInt64LE(at + 32)));
      at += length;
      continue;
    }
    const rel = childOf(dir, listing.subarray(nameStart, nameStart + nameLength));
    const errno = listing.readInt32LE(at + 20);
    if (errno !== 0) {
      const what = WHAT_FAILED[flags & 0xffff] ?? 'lstat';
      const code = getSystemErrorName(-errno);
      const reason = `cannot read: ${code}: ${getSystemErrorMessage(-errno)}, ${what} '${resolveUnder(root, rel).toString()}'`;
      onFailure({ path: display(rel), reason, code });
      at += length;
      continue;
    }
    onEntry(recordEntry(rel, listing, at));
    at += length;
  }
}

/** One record of a packed listing (at `at`, read without error) as the entry at `rel`. */
export function recordEntry(rel: Buffer, listing: Buffer, at: number): TreeEntry {
  const nameLength = listing.readUInt32LE(at + 88);
  const targetLength = listing.readUInt16LE(at + 92);
  const xattrLength = listing.readUInt32LE(at + 28);
  const statMode = listing.readUInt32LE(at + 4);
  const format = statMode & S_IFMT_NUMBER;
  const [kind, typeName] = kindOfFormat(format);
  const nlink = listing.readUInt32LE(at + 16);
  const targetStart = at + HEADER + nameLength;
  const xattrs = xattrLength > 0 ? parseXattrs(listing, targetStart + targetLength, xattrLength) : undefined;
  const leftOut = (listing.readUInt32LE(at + 24) >>> RECORD_LEFT_OUT_SHIFT) & 3;
  return {
    rel,
    kind,
    typeName,
    size: Number(listing.readBigUInt64LE(at + 32)),
    mode: statMode & 0o7777,
    uid: listing.readUInt32LE(at + 8),
    gid: listing.readUInt32LE(at + 12),
    atimeNs: listing.readBigInt64LE(at + 64),
    mtimeNs: listing.readBigInt64LE(at + 72),
    ctimeNs: listing.readBigInt64LE(at + 80),
    ...(kind === 'file' && nlink > 1 ? { linkKey: `${listing.readBigUInt64LE(at + 48)}:${listing.readBigUInt64LE(at + 40)}` } : {}),
    ...(kind === 'special' ? { format, rdev: listing.readBigUInt64LE(at + 56) } : {}),
    ...(kind === 'symlink' ? { target: Buffer.from(listing.subarray(targetStart, targetStart + targetLength)) } : {}),
    ...(xattrs ? { xattrs } : {}),
    ...(leftOut ? { leftOut } : {}),
  };
}


function parseXattrs(listing: Buffer, start: number, length: number): Xattrs {
  const pairs: [string, Buffer][] = [];
  for (let at = start; at < start + length; ) {
    const nameLength = listing.readUInt16LE(at);
    const name = listing.toString('latin1', at + 2, at + 2 + nameLength);
    at += 2 + nameLength;
    const valueLength = listing.readUInt32LE(at);
    pairs.push([name, Buffer.from(listing.subarray(at + 4, at + 4 + valueLength))]);
    at += 4 + valueLength;
  }
  return pairs;
}

function kindOfFormat(format: number): [EntryKind, string] {
  switch (format) {
    case 0o100000:
      return ['file', 'file'];
    case 0o040000:
      return ['dir', 'folder'];
    case 0o120000:
      return ['symlink', 'symbolic link'];
    case 0o010000:
      return ['special', 'fifo'];
    case 0o060000:
      return ['special', 'block device'];
    case 0o020000:
      return ['special', 'character device'];
    case 0o140000:
      return ['special', 'socket'];
    default:
      return ['unsupported', 'unknown file type'];
  }
}

export function toEntry(rel: Buffer, stats: BigIntStats): TreeEntry {
  const [kind, typeName] = kindOf(stats);
  return {
    rel,
    kind,
    typeName,
    size: Number(stats.size),
    mode: Number(stats.mode & 0o7777n),
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    atimeNs: stats.atimeNs,
    mtimeNs: stats.mtimeNs,
    ctimeNs: stats.ctimeNs,
    ...(kind === 'file' && stats.nlink > 1n ? { linkKey: linkKeyOf(stats) } : {}),
    ...(kind === 'special' ? { format: Number(stats.mode & S_IFMT), rdev: stats.rdev } : {}),
  };
}

/** Identifies a file with several names: the same key on two paths means one file. */
export function linkKeyOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}`;
}

function kindOf(stats: BigIntStats): [EntryKind, string] {
  if (stats.isFile()) return ['file', 'file'];
  if (stats.isDirectory()) return ['dir', 'folder'];
  if (stats.isSymbolicLink()) return ['symlink', 'symbolic link'];
  if (stats.isFIFO()) return ['special', 'fifo'];
  if (stats.isBlockDevice()) return ['special', 'block device'];
  if (stats.isCharacterDevice()) return ['special', 'character device'];
  if (stats.isSocket()) return ['special', 'socket'];
  return ['unsupported', 'unknown file type'];
}

export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function failureOf(rel: Buffer, error: unknown, what: string): CopyFailure {
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  return code ? { path: display(rel), reason: `${what}: ${message}`, code } : { path: display(rel), reason: `${what}: ${message}` };
}
