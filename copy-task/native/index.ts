/**
 * Loads the engine's Node-API addon (src/smig_native.c, built by build.mjs into build/Release).
 *
 * The engine works without it, with reduced fidelity (see NATIVE_LIMITATIONS); it never fails to
 * start for want of it. SMIG_NATIVE=off turns it off, to exercise that path. SMIG_NATIVE_ADDON names
 * another build of it to load instead (the sanitizer build: copy-task/native/sanitize.sh).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The addon's calls. Paths and attribute names are Buffers; times are BigInt nanoseconds. */
export interface NativeFs {
  /** utimensat(2); `noFollow` sets a link's own times. */
  utimens(path: Buffer, atimeNs: bigint, mtimeNs: bigint, noFollow: boolean): void;
  futimens(fd: number, atimeNs: bigint, mtimeNs: bigint): void;
  /** mknod(2): `mode` holds the type (S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK) and the permission bits. */
  mknod(path: Buffer, mode: number, rdev: bigint): void;
  /** Every extended attribute of the entry itself (never followed): names and values alternating. */
  readXattrs(path: Buffer): Buffer[];
  setXattr(path: Buffer, name: Buffer, value: Buffer): void;
  /** Removes one attribute; one already gone is not an error. */
  removeXattr(path: Buffer, name: Buffer): void;
  /** lseek(SEEK_DATA): the next data at or after `offset`, -1 when there is none. */
  seekData(fd: number, offset: number): number;
  /** lseek(SEEK_HOLE): the next hole at or after `offset` (end of file counts), -1 past the end. */
  seekHole(fd: number, offset: number): number;
  /**
   * Copies one regular file whole, on the thread pool (see src/smig_async.c): data into `temp` (holes
   * kept, hashed with XXH3-128 and read back when verifying), the source checked for changes, owner,
   * xattrs, mode and times set (and read back when verifying), then renamed to `destination`.
   * `control`: two int64s, bytes done (added to) and a stop flag (non-zero stops with ECANCELED).
   */
  copyFile(source: Buffer, temp: Buffer, destination: Buffer, flags: number, granularityNs: number, control: Buffer | null): Promise<NativeCopyResult>;
  /** Several files, one after the other, in one trip to the thread pool; each result as copyFile's, or the Error it ended with. */
  copyFiles(sources: Buffer[], temps: Buffer[], destinations: Buffer[], flags: number, granularityNs: number, control: Buffer | null): Promise<(NativeCopyResult | Error)[]>;
  /** XXH3-128 of a file's content, 32 hex digits; holes hashed as zeros without reading them. */
  hashFile(path: Buffer): Promise<{ digest: string; size: number }>;
  /**
   * As hashFile, but of what storage holds (src/smig_content.c): the file's data made durable
   * (fdatasync), then read past the page cache with O_DIRECT (`direct`), or where the file system
   * refuses O_DIRECT, after dropping the file's cached pages (`dropped`). A regular file only.
   */
  hashFromStorage(path: Buffer): Promise<{ digest: string; size: number; readBack: StorageReadBack }>;
  /**
   * One folder's entries, lstat'ed, with link targets and the xattrs asked for (SCAN_XATTRS_*), less the
   * kinds in `leaveOut` (LEAVE_OUT_*, said in each record's flags), packed (see scan.ts). `range`: only
   * the names a partitioned pass sees in a boundary folder (engine/partition-view.ts, packedNameRange).
   */
  scanDir(path: Buffer, xattrs: boolean | ScanXattrs, leaveOut?: number, range?: Buffer | null): Promise<Buffer>;
  /**
   * Both sides of one folder (xattrs included, less the kinds the flags' COPY_LEAVE_OUT_* bits name); regular files with one name whose size, times (at
   * `granularityNs`), mode, owner (flag PAIR_COMPARE_OWNER) and xattrs are equal are marked as such.
   * A side that cannot be listed comes back as its Error.
   */
  scanPair(source: Buffer, destination: Buffer, granularityNs: number, flags: number, range?: Buffer | null): Promise<[Buffer | Error, Buffer | Error]>;
  /** syncfs(2): writes back the file system holding `path`. */
  syncfs(path: Buffer): Promise<void>;
  /**
   * Walks both trees below `starts` in C (src/smig_walk.c) on `threads` of the addon's threads: the
   * survey, or (flag PAIR_COPY) the copying walk. What it returns is read by engine/native-folder.ts.
   */
  walkTree(
    sourceRoot: Buffer,
    destinationRoot: Buffer,
    starts: Buffer,
    flags: number,
    syncFlags: number,
    granularityNs: number,
    suspectSinceNs: bigint | null,
    modes: Buffer | null,
    skip: Buffer | null,
    needed: Buffer | null,
    threads: number,
    control: Buffer | null,
    sourceXattrsAfterNs: bigint | null,
    destinationXattrsAfterNs: bigint | null,
    /** Tokens of earlier runs whose temp names the walk takes for leftovers (u8 length, token; repeated: engine/native-folder.ts). */
    staleTokens: Buffer | null,
  ): Promise<{ counts: Buffer; records: Buffer; notes: Buffer }>;
  /** The token this process's temp names carry (16 hex digits: engine/paths.ts), for the names the addon makes up. */
  setTempToken(token: Buffer): void;
  /** Raises the number of the addon's worker threads (never lowers it); returns it. */
  setWorkers(count: number): number;
}

