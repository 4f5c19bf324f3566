/**
 * One folder of the source as the survey needs it: its children sorted by name bytes, each with
 * whether it is a folder and its weight in bytes. With the addon, one scanDir call lists it in C
 * (getdents64 and lstat of every entry, on the addon's threads), and the listing is read where it lies
 * (no object per entry: a folder of a million names costs its packed records, about 100 bytes each).
 * Without it, Node's fs: the folder opened without following a link, its names read a batch at a time
 * (fs.opendir) into one buffer with their types, and an lstat of each regular file (and of each entry
 * whose type the file system does not say), several in flight.
 *
 * Bytes: a regular file weighs its size (st_size), anything else 0. Not st_blocks * 512: the engine
 * reads a sparse file's data only, but its progress (and so a partition's ETA) counts the holes too;
 * st_blocks lags writes on file systems with delayed allocation and shrinks under compression, so it
 * is not what the destination will take either; and the addon's listing carries the size, not the
 * blocks. A share of mostly sparse files is planned as if the holes were data: balanced by size.
 */
import { constants, type Dirent, type Stats } from 'node:fs';
import { lstat as lstatShort, opendir } from 'node:fs/promises';
import { SCAN_XATTRS_NONE } from '../native/index.ts';
import { lstat, open, SHORT } from '../engine/long-paths.ts';
import type { FastIo } from '../engine/platform.ts';
import { codeOf } from '../engine/scan.ts';

export interface FolderChildren {
  readonly count: number;
  name(index: number): Buffer;
  isFolder(index: number): boolean;
  bytes(index: number): number;
}

/** Lists the folder at `abs`; rejects with the system error (ENOENT: gone; ENOTDIR or ELOOP: no longer a folder). */
export type ListChildren = (abs: Buffer) => Promise<FolderChildren>;

/** Whether an error listing a folder says it is no longer there as a folder (the tree changed under the survey). */
export function isMoved(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP';
}

const HEADER = 96;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** The addon's listing (src/smig_listing.h records, sorted by name bytes), read in place. */
export function nativeLister(fast: Pick<FastIo, 'scanDir'>): ListChildren {
  return async (abs) => {
    const listing = await fast.scanDir(abs, SCAN_XATTRS_NONE);
    let count = 0;
    for (let at = 0; at + HEADER <= listing.length; at += listing.readUInt32LE(at)) count += 1;
    const offsets = new Uint32Array(count);
    for (let at = 0, index = 0; index < count; at += listing.readUInt32LE(at), index += 1) offsets[index] = at;
    const at = (index: number) => offsets[index] as number;
    // An entry that could not be lstat'ed (errno set) has no type or size: a child of weight 0 and no descent.
    const mode = (index: number) => (listing.readInt32LE(at(index) + 20) === 0 ? listing.readUInt32LE(at(index) + 4) & S_IFMT : 0);
    return {
      count,
      name: (index) => listing.subarray(at(index) + HEADER, at(index) + HEADER + listing.readUInt32LE(at(index) + 88)),
      isFolder: (index) => mode(index) === S_IFDIR,
      bytes: (index) => (mode(index) === S_IFREG ? Number(listing.readBigUInt64LE(at(index) + 32)) : 0),
    };
  };
}

/** lstat of a path of any length (long-paths.ts beyond PATH_MAX). */
const lstatAnyLength = (path: Buffer): Promise<Stats> => (path.length <= SHORT ? lstatShort(path) : lstat(path));

