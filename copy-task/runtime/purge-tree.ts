import { lstat, opendir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PurgeRefusedError, type PurgeJob } from './purge-job.ts';

/** The purge was stopped (SIGTERM) part-way: what was removed stays removed, running it again finishes. */
export class PurgeAbortedError extends Error {
  override readonly name = 'PurgeAbortedError';
}

export interface PurgeOptions {
  readonly signal?: AbortSignal;
  /** Entries removed so far, now and then. */
  readonly onProgress?: (removed: number) => void;
  /** Entries of one folder removed at once (EFS answers each in milliseconds: more at once is faster). @default 16 */
  readonly concurrency?: number;
}

export interface PurgeOutcome {
  /** Files, links and folders removed, the instance folder included. */
  readonly removed: number;
  /** The folder was not there (a purge that ran before, or an instance that never wrote a file). */
  readonly alreadyGone: boolean;
}

const PROGRESS_EVERY = 10_000;

/**
 * Removes the job's instance folder and everything in it, depth first, never following a link (a link is
 * removed, not what it points to). The root must be a folder (the mount); `shares` and the instance folder
 * must be real folders, not links, or nothing is touched (PurgeRefusedError). Idempotent: a folder already
 * gone is success.
 */
export async function purgeInstanceFolder(job: PurgeJob, options: PurgeOptions = {}): Promise<PurgeOutcome> {
  const rootStat = await lstat(job.root).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`the file system root ${job.root} is not there (${err.code ?? err.message}): is it mounted?`, { cause: err });
  });
  if (!rootStat.isDirectory()) throw new Error(`the file system root ${job.root} is not a folder`);
  const shares = join(job.root, 'shares');
  const target = join(job.root, job.folder);
  for (const path of [shares, target]) {
    const found = await lstat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (found === null) return { removed: 0, alreadyGone: true };
    if (!found.isDirectory()) throw new PurgeRefusedError(`${path} is not a folder (a link, or a file): nothing was removed`);
  }
  const state = { removed: 0, reported: 0 };
  await removeFolder(target, state, options);
  return { removed: state.removed, alreadyGone: false };
}

async function removeFolder(folder: string, state: { removed: number; reported: number }, options: PurgeOptions): Promise<void> {
  const concurrency = options.concurrency ?? 16;
  let batch: Promise<void>[] = [];
  const dir = await opendir(folder).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null; // Removed meanwhile: a second task on the same job.
    throw err;
  });
  if (dir === null) return;
  for await (const entry of dir) {
    if (options.signal?.aborted) throw new PurgeAbortedError(`stopped (${String(options.signal.reason)}) after removing ${state.removed} entries`);
    const path = join(folder, entry.name);
    // Dirent types come from the folder listing: a link to a folder is a link, removed as a link.
    batch.push(entry.isDirectory() ? removeFolder(path, state, options) : removeEntry(path, state, options));
    if (batch.length >= concurrency) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  if (options.signal?.aborted) throw new PurgeAbortedError(`stopped (${String(options.signal.reason)}) after removing ${state.removed} entries`);
  await rmdir(folder).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  count(state, options);
}

async function removeEntry(path: string, state: { removed: number; reported: number }, options: PurgeOptions): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  count(state, options);
}

function count(state: { removed: number; reported: number }, options: PurgeOptions): void {
  state.removed += 1;
  if (state.removed - state.reported >= PROGRESS_EVERY) {
    state.reported = state.removed;
    options.onProgress?.(state.removed);
  }
}
