import { lstat, unlink } from 'node:fs/promises';
import { sha256File } from './checksum.ts';
import type { IoContext } from './context.ts';
import { resolveUnder } from './paths.ts';
import { codeOf } from './scan.ts';
import { sameMicrosecond } from './times.ts';
import type { TreeEntry } from './types.ts';

/** A file this run copied, and the source version it copied. */
export interface CopiedFile {
  readonly entry: TreeEntry;
  readonly size: number;
  readonly mtimeNs: bigint;
}

export type VerifyResult =
  | { readonly outcome: 'match' | 'changed' | 'vanished' }
  | { readonly outcome: 'mismatch'; readonly source: string; readonly destination: string };

/**
 * Reads the source and the destination back and compares their sha256. A difference while the
 * source still has the version that was copied is a bad copy: the destination file is removed, so
 * no later incremental pass can take it for up to date. A difference because the source changed
 * since is `changed` (the destination keeps the older mtime, and the next pass copies it again).
 */
export async function verifyFile(context: IoContext, copied: CopiedFile, onBytes: (bytes: number) => void): Promise<VerifyResult> {
  const source = resolveUnder(context.sourceRoot, copied.entry.rel);
  const destination = resolveUnder(context.destinationRoot, copied.entry.rel);
  const [read, written] = await Promise.allSettled([
    sha256File(source, { signal: context.signal, limiter: context.limiter }),
    sha256File(destination, { signal: context.signal, onBytes }),
  ]);
  if (read.status === 'rejected') {
    if (codeOf(read.reason) === 'ENOENT' || codeOf(read.reason) === 'ELOOP') return { outcome: 'vanished' };
    throw read.reason;
  }
  if (written.status === 'rejected') throw written.reason;
  if (read.value.digest === written.value.digest) return { outcome: 'match' };

  const now = await lstat(source, { bigint: true });
  if (Number(now.size) !== copied.size || !sameMicrosecond(now.mtimeNs, copied.mtimeNs)) return { outcome: 'changed' };
  await unlink(destination);
  return { outcome: 'mismatch', source: read.value.digest, destination: written.value.digest };
}
