import { constants } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { CHUNK_SIZE, type IoContext, type SourceState } from './context.ts';
import { throwIfAborted } from './errors.ts';
import { setOwner } from './metadata.ts';
import { openForReading } from './open-for-reading.ts';
import { resolveUnder, tempSibling } from './paths.ts';
import { codeOf } from './scan.ts';
import { sameMicrosecond, toUtimesSeconds } from './times.ts';
import type { TreeEntry } from './types.ts';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface FileCopyResult {
  readonly state: SourceState;
  readonly bytes: number;
  /** The source's size and mtime the copy was taken from (what verification compares against). */
  readonly size: number;
  readonly mtimeNs: bigint;
}

/**
 * Copies one regular file: data into a temp file in the destination folder, then owner, mode and
 * times, then fsync, then a rename to the final name. The final name never holds a partial file;
 * the temp file is removed on any failure or abort.
 */
export async function copyRegularFile(context: IoContext, entry: TreeEntry, onBytes: (bytes: number) => void): Promise<FileCopyResult> {
  const destination = resolveUnder(context.destinationRoot, entry.rel);
  let input: FileHandle;
  try {
    input = await openForReading(resolveUnder(context.sourceRoot, entry.rel));
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT') return { state: 'vanished', bytes: 0, size: 0, mtimeNs: 0n };
    if (code === 'ELOOP') return { state: 'changed', bytes: 0, size: 0, mtimeNs: 0n }; // now a link
    throw error;
  }
  try {
    const before = await input.stat({ bigint: true });
    if (!before.isFile()) return { state: 'changed', bytes: 0, size: 0, mtimeNs: 0n };
    const temp = tempSibling(destination, randomBytes(6).toString('hex'));
    let bytes: number;
    try {
      const statMode = Number(before.mode & 0o7777n);
      const mode = context.sourceModes ? context.sourceModes(entry.rel, statMode) : statMode;
      bytes = await writeTemp(context, input, before, mode, temp, onBytes);
      await rename(temp, destination);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    const after = await input.stat({ bigint: true });
    const stable = after.size === before.size && after.mtimeNs === before.mtimeNs && BigInt(bytes) === before.size;
    const asScanned = Number(before.size) === entry.size && sameMicrosecond(before.mtimeNs, entry.mtimeNs);
    const state: SourceState = !stable ? 'changed' : asScanned ? 'same' : 'updated';
    return { state, bytes, size: Number(before.size), mtimeNs: before.mtimeNs };
  } finally {
    await input.close();
  }
}

async function writeTemp(context: IoContext, input: FileHandle, source: BigIntStats, mode: number, temp: Buffer, onBytes: (bytes: number) => void): Promise<number> {
  const output = await open(temp, CREATE_FLAGS, 0o600);
  try {
    const bytes = await pump(context, input, output, onBytes);
    const uid = Number(source.uid);
    const gid = Number(source.gid);
    await setOwner(() => output.chown(uid, gid), context.isRoot);
    await output.chmod(mode);
    await output.utimes(toUtimesSeconds(source.atimeNs), toUtimesSeconds(source.mtimeNs));
    await output.sync();
    return bytes;
  } finally {
    await output.close();
  }
}

async function pump(context: IoContext, input: FileHandle, output: FileHandle, onBytes: (bytes: number) => void): Promise<number> {
  const buffer = Buffer.allocUnsafe(CHUNK_SIZE);
  let position = 0;
  for (;;) {
    throwIfAborted(context.signal);
    const { bytesRead } = await input.read(buffer, 0, CHUNK_SIZE, position);
    if (bytesRead === 0) return position;
    await context.limiter?.take(bytesRead, context.signal);
    let written = 0;
    while (written < bytesRead) {
      const { bytesWritten } = await output.write(buffer, written, bytesRead - written, position + written);
      written += bytesWritten;
    }
    position += bytesRead;
    onBytes(bytesRead);
  }
}