/** The folder-at-a-time calls of the native walk. */
export type FolderCalls = Pick<NativeFs, 'walkTree' | 'setWorkers'>;

/** Whose extended attributes scanDir reads: no entry's, every entry's, folders' only. */
export const SCAN_XATTRS_NONE = 0;
export const SCAN_XATTRS_ALL = 1;
export const SCAN_XATTRS_FOLDERS = 2;
export type ScanXattrs = typeof SCAN_XATTRS_NONE | typeof SCAN_XATTRS_ALL | typeof SCAN_XATTRS_FOLDERS;

/** scanPair flags. */
export const PAIR_COMPARE_OWNER = 1;

/** copyFile and syncFolder flags. */
export const COPY_VERIFY = 1;
export const COPY_AS_ROOT = 2;
/** With COPY_VERIFY: each copy is read back from storage once written (see hashFromStorage), not from the cache as written. */
export const COPY_VERIFY_STORAGE = 128;

/**
 * Kinds of attributes a run may leave out (src/smig_xattr.h): POSIX ACLs (system.posix_acl_*) and every
 * other extended attribute. Left out, they are neither set, removed nor compared on the destination.
 */
export const LEAVE_OUT_XATTRS = 1;
export const LEAVE_OUT_ACLS = 2;
/**
 * Owners, left out where the destination refuses to give entries away (an EFS access point with a POSIX
 * user): entries keep the owner the destination gives them; owners are neither set nor compared.
 */
export const LEAVE_OUT_OWNERS = 4;
/** The copyFile, walkTree (sync flags) and scanPair flags that leave out the kinds `leaveOut` (LEAVE_OUT_*). */
export function leaveOutFlags(leaveOut: number): number {
  return (leaveOut & (LEAVE_OUT_XATTRS | LEAVE_OUT_ACLS | LEAVE_OUT_OWNERS)) << 8;
}

/** Where a verified copy was read back from: the page cache as it was written, or storage (see hashFromStorage). */
export type ReadBack = 'cache' | StorageReadBack;
export type StorageReadBack = 'direct' | 'dropped';

export interface NativeCopyResult {
  /** `attributes`: the metadata read back differs (`problem` says how); nothing was put in place. */
  readonly outcome: 'copied' | 'changed' | 'vanished' | 'mismatch' | 'attributes';
  /** The source's size when it was opened. */
  readonly size: number;
  /** Bytes counted as progress (holes included). */
  readonly progressed: number;
  readonly mtimeNs: bigint;
  readonly sourceDigest?: string;
  readonly destinationDigest?: string;
  readonly problem?: string;
  /** Where the copy was read back from (`copied` with COPY_VERIFY only). */
  readonly readBack?: ReadBack;
  /** The kinds (LEAVE_OUT_*) of the source's attributes the copy left out (`copied` only; absent: none). */
  readonly leftOut?: number;
}

export type NativeStatus = { readonly loaded: true; readonly fs: NativeFs } | { readonly loaded: false; readonly reason: string };

/** What a copy cannot keep without the addon. */
export const NATIVE_LIMITATIONS: readonly string[] = [
  'times are kept to the microsecond, not the nanosecond',
  'extended attributes and ACLs are not copied',
  'sparse files are written out in full',
  'FIFOs, sockets and device nodes cannot be created',
];

// Relative to copy-task/native/ and to copy-task/dist/ alike (the compiled CLI, see cli/build.mjs).
const ADDON = fileURLToPath(new URL('../native/build/Release/smig_native.node', import.meta.url));
const BUILD_ERROR = fileURLToPath(new URL('../native/build/build-error.txt', import.meta.url));

export function loadNative(env: NodeJS.ProcessEnv = process.env): NativeStatus {
  if (env['SMIG_NATIVE'] === 'off') return { loaded: false, reason: 'turned off by SMIG_NATIVE=off' };
  const chosen = env['SMIG_NATIVE_ADDON'];
  if (chosen) {
    // Asked for by name: missing or unloadable is an error, not a quiet fallback to reduced fidelity.
    if (!existsSync(chosen)) throw new Error(`SMIG_NATIVE_ADDON names ${chosen}, which does not exist`);
    return { loaded: true, fs: createRequire(import.meta.url)(chosen) as NativeFs };
  }
  if (!existsSync(ADDON)) {
    const buildError = existsSync(BUILD_ERROR) ? `: ${readFileSync(BUILD_ERROR, 'utf8').trim()}` : '';
    return { loaded: false, reason: `not built (${ADDON} is missing${buildError}); build it with: node copy-task/native/build.mjs --strict` };
  }
  try {
    return { loaded: true, fs: createRequire(import.meta.url)(ADDON) as NativeFs };
  } catch (error) {
    return { loaded: false, reason: `cannot load ${ADDON}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** This process's addon, loaded once. */
export const nativeStatus: NativeStatus = loadNative();
