import type { Hash } from 'node:crypto';
import type { BandwidthLimiter } from './bandwidth.ts';
import { CHUNK_SIZE } from './context.ts';
import { throwIfAborted } from './errors.ts';
import { openForReading } from './open-for-reading.ts';
import type { Platform } from './platform.ts';

/** The content hash of Node's fs path: sha256 of a file's bytes, holes read as the zeros they are. */
export const HASH_NAME = 'sha256';

/**
 * The addon's content hash: XXH3-128, about ten times sha256's speed here (measured by `npm run
 * bench`'s verification rows); not for adversaries, for catching bad copies.
 */
export const FAST_HASH_NAME = 'xxh3-128';

export function newHash(): Hash {
  // Loaded when first needed (Node's fs path only): the CLI starts without it.
  return process.getBuiltinModule('node:crypto').createHash(HASH_NAME);
}

const ZEROS = Buffer.alloc(CHUNK_SIZE);

/** Adds `length` zero bytes (a hole) to a hash. */
export function hashZeros(hash: Hash, length: number): void {
  for (let left = length; left > 0; left -= CHUNK_SIZE) hash.update(ZEROS.subarray(0, Math.min(left, CHUNK_SIZE)));
}

export interface ChecksumOptions {
  readonly signal?: AbortSignal;
  readonly limiter?: BandwidthLimiter;
  readonly onBytes?: (bytes: number) => void;
}

/**
 * Hash of a regular file's content (hex), never following a link, leaving its atime alone. Only its
 * data ranges are read; holes are hashed as zeros without reading them.
 */
/** A file's content hash with the fastest means at hand (the same means on both sides of a comparison). */
export async function contentDigest(platform: Platform, abs: Buffer, options: ChecksumOptions = {}): Promise<{ digest: string; size: number }> {
  if (!platform.fast || options.limiter) return hashFile(platform, abs, options);
  throwIfAborted(options.signal);
  const result = await platform.fast.hashFile(abs);
  options.onBytes?.(result.size);
  return result;
}

export async function hashFile(platform: Platform, abs: Buffer, options: ChecksumOptions = {}): Promise<{ digest: string; size: number }> {
  const hash = newHash();
  const buffer = Buffer.allocUnsafe(CHUNK_SIZE);
  const file = await openForReading(abs);
  try {
    const size = Number((await file.stat()).size);
    let position = 0;
    for (const [start, end] of platform.dataRanges(file.fd, size)) {
      hashZeros(hash, start - position);
      position = start;
      while (position < end) {
        throwIfAborted(options.signal);
        const { bytesRead } = await file.read(buffer, 0, Math.min(CHUNK_SIZE, end - position), position);
        if (bytesRead === 0) return { digest: hash.digest('hex'), size: position }; // shrank meanwhile
        await options.limiter?.take(bytesRead, options.signal);
        hash.update(buffer.subarray(0, bytesRead));
        position += bytesRead;
        options.onBytes?.(bytesRead);
      }
    }
    hashZeros(hash, size - position);
    return { digest: hash.digest('hex'), size };
  } finally {
    await file.close();
  }
}
