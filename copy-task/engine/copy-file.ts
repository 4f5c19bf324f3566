import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { lstat, open, rename, unlink } from './long-paths.ts';
import type { Hash } from 'node:crypto';
import { COPY_AS_ROOT, COPY_VERIFY, COPY_VERIFY_STORAGE, leaveOutFlags, type NativeCopyResult, type ReadBack } from '../native/index.ts';
import { FAST_HASH_NAME, HASH_NAME, hashFile, hashZeros, newHash } from './checksum.ts';
import { CHUNK_SIZE, type IoContext, type SourceState } from './context.ts';
import { CopyAbortedError, throwIfAborted, VerificationError } from './errors.ts';
import type { FastIo } from './platform.ts';
import { applyAttributes, verifyAttributes, type Attributes } from './metadata.ts';
import { openForReading } from './open-for-reading.ts';
import { display, resolveUnder, tempSibling, uniqueSuffix } from './paths.ts';
import { codeOf } from './scan.ts';
import { sameTime } from './times.ts';
import type { TreeEntry } from './types.ts';
import { leaveOutXattrs, withAclMode } from './xattrs.ts';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Attempts at a file that changes while it is copied, before the pass gives up on it. */
export const MAX_ATTEMPTS = 3;

export interface FileCopyResult {
  readonly state: SourceState;
  /** Size of the version put in place (0 when nothing was). */
  readonly bytes: number;
  /** Bytes reported as progress over every attempt (holes included). */
  readonly progressed: number;
  /** Where the copy put in place was read back from, when verifying. */
  readonly readBack?: ReadBack;
}

interface Mismatch {
  readonly outcome: 'mismatch';
  readonly hash: string;
  readonly source: string;
  readonly destination: string;
}

type Attempt =
  | { readonly outcome: 'copied'; readonly state: 'same' | 'updated'; readonly size: number; readonly readBack?: ReadBack; readonly leftOut?: number }
  | { readonly outcome: 'changed' }
  | { readonly outcome: 'vanished' }
  | Mismatch;

/**
 * Copies one regular file so that its final name only ever holds a complete, verified copy: data
 * into a temp file in the destination folder (holes left as holes), hashed as it is read; then, with
 * verification on, the temp file read back (from the cache, or from storage once durable: see
 * CopyOptions.verifyFrom) and compared; then owner, attributes, mode and times, read back and compared
 * too; then a rename to the final name.
 *
 * A source that changes meanwhile (size, mtime or ctime moved, or the name now holds another file) is
 * copied again, up to MAX_ATTEMPTS times (once when `stableSource`: any change is then an error the
 * caller reports); after that it is `changed` and nothing is put in place. A copy whose hash differs
 * is made once more; a second difference is an error.
 *
 * With the native addon (and no hook, bandwidth limit or source-mode mapping to call back into
 * JavaScript for), each attempt is one call that does all of it on the thread pool, hashing with
 * XXH3-128 and letting the kernel copy (copy_file_range) when not verifying; bytes then count
 * through `context.control`, not `onBytes`. Otherwise Node's fs does it, hashing with sha256.
 */
export async function copyRegularFile(
  context: IoContext,
  entry: TreeEntry,
  onBytes: (bytes: number) => void,
  stableSource = false,
  /** The first attempt, already made in a batch (copyBatch). */
  first?: NativeCopyResult | Error,
): Promise<FileCopyResult> {
  let progressed = 0;
  const count = (bytes: number): void => {
    progressed += bytes;
    onBytes(bytes);
  };
  let mismatch: Mismatch | undefined;
  const fast = nativeCopier(context);
  let made = first;
  for (let changes = 0; ; ) {
    let attempt: Attempt;
    if (made !== undefined) {
      const result = made;
      made = undefined;
      if (result instanceof Error) throw nativeError(context, result);
      progressed += result.progressed;
      attempt = attemptOf(context, entry, result);
    } else {
      attempt = fast ? await copyOnceNative(context, fast, entry, (bytes) => (progressed += bytes)) : await copyOnce(context, entry, count);
    }
    if (attempt.outcome === 'copied') {
      context.leftOut?.note(entry.rel, attempt.leftOut);
      return { state: attempt.state, bytes: attempt.size, progressed, ...(attempt.readBack ? { readBack: attempt.readBack } : {}) };
    }
    if (attempt.outcome === 'vanished') return { state: 'vanished', bytes: 0, progressed };
    if (attempt.outcome === 'changed') {
      changes += 1;
      if (stableSource || changes >= MAX_ATTEMPTS) return { state: 'changed', bytes: 0, progressed };
      continue;
    }
    if (mismatch !== undefined) {
      throw new VerificationError(
        `checksum mismatch after copy (source ${attempt.hash} ${attempt.source}, destination ${attempt.hash} ${attempt.destination}), ` +
          `as on the attempt before (${mismatch.destination}); nothing was put under its final name`,
      );
    }
    mismatch = attempt;
  }
}

