import { createHash } from 'node:crypto';
import type { BandwidthLimiter } from './bandwidth.ts';
import { CHUNK_SIZE } from './context.ts';
import { throwIfAborted } from './errors.ts';
import { openForReading } from './open-for-reading.ts';

export interface ChecksumOptions {
  readonly signal?: AbortSignal;
  readonly limiter?: BandwidthLimiter;
  readonly onBytes?: (bytes: number) => void;
}

/** sha256 of a regular file's content (hex), never following a link, leaving its atime alone. */
export async function sha256File(abs: Buffer, options: ChecksumOptions = {}): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_SIZE);
  const file = await openForReading(abs);
  try {
    let size = 0;
    for (;;) {
      throwIfAborted(options.signal);
      const { bytesRead } = await file.read(buffer, 0, CHUNK_SIZE, size);
      if (bytesRead === 0) return { digest: hash.digest('hex'), size };
      await options.limiter?.take(bytesRead, options.signal);
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
      options.onBytes?.(bytesRead);
    }
  } finally {
    await file.close();
  }
}