/** Node's fs: names and types from the open folder, lstat (`lstatOf`) where the weight or the type needs it, `inFlight` at once. */
export function portableLister(inFlight = 32, lstatOf: (path: Buffer) => Promise<Stats> = lstatAnyLength): ListChildren {
  return async (abs) => {
    const names = await readNames(abs);
    const { arena, starts, ends, types } = names;
    const folders = new Uint8Array(names.count);
    const bytes = new Float64Array(names.count);
    const gone = new Uint8Array(names.count);
    const separator = Buffer.from('/');
    let next = 0;
    const weighNext = async (): Promise<void> => {
      for (let index = next++; index < names.count; index = next++) {
        if (types[index] === TYPE_FOLDER) folders[index] = 1;
        if (types[index] !== TYPE_FILE && types[index] !== TYPE_UNKNOWN) continue;
        try {
          const stats = await lstatOf(Buffer.concat([abs, separator, arena.subarray(starts[index], ends[index])]));
          folders[index] = stats.isDirectory() ? 1 : 0;
          bytes[index] = stats.isFile() ? stats.size : 0;
        } catch (error) {
          // Gone since it was listed: left out, as the addon's listing leaves it out. Any other error:
          // an entry of weight 0 (the copy itself will say what is wrong with it).
          if (codeOf(error) === 'ENOENT') gone[index] = 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, names.count) }, weighNext));
    // In name-byte order, without the entries gone since the listing.
    const order = names.order.filter((index) => gone[index] === 0);
    const at = (index: number) => order[index] as number;
    return {
      count: order.length,
      name: (index) => arena.subarray(starts[at(index)], ends[at(index)]),
      isFolder: (index) => folders[at(index)] === 1,
      bytes: (index) => bytes[at(index)] as number,
    };
  };
}

const TYPE_OTHER = 0;
const TYPE_FILE = 1;
const TYPE_FOLDER = 2;
const TYPE_UNKNOWN = 3;

/** A folder's names in one buffer (no object per name: a folder of a million names is some 30 MiB, not 200), their types, and their order by bytes. */
interface Names {
  readonly count: number;
  readonly arena: Buffer;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly types: Uint8Array;
  /** Indexes in name-byte order. */
  readonly order: Uint32Array;
}

/** Reads the names of the folder at `abs`, opened without following a link at its name, a batch of entries at a time. */
async function readNames(abs: Buffer): Promise<Names> {
  const folder = await open(abs, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  let arena: Buffer = Buffer.allocUnsafe(16 * 1024);
  let starts = new Uint32Array(256);
  let ends = new Uint32Array(256);
  let types = new Uint8Array(256);
  let count = 0;
  let used = 0;
  try {
    // The open folder itself, through /proc: a folder swapped for a link after the open is not followed.
    // Node's opendir takes encoding 'buffer' (names as Buffers, any bytes), which its types do not say.
    const dir = await opendir(`/proc/self/fd/${folder.fd}`, { encoding: 'buffer', bufferSize: 1024 } as unknown as Parameters<typeof opendir>[1]);
    for await (const dirent of dir as unknown as AsyncIterable<Dirent<Buffer>>) {
      const name = dirent.name;
      if (used + name.length > arena.length) arena = grown(arena, used + name.length);
      if (count === starts.length) {
        starts = grownArray(starts);
        ends = grownArray(ends);
        types = grownArray(types);
      }
      name.copy(arena, used);
      starts[count] = used;
      used += name.length;
      ends[count] = used;
      types[count] = dirent.isFile() ? TYPE_FILE : dirent.isDirectory() ? TYPE_FOLDER : isKnownType(dirent) ? TYPE_OTHER : TYPE_UNKNOWN;
      count += 1;
    }
  } finally {
    await folder.close();
  }
  const order = new Uint32Array(count);
  for (let index = 0; index < count; index += 1) order[index] = index;
  const names = arena;
  order.sort((a, b) => names.compare(names, starts[b], ends[b], starts[a], ends[a]));
  return { count, arena, starts: starts.subarray(0, count), ends: ends.subarray(0, count), types: types.subarray(0, count), order };
}

function grown(buffer: Buffer, needed: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(needed, buffer.length * 2));
  buffer.copy(bigger);
  return bigger;
}

function grownArray<T extends Uint32Array | Uint8Array>(array: T): T {
  const bigger = new (array.constructor as new (length: number) => T)(array.length * 2);
  bigger.set(array);
  return bigger;
}

/** Whether the file system said the entry's type (DT_UNKNOWN, which some file systems answer, says none). */
function isKnownType(dirent: Dirent<Buffer>): boolean {
  return dirent.isDirectory() || dirent.isSymbolicLink() || dirent.isFIFO() || dirent.isSocket() || dirent.isCharacterDevice() || dirent.isBlockDevice();
}