/** The addon's whole-file copy, when nothing needs JavaScript in the middle of a file. */
function nativeCopier(context: IoContext): FastIo | undefined {
  const fast = context.platform.fast;
  if (!fast || context.hooks?.afterCopy || context.limiter || context.sourceModes) return undefined;
  return fast;
}


async function copyOnceNative(context: IoContext, fast: FastIo, entry: TreeEntry, onProgressed: (bytes: number) => void): Promise<Attempt> {
  throwIfAborted(context.signal);
  const destination = resolveUnder(context.destinationRoot, entry.rel);
  // Used only where the file system has no unnamed files, or to replace an existing name.
  const temp = tempSibling(destination, uniqueSuffix());
  let result;
  try {
    result = await fast.copyFile(resolveUnder(context.sourceRoot, entry.rel), temp, destination, copyFlags(context), Number(context.timeGranularityNs), context.control ?? null);
  } catch (error) {
    throw nativeError(context, error);
  }
  onProgressed(result.progressed);
  return attemptOf(context, entry, result);
}

/** Small files at most this big go to the addon several at a time (copyBatch). */
export const BATCH_FILE_BYTES = 1024 * 1024;
/** Files per batch: enough to make the trip to the thread pool cheap, few enough to keep all its threads busy. */
export const BATCH_FILES = 16;

/**
 * First attempts at several small files in one call to the addon; undefined when the addon's
 * whole-file path is not in use (copyRegularFile then copies them one by one). Each result goes
 * to copyRegularFile as `first`, which settles it as if it had made it itself.
 */
/** Whether copyBatch does anything here (the addon's whole-file path is in use). */
export function canBatch(context: IoContext): boolean {
  return nativeCopier(context) !== undefined;
}

export async function copyBatch(context: IoContext, entries: readonly TreeEntry[]): Promise<(NativeCopyResult | Error)[] | undefined> {
  const fast = nativeCopier(context);
  if (!fast) return undefined;
  throwIfAborted(context.signal);
  const sources = entries.map((entry) => resolveUnder(context.sourceRoot, entry.rel));
  const destinations = entries.map((entry) => resolveUnder(context.destinationRoot, entry.rel));
  const temps = destinations.map((destination) => tempSibling(destination, uniqueSuffix()));
  return fast.copyFiles(sources, temps, destinations, copyFlags(context), Number(context.timeGranularityNs), context.control ?? null);
}

function copyFlags(context: IoContext): number {
  return (context.verify ? COPY_VERIFY : 0) | (context.verifyFrom === 'storage' ? COPY_VERIFY_STORAGE : 0) | (context.isRoot ? COPY_AS_ROOT : 0) |
    leaveOutFlags(context.leftOut?.kinds ?? 0);
}

/** An error from the addon's copy as the engine reports it: a stop becomes CopyAbortedError. */
function nativeError(context: IoContext, error: unknown): unknown {
  if (codeOf(error) === 'ECANCELED') return new CopyAbortedError(context.signal?.reason ?? 'stopped');
  const detail = (error as { detail?: unknown }).detail;
  if (typeof detail === 'string' && error instanceof Error) error.message = `${detail}: ${error.message}`;
  return error;
}

function attemptOf(context: IoContext, entry: TreeEntry, result: NativeCopyResult): Attempt {
  switch (result.outcome) {
    case 'copied': {
      const asScanned = result.size === entry.size && sameTime(result.mtimeNs, entry.mtimeNs, context.timeGranularityNs);
      return {
        outcome: 'copied', state: asScanned ? 'same' : 'updated', size: result.size,
        ...(result.readBack ? { readBack: result.readBack } : {}), ...(result.leftOut ? { leftOut: result.leftOut } : {}),
      };
    }
    case 'changed':
    case 'vanished':
      return { outcome: result.outcome };
    case 'mismatch':
      return { outcome: 'mismatch', hash: FAST_HASH_NAME, source: result.sourceDigest ?? '', destination: result.destinationDigest ?? '' };
    case 'attributes':
      throw new VerificationError(`metadata mismatch after copy: ${result.problem ?? 'unknown difference'}`);
  }
}

