import { lstat, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute } from 'node:path';
import { CopyFailedError } from './errors.ts';
import { fromString, isSameOrInside } from './paths.ts';
import { codeOf } from './scan.ts';

export interface Roots {
  readonly sourceRoot: Buffer;
  readonly destinationRoot: Buffer;
}

/**
 * Resolves both roots (a root given as a link is followed; nothing below a root ever is). The
 * destination root is created if missing, but not its parents. The two must not overlap; that is
 * checked before anything is created.
 */
export async function prepareRoots(source: string, destination: string): Promise<Roots> {
  if (!isAbsolute(source)) throw rootFailure(source, 'source must be an absolute path');
  if (!isAbsolute(destination)) throw rootFailure(destination, 'destination must be an absolute path');
  const sourceRoot = await attempt(source, 'cannot use source', () => realpath(fromString(source), { encoding: 'buffer' }));
  await requireFolder(source, sourceRoot, 'source');

  let destinationRoot = await attempt(destination, 'cannot use destination', () => resolveIfExists(destination));
  const exists = destinationRoot !== undefined;
  destinationRoot ??= await attempt(destination, 'cannot create destination', async () => {
    const parent = await realpath(fromString(dirname(destination)), { encoding: 'buffer' });
    return Buffer.concat([parent, Buffer.from('/'), fromString(basename(destination))]);
  });
  if (isSameOrInside(destinationRoot, sourceRoot) || isSameOrInside(sourceRoot, destinationRoot)) {
    throw rootFailure(destination, `source and destination overlap (${sourceRoot.toString()} and ${destinationRoot.toString()})`);
  }
  if (!exists) {
    const planned = destinationRoot;
    // Partitions of one pass start at once: another may have just made it (requireFolder checks it is a folder).
    await attempt(destination, 'cannot create destination', () => mkdir(planned, 0o700).catch((error: unknown) => (codeOf(error) === 'EEXIST' ? undefined : Promise.reject(error))));
  }
  await requireFolder(destination, destinationRoot, 'destination');
  return { sourceRoot, destinationRoot };
}

async function resolveIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await realpath(fromString(path), { encoding: 'buffer' });
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}

async function requireFolder(given: string, resolved: Buffer, role: string): Promise<void> {
  const stats = await attempt(given, `cannot use ${role}`, () => lstat(resolved));
  if (!stats.isDirectory()) throw rootFailure(given, `${role} is not a folder`);
}

async function attempt<T>(path: string, reason: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw rootFailure(path, reason, error);
  }
}

function rootFailure(path: string, reason: string, error?: unknown): CopyFailedError {
  const code = codeOf(error);
  const text = error instanceof Error ? `${reason}: ${error.message}` : reason;
  return new CopyFailedError([code ? { path, reason: text, code } : { path, reason: text }], undefined, { cause: error });
}
