import { lutimes } from 'node:fs/promises';
import { NATIVE_LIMITATIONS, nativeStatus, type FolderCalls, type NativeFs, type NativeStatus } from '../native/index.ts';

/** What the addon does on the thread pool: whole-file copies, content hashes (from the cache or storage), folder listings, syncfs. */
export type FastIo = Pick<NativeFs, 'copyFile' | 'copyFiles' | 'hashFile' | 'hashFromStorage' | 'scanDir' | 'scanPair' | 'syncfs'>;
/** What the native walk uses: one folder at a time, both sides, in C. */
export type { FolderCalls } from '../native/index.ts';
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
  /** Why a FIFO or device node cannot be created here (undefined when it can). */
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

export function createPlatform(status: NativeStatus = nativeStatus): Platform {
  return status.loaded ? nativePlatform(status.fs) : fallbackPlatform(status.reason);
}

function nativePlatform(fs: NativeFs): Platform {
  return {
    limitations: [],
    nativeProblem: undefined,
    fast: fs,
    folders: typeof fs.walkTree === 'function' ? fs : undefined,
    timeGranularityNs: 1n,
    async setTimes(abs, atimeNs, mtimeNs, isLink) {
      fs.utimens(abs, atimeNs, mtimeNs, isLink);
    },
    readXattrs(abs) {
      const flat = fs.readXattrs(abs);
      if (flat.length === 0) return undefined;
      const pairs: [string, Buffer][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([(flat[i] as Buffer).toString('latin1'), flat[i + 1] as Buffer]);
      return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    },
    setXattr(abs, name, value) {
      fs.setXattr(abs, Buffer.from(name, 'latin1'), value);
    },
    removeXattr(abs, name) {
      fs.removeXattr(abs, Buffer.from(name, 'latin1'));
    },
    cannotMakeSpecial(format, isRoot) {
      return format === S_IFIFO || isRoot ? undefined : 'creating a device node needs root (CAP_MKNOD)';
    },
    mknod(abs, format, mode, rdev) {
      fs.mknod(abs, format | mode, format === S_IFIFO ? 0n : rdev);
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
      throw without('create FIFOs or device nodes');
    },
    *dataRanges(_fd, size) {
      if (size > 0) yield [0, size] as const;
    },
  };
}