async function copyOnce(context: IoContext, entry: TreeEntry, onBytes: (bytes: number) => void): Promise<Attempt> {
  const source = resolveUnder(context.sourceRoot, entry.rel);
  const destination = resolveUnder(context.destinationRoot, entry.rel);
  let input: FileHandle;
  try {
    input = await openForReading(source);
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT') return { outcome: 'vanished' };
    if (code === 'ELOOP') return { outcome: 'changed' }; // now a link
    throw error;
  }
  try {
    const before = await input.stat({ bigint: true });
    if (!before.isFile()) return { outcome: 'changed' };
    const size = Number(before.size);
    const temp = tempSibling(destination, uniqueSuffix());
    // Read back from storage takes the addon (O_DIRECT wants aligned memory, which Node's Buffers are not).
    const fromStorage = context.verify && context.verifyFrom === 'storage' ? context.platform.fast : undefined;
    let readBack: ReadBack | undefined;
    let left = 0;
    try {
      const hash = context.verify && !fromStorage ? newHash() : undefined;
      const output = await open(temp, CREATE_FLAGS, 0o600);
      let complete: boolean;
      try {
        complete = await copyData(context, input, output, size, hash, onBytes);
        // Otherwise the run writes back the whole destination before it ends (see durability.ts).
        if (context.syncEachFile) await output.sync();
      } finally {
        await output.close();
      }
      await context.hooks?.afterCopy?.({ path: display(entry.rel), source: source.toString(), destination: temp.toString() });
      // The addon's digest of the source, to compare with its digest of what storage holds; read
      // before the second look below, which shows whether the source moved since the copy began.
      const expected = fromStorage ? await fromStorage.hashFile(source) : undefined;

      // Read the attributes before the second look, so that a change to them shows in the ctime.
      const { kept: xattrs, left: leftOut } = leaveOutXattrs(context.platform.readXattrs(source), context.leftOut?.kinds ?? 0);
      left = leftOut;
      const after = await input.stat({ bigint: true });
      const now = await lstat(source, { bigint: true }).catch((error: unknown) => (codeOf(error) === 'ENOENT' ? undefined : Promise.reject(error)));
      const stable =
        complete && after.size === before.size && after.mtimeNs === before.mtimeNs && after.ctimeNs === before.ctimeNs && now?.ino === before.ino && now.dev === before.dev;
      if (!stable) {
        await unlink(temp);
        return { outcome: now ? 'changed' : 'vanished' };
      }
      if (fromStorage && expected) {
        const written = await fromStorage.hashFromStorage(temp);
        if (written.digest !== expected.digest || written.size !== size) {
          await unlink(temp);
          return { outcome: 'mismatch', hash: FAST_HASH_NAME, source: expected.digest, destination: written.digest };
        }
        readBack = written.readBack;
      } else if (hash) {
        const expected = hash.digest('hex');
        const written = await hashFile(context.platform, temp, { signal: context.signal });
        if (written.digest !== expected || written.size !== size) {
          await unlink(temp);
          return { outcome: 'mismatch', hash: HASH_NAME, source: expected, destination: written.digest };
        }
        readBack = 'cache';
      }
      const statMode = Number(before.mode & 0o7777n);
      const mode = context.sourceModes ? context.sourceModes(entry.rel, statMode) : statMode;
      const wanted: Attributes = {
        mode,
        uid: Number(before.uid),
        gid: Number(before.gid),
        atimeNs: before.atimeNs,
        mtimeNs: before.mtimeNs,
        ...(xattrs ? { xattrs: mode === statMode ? xattrs : withAclMode(xattrs, mode) } : {}),
      };
      left |= await applyAttributes(context, temp, wanted);
      await verifyAttributes(context, temp, wanted, 'file');
      await rename(temp, destination);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    const asScanned = size === entry.size && sameTime(before.mtimeNs, entry.mtimeNs, context.timeGranularityNs);
    return { outcome: 'copied', state: asScanned ? 'same' : 'updated', size, ...(readBack ? { readBack } : {}), ...(left ? { leftOut: left } : {}) };
  } finally {
    await input.close();
  }
}

/**
 * Copies the first `size` bytes: only the data ranges are read and written at their offsets, so holes
 * stay holes; the length is then set, which keeps a trailing hole. Holes count as progress and as
 * zeros in the hash. False when the file turned out shorter.
 */
async function copyData(context: IoContext, input: FileHandle, output: FileHandle, size: number, hash: Hash | undefined, onBytes: (bytes: number) => void): Promise<boolean> {
  const buffer = Buffer.allocUnsafe(CHUNK_SIZE);
  let position = 0;
  for (const [start, end] of context.platform.dataRanges(input.fd, size)) {
    if (start > position) {
      if (hash) hashZeros(hash, start - position);
      onBytes(start - position);
      position = start;
    }
    while (position < end) {
      throwIfAborted(context.signal);
      const { bytesRead } = await input.read(buffer, 0, Math.min(CHUNK_SIZE, end - position), position);
      if (bytesRead === 0) return false;
      await context.limiter?.take(bytesRead, context.signal);
      let written = 0;
      while (written < bytesRead) {
        const { bytesWritten } = await output.write(buffer, written, bytesRead - written, position + written);
        written += bytesWritten;
      }
      hash?.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
      onBytes(bytesRead);
    }
  }
  if (size > position) {
    if (hash) hashZeros(hash, size - position);
    onBytes(size - position);
  }
  await output.truncate(size);
  return true;
}
