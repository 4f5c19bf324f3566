import { close, closeSync, constants, open as openFd, openSync, type BigIntStats, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * Node's fs for paths of any length. A path given to the kernel may not exceed PATH_MAX (4096 bytes with
 * its NUL), while a tree may be deeper than that (22 folders of 200-byte names), and Node's fs takes only
 * paths. So a path longer than SHORT is reached a part at a time: its folder is opened (O_PATH, never
 * following a link at the end of a part) from the one before, and the call is given
 * `/proc/self/fd/<that folder>/<name>`, which the kernel resolves from the open folder, however deep.
 * Shorter paths go to Node's fs as they are. Errors name the path the caller gave, not the /proc one.
 *
 * Every call of the engine on a path in either tree goes through here or through the Platform
 * (platform.ts), which does the same for the addon's calls. The addon's own walk opens folders beneath
 * each other in C (smig_beneath.c).
 */

/** Paths up to this many bytes are used as they are (PATH_MAX less its NUL, with room to spare). */
export const SHORT = 4000;
/** Linux's O_PATH (the asm-generic value, x86-64 and arm64 alike; Node does not export it). */
const O_PATH = 0o10000000;
const FOLDER = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const SLASH = 0x2f;

/** The parts of an absolute folder path to open one from the other: the first absolute, each short enough with the /proc prefix. */
function partsOf(folder: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let rest = folder;
  // Room for "/proc/self/fd/<descriptor>/" before every part but the first.
  let room = SHORT;
  while (rest.length > room) {
    const cut = rest.lastIndexOf(SLASH, room);
    if (cut <= 0) throw nameTooLong(folder);
    parts.push(rest.subarray(0, cut));
    rest = rest.subarray(cut + 1);
    room = SHORT - 32;
  }
  parts.push(rest);
  return parts;
}

function split(abs: Buffer): { folder: Buffer; name: Buffer } {
  const slash = abs.lastIndexOf(SLASH);
  return { folder: abs.subarray(0, slash), name: abs.subarray(slash + 1) };
}

const viaFd = (fd: number, rest: Buffer) => Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), rest]);

/**
 * Runs `use` with a path that reaches `abs` (absolute): `abs` itself when it is short, else one through
 * its folder, opened a part at a time, and closed once `use` is done.
 */
export async function withPath<T>(abs: Buffer, use: (path: Buffer) => Promise<T>): Promise<T> {
  if (abs.length <= SHORT) return use(abs);
  const { folder, name } = split(abs);
  let fd: number | undefined;
  try {
    for (const part of partsOf(folder)) {
      // Plain descriptors (not FileHandles, which close themselves when collected): closed here.
      const next = await openFolder(fd === undefined ? part : viaFd(fd, part), FOLDER);
      if (fd !== undefined) await closeFolder(fd);
      fd = next;
    }
    const short = viaFd(fd as number, name);
    return await use(short).catch((error: unknown) => Promise.reject(renamed(error, short, abs)));
  } finally {
    if (fd !== undefined) await closeFolder(fd);
  }
}

const openFolder = promisify(openFd) as (path: Buffer, flags: number) => Promise<number>;
const closeFolder = promisify(close);

/** withPath for synchronous calls (the addon's attribute calls). */
export function withPathSync<T>(abs: Buffer, use: (path: Buffer) => T): T {
  if (abs.length <= SHORT) return use(abs);
  const { folder, name } = split(abs);
  let fd: number | undefined;
  try {
    for (const part of partsOf(folder)) {
      const next = openSync(fd === undefined ? part : viaFd(fd, part), FOLDER);
      if (fd !== undefined) closeSync(fd);
      fd = next;
    }
    const short = viaFd(fd as number, name);
    try {
      return use(short);
    } catch (error) {
      throw renamed(error, short, abs);
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** withPath for several paths at once (a rename, a link, the addon's copies). */
export async function withPaths<T>(paths: readonly Buffer[], use: (paths: Buffer[]) => Promise<T>): Promise<T> {
  if (paths.every((path) => path.length <= SHORT)) return use([...paths]);
  const reach = async (index: number, reached: Buffer[]): Promise<T> =>
    index === paths.length ? use(reached) : withPath(paths[index] as Buffer, (path) => reach(index + 1, [...reached, path]));
  return reach(0, []);
}

function nameTooLong(path: Buffer): Error {
  return Object.assign(new Error(`ENAMETOOLONG: name too long, open '${path.toString()}'`), { code: 'ENAMETOOLONG', path: path.toString() });
}

/** The error `use` threw, naming `abs` where it named the /proc path that reached it. */
function renamed(error: unknown, short: Buffer, abs: Buffer): unknown {
  if (!(error instanceof Error)) return error;
  const from = short.toString();
  const to = abs.toString();
  const named = error as Error & { path?: unknown; dest?: unknown };
  if (named.message.includes(from)) named.message = named.message.split(from).join(to);
  if (named.path === from) named.path = to;
  if (named.dest === from) named.dest = to;
  return error;
}

// ---- Node's fs calls the engine makes, for paths of any length ----------------------------------

export function lstat(path: Buffer, options: { bigint: true }): Promise<BigIntStats>;
export function lstat(path: Buffer): Promise<Stats>;
export function lstat(path: Buffer, options?: { bigint: true }): Promise<Stats | BigIntStats> {
  return withPath<Stats | BigIntStats>(path, (reached) => (options ? fs.lstat(reached, options) : fs.lstat(reached)));
}

export function open(path: Buffer, flags: number, mode?: number): Promise<fs.FileHandle> {
  return withPath(path, (reached) => fs.open(reached, flags, mode));
}

export function readdir(path: Buffer): Promise<Buffer[]> {
  return withPath(path, (reached) => fs.readdir(reached, { encoding: 'buffer' }));
}

export function readlink(path: Buffer): Promise<Buffer> {
  return withPath(path, (reached) => fs.readlink(reached, { encoding: 'buffer' }));
}

export function rename(from: Buffer, to: Buffer): Promise<void> {
  return withPaths([from, to], ([a, b]) => fs.rename(a as Buffer, b as Buffer));
}

export function link(existing: Buffer, path: Buffer): Promise<void> {
  return withPaths([existing, path], ([a, b]) => fs.link(a as Buffer, b as Buffer));
}

/** A link at `path` whose target is `target`, exactly those bytes (not a path this opens). */
export function symlink(target: Buffer, path: Buffer): Promise<void> {
  return withPath(path, (reached) => fs.symlink(target, reached));
}

export function unlink(path: Buffer): Promise<void> {
  return withPath(path, (reached) => fs.unlink(reached));
}

export function rmdir(path: Buffer): Promise<void> {
  return withPath(path, (reached) => fs.rmdir(reached));
}

export function mkdir(path: Buffer, mode: number): Promise<void> {
  return withPath(path, async (reached) => void (await fs.mkdir(reached, mode)));
}

export function chmod(path: Buffer, mode: number): Promise<void> {
  return withPath(path, (reached) => fs.chmod(reached, mode));
}

export function lchown(path: Buffer, uid: number, gid: number): Promise<void> {
  return withPath(path, (reached) => fs.lchown(reached, uid, gid));
}

export function lutimes(path: Buffer, atime: number, mtime: number): Promise<void> {
  return withPath(path, (reached) => fs.lutimes(reached, atime, mtime));
}
