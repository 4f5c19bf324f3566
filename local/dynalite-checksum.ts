import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';

/**
 * dynalite 4 puts a CRC32 of every answer in its `x-amz-crc32` header with buffer-crc32, in JavaScript:
 * about 10 ms per megabyte, a twentieth of a 1,000-share list page's cost (bench/api-lists.ts
 * --profile). Node's zlib.crc32 (Node 22.2+) computes the same checksum (IEEE polynomial, unsigned),
 * natively, ten times faster. dynalite looks `unsigned` up on the module at every answer, so replacing it
 * on the module it loaded is enough.
 */
export function nativeAnswerChecksums(): void {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const bufferCrc32 = fromDynalite('buffer-crc32') as { unsigned: (data: string | Buffer) => number; smigNative?: true };
  if (bufferCrc32.smigNative) return;
  bufferCrc32.unsigned = (data) => crc32(data);
  bufferCrc32.smigNative = true;
}
