import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from './long-paths.ts';
import { codeOf } from './scan.ts';

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const NO_ATIME = constants.O_NOATIME ?? 0;

/**
 * Opens a file for reading without following a link, without blocking on a FIFO, and, where allowed
 * (root, or the file's owner), without updating its access time: reading the source must not change
 * it, and reading a copy back must not undo the atime just copied.
 */
export async function openForReading(abs: Buffer): Promise<FileHandle> {
  if (NO_ATIME === 0) return open(abs, READ_FLAGS);
  try {
    return await open(abs, READ_FLAGS | NO_ATIME);
  } catch (error) {
    if (codeOf(error) === 'EPERM') return open(abs, READ_FLAGS);
    throw error;
  }
}
