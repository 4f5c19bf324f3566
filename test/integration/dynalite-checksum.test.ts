import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { nativeAnswerChecksums } from '../../local/dynalite-checksum.ts';

describe('Function: nativeAnswerChecksums', () => {
  it("gives dynalite's buffer-crc32 the same checksums, from zlib", () => {
    // Prepare: buffer-crc32 as dynalite loads it, and its answers before
    const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
    const bufferCrc32 = fromDynalite('buffer-crc32') as { unsigned: (data: string | Buffer) => number; signed: (data: string | Buffer) => number };
    const samples: (string | Buffer)[] = ['', '{}', '{"Items":[{"name":{"S":"été ☃ 😀"}}]}', 'x'.repeat(100_000), Buffer.from([0, 1, 2, 255, 254])];
    // buffer-crc32's own JavaScript checksum, which `signed` keeps computing.
    const before = samples.map((sample) => bufferCrc32.signed(sample) >>> 0);

    // Act
    nativeAnswerChecksums();

    // Assess
    expect(samples.map((sample) => bufferCrc32.unsigned(sample))).toEqual(before);
  });
});
