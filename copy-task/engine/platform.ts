import { lutimes, withPath, withPaths, withPathSync } from './long-paths.ts';
import { NATIVE_LIMITATIONS, nativeStatus, type FolderCalls, type NativeFs, type NativeStatus } from '../native/index.ts';

/** What the addon does on the thread pool: whole-file copies, content hashes (from the cache or storage), folder listings, syncfs. */
export type FastIo = Pick<NativeFs, 'copyFile' | 'copyFiles' | 'hashFile' | 'hashFromStorage' | 'scanDir' | 'scanPair' | 'syncfs'>;
/** What the native walk uses: one folder at a time, both sides, in C. */
export type { FolderCalls } from '../native/index.ts';
import { RUN_TOKEN } from './paths.ts';
import { MICROSECOND, toUtimesSeconds } from './times.ts';
import type { Xattrs } from './types.ts';

/**
 * What the engine does beyond Node's fs, through the native addon when it is loaded and with Node's
 * fs (less faithfully) when it is not. The rest of the engine asks this, never the addon directly.
 */
export interface Platform {
  /** What copies lose without the addon; empty with it. */
  readonly limitations: readonly string[];
  /** Why the addon is not in use (undefined when it is). */
  readonly nativeProblem: string | undefined;
  /** The finest time it can set, in nanoseconds: what to assume when the destination cannot be probed. */
  readonly timeGranularityNs: bigint;
  /** Sets atime and mtime, to the nanosecond with the addon (Node's utimes keeps microseconds). */
  setTimes(abs: Buffer, atimeNs: bigint, mtimeNs: bigint, isLink: boolean): Promise<void>;
  /** The entry's extended attributes (never following a link); undefined when they cannot be read. */
  readXattrs(abs: Buffer): Xattrs | undefined;
  setXattr(abs: Buffer, name: string, value: Buffer): void;
  removeXattr(abs: Buffer, name: string): void;
  /** Why a FIFO, socket or device node cannot be created here (undefined when it can). */
  cannotMakeSpecial(format: number, isRoot: boolean): string | undefined;
  mknod(abs: Buffer, format: number, mode: number, rdev: bigint): void;
  /** The data ranges [start, end) of an open file of `size` bytes; holes are left out (one range without the addon). */
  dataRanges(fd: number, size: number): Iterable<readonly [number, number]>;
  /** The addon's thread-pool calls; undefined without it (the engine then does the same with Node's fs). */
  readonly fast: FastIo | undefined;
  /** The addon's folder calls; undefined without it. */
  readonly folders: FolderCalls | undefined;
}

const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;
/** FIFOs and sockets are made by anyone (mknod refuses only device nodes without CAP_MKNOD), and have no device number. */
const needsNoDevice = (format: number) => format === S_IFIFO || format === S_IFSOCK;

export function createPlatform(status: NativeStatus = nativeStatus): Platform {
  return status.loaded ? nativePlatform(status.fs) : fallbackPlatform(status.reason);
}

/**
 * The addon's calls on paths, for paths of any length (long-paths.ts: one longer than PATH_MAX is reached
 * through its folder, opened a part at a time, while the call runs).
 */
function fastIo(fs: NativeFs): FastIo {
  return {
    copyFile: (source, temp, destination, flags, granularityNs, control) =>
      withPaths([source, temp, destination], ([s, t, d]) => fs.copyFile(s as Buffer, t as Buffer, d as Buffer, flags, granularityNs, control)),
    copyFiles: (sources, temps, destinations, flags, granularityNs, control) => {
      const count = sources.length;
      return withPaths([...sources, ...temps, ...destinations], (all) =>
        fs.copyFiles(all.slice(0, count), all.slice(count, 2 * count), all.slice(2 * count), flags, granularityNs, control),
      );
    },
    hashFile: (path) => withPath(path, (reached) => fs.hashFile(reached)),
    hashFromStorage: (path) => withPath(path, (reached) => fs.hashFromStorage(reached)),
    scanDir: (path, xattrs, leaveOut, range) => withPath(path, (reached) => fs.scanDir(reached, xattrs, leaveOut, range)),
    scanPair: (source, destination, granularityNs, flags, range) =>
      withPaths([source, destination], ([s, d]) => fs.scanPair(s as Buffer, d as Buffer, granularityNs, flags, range)),
    syncfs: (path) => fs.syncfs(path),
  };
}

function nativePlatform(fs: NativeFs): Platform {
  // The names the addon makes up carry this process's token too (see paths.ts).
  fs.setTempToken(Buffer.from(RUN_TOKEN));
  return {
    limitations: [],
    nativeProblem: undefined,
    fast: fastIo(fs),
    folders: typeof fs.walkTree === 'function' ? fs : undefined,
    timeGranularityNs: 1n,
    async setTimes(abs, atimeNs, mtimeNs, isLink) {
      withPathSync(abs, (path) => fs.utimens(path, atimeNs, mtimeNs, isLink));
    },
    readXattrs(abs) {
      const flat = withPathSync(abs, (path) => fs.readXattrs(path));
      if (flat.length === 0) return undefined;
      const pairs: [string, Buffer][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([(flat[i] as Buffer).toString('latin1'), flat[i + 1] as Buffer]);
      return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    },
    setXattr(abs, name, value) {
      withPathSync(abs, (path) => fs.setXattr(path, Buffer.from(name, 'latin1'), value));
    },
    removeXattr(abs, name) {
      withPathSync(abs, (path) => fs.removeXattr(path, Buffer.from(name, 'latin1')));
    },
    cannotMakeSpecial(format, isRoot) {
      return needsNoDevice(format) || isRoot ? undefined : 'creating a device node needs root (CAP_MKNOD)';
    },
    mknod(abs, format, mode, rdev) {
      withPathSync(abs, (path) => fs.mknod(path, format | mode, needsNoDevice(format) ? 0n : rdev));
    },
    *dataRanges(fd, size) {
      let position = 0;
      while (position < size) {
        const start = fs.seekData(fd, position);
        if (start < 0 || start >= size) return;
        const hole = fs.seekHole(fd, start);
        const end = hole < 0 || hole > size ? size : hole;
        yield [start, end] as const;
        position = end;
      }
    },
  };
}

function fallbackPlatform(reason: string): Platform {
  const without = (what: string) => new Error(`cannot ${what} without the native addon, which is not loaded (${reason})`);
  return {
    limitations: NATIVE_LIMITATIONS.map((limitation) => `${limitation} (the native addon is not loaded: ${reason})`),
    nativeProblem: reason,
    fast: undefined,
    folders: undefined,
    timeGranularityNs: MICROSECOND,
    async setTimes(abs, atimeNs, mtimeNs) {
      await lutimes(abs, toUtimesSeconds(atimeNs), toUtimesSeconds(mtimeNs));
    },
    readXattrs: () => undefined,
    setXattr: () => {
      throw without('set extended attributes');
    },
    removeXattr: () => {
      throw without('remove extended attributes');
    },
    cannotMakeSpecial: () => `needs the native addon, which is not loaded (${reason})`,
    mknod: () => {
      throw without('create FIFOs, sockets or device nodes');
    },
    *dataRanges(_fd, size) {
      if (size > 0) yield [0, size] as const;
    },
  };
}
