/**
 * Snapshots of a local share instance: read-only, point-in-time copies of its data folder, kept inside the
 * instance folder so that they move with it (a driver-assisted migration is one rename).
 *
 * ```
 * <instance folder>/snapshots/<snapshot instance id>/
 *   data/                 the data as it was, every write bit removed
 *   snapshot.json         which snapshot this is, and when it was taken
 *   readonly-modes.json   the original modes of what lost its write bits (read-only.ts), for copies of it
 * ```
 *
 * A snapshot is built aside (`snapshots/.creating-<id>`) and renamed into place, so one either exists whole
 * or not at all. File data is cloned with reflinks where the file system allows (`cp --reflink=auto`:
 * COPYFILE_FICLONE falls back to a plain copy), so a snapshot on btrfs or XFS costs no space until the
 * share changes. Modes, times (folders and links too), hard links within the tree, and owners (as root) are
 * kept; extended attributes are not.
 */
import { constants, type BigIntStats } from 'node:fs';
import { copyFile, mkdir, rename } from 'node:fs/promises';
// The data tree may be deeper than PATH_MAX: every path in it is reached a part at a time (long-paths.ts).
import * as deep from '../../../copy-task/engine/long-paths.ts';
import { createPlatform } from '../../../copy-task/engine/platform.ts';
import path from 'node:path';
import { exists, isErrno, readJson, removeTree, writeJsonAtomic } from './fs-util.ts';
import { effectiveMode, makeReadOnly, readOriginalModes, type OriginalModes } from './read-only.ts';

/** Names inside an instance folder and a snapshot folder. */
export const LocalSnapshotFiles = {
  /** The instance folder's subfolder of snapshots. */
  SNAPSHOTS: 'snapshots',
  DATA: 'data',
  SNAPSHOT: 'snapshot.json',
  ORIGINAL_MODES: 'readonly-modes.json',
} as const;

/** `snapshot.json`. */
export interface LocalSnapshotRecord {
  readonly version: 1;
  readonly snapshot_instance_id: string;
  readonly taken_at: string;
}

/** Where a snapshot lives, relative to its instance folder: its provider location. */
export function snapshotLocation(snapshotId: string): string {
  return `${LocalSnapshotFiles.SNAPSHOTS}/${snapshotId}`;
}

export function snapshotDir(instanceDir: string, snapshotId: string): string {
  return path.join(instanceDir, LocalSnapshotFiles.SNAPSHOTS, snapshotId);
}

/**
 * Takes the snapshot `snapshotId` of `instanceDir`'s data. `instanceModesFile` is the instance's record of
 * original modes (present only while it is read-only): the snapshot keeps the real modes, not stripped ones.
 * Idempotent: an existing snapshot is left as it is.
 */
export async function takeSnapshot(instanceDir: string, dataDir: string, instanceModesFile: string, snapshotId: string): Promise<void> {
  const target = snapshotDir(instanceDir, snapshotId);
  if (await exists(target)) return;
  const parent = path.dirname(target);
  const staging = path.join(parent, `.creating-${snapshotId}`);
  await mkdir(parent, { recursive: true });
  await removeTree(staging);
  await mkdir(staging);
  const data = path.join(staging, LocalSnapshotFiles.DATA);
  await cloneTree(dataDir, data, await readOriginalModes(instanceModesFile));
  const record: LocalSnapshotRecord = { version: 1, snapshot_instance_id: snapshotId, taken_at: new Date().toISOString() };
  await writeJsonAtomic(path.join(staging, LocalSnapshotFiles.SNAPSHOT), record);
  await makeReadOnly(data, path.join(staging, LocalSnapshotFiles.ORIGINAL_MODES));
  try {
    await rename(staging, target);
  } catch (err) {
    // Another call took it meanwhile: theirs stands.
    if (!isErrno(err, 'ENOTEMPTY', 'EEXIST')) throw err;
    await removeTree(staging);
  }
}

/**
 * Fills `destination` (which must not exist) with the data of the snapshot at `snapshotFolder`, as a new
 * share's data (Manila's create_share_from_snapshot): the snapshot's tree cloned (reflinks where the file
 * system allows) with the modes it had when it was taken, not the read-only ones it is kept with, and its
 * times, hard links and (as root) owners.
 */
export async function cloneSnapshotData(snapshotFolder: string, destination: string): Promise<void> {
  const originals = await readOriginalModes(path.join(snapshotFolder, LocalSnapshotFiles.ORIGINAL_MODES));
  await cloneTree(path.join(snapshotFolder, LocalSnapshotFiles.DATA), destination, originals);
}

/** Removes a snapshot: renamed out of sight first, so a half-removed one is never seen. Idempotent. */
export async function removeSnapshot(instanceDir: string, snapshotId: string): Promise<void> {
  const target = snapshotDir(instanceDir, snapshotId);
  const trash = path.join(path.dirname(target), `.deleting-${snapshotId}`);
  await removeTree(trash);
  try {
    await rename(target, trash);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  await removeTree(trash);
}

/** The snapshot's record, or null when there is no such snapshot. */
export async function readSnapshot(instanceDir: string, snapshotId: string): Promise<LocalSnapshotRecord | null> {
  return ((await readJson(path.join(snapshotDir(instanceDir, snapshotId), LocalSnapshotFiles.SNAPSHOT))) as LocalSnapshotRecord | undefined) ?? null;
}

const SLASH = Buffer.from('/');
const S_IFMT = 0o170000n;

/**
 * Copies the tree at `source` to `destination` (which must not exist): folders, regular files (reflinked
 * where possible), symbolic links as links, hard links as hard links, FIFOs, sockets and (as root)
 * device nodes made again; with modes (the `originals` where
 * recorded), times and, as root, owners. Folders get their modes and times last, deepest first, so
 * writing into them neither fails nor moves their mtime.
 */
export async function cloneTree(source: string, destination: string, originals: OriginalModes = new Map()): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const platform = createPlatform();
  const linked = new Map<string, Buffer>();
  const visit = async (rel: Buffer): Promise<void> => {
    const from = join(source, rel);
    const to = join(destination, rel);
    const stats = await deep.lstat(from, { bigint: true });
    const mode = effectiveMode(rel, Number(stats.mode & 0o7777n), originals);
    if (stats.isDirectory()) {
      await deep.mkdir(to, 0o700);
      for (const name of await deep.readdir(from)) {
        await visit(rel.length === 0 ? name : Buffer.concat([rel, SLASH, name]));
      }
      await finish(to, stats, mode, asRoot);
    } else if (stats.isFile()) {
      const inode = `${stats.dev}:${stats.ino}`;
      const first = stats.nlink > 1n ? linked.get(inode) : undefined;
      if (first) {
        await deep.link(first, to);
        return;
      }
      await deep.withPaths([from, to], ([a, b]) => copyFile(a as Buffer, b as Buffer, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE));
      await finish(to, stats, mode, asRoot);
      if (stats.nlink > 1n) linked.set(inode, to);
    } else if (stats.isSymbolicLink()) {
      await deep.symlink(await deep.readlink(from), to);
      if (asRoot) await deep.lchown(to, Number(stats.uid), Number(stats.gid));
      await deep.lutimes(to, seconds(stats.atimeNs), seconds(stats.mtimeNs));
    } else {
      // FIFOs, sockets and device nodes are made again (mknod), as the copy task makes them on a
      // destination: a share holding one can be snapshotted. Nothing is read from or written to them.
      const format = Number(stats.mode & S_IFMT);
      const refused = platform.cannotMakeSpecial(format, asRoot);
      if (refused) throw new Error(`cannot snapshot ${from.toString()}: ${refused}`);
      platform.mknod(to, format, 0o600, stats.rdev);
      await finish(to, stats, mode, asRoot);
    }
  };
  await visit(Buffer.alloc(0));
}

/** Never a link here, so lutimes sets the entry's own times, as utimes would. */
async function finish(target: Buffer, stats: BigIntStats, mode: number, asRoot: boolean): Promise<void> {
  if (asRoot) await deep.lchown(target, Number(stats.uid), Number(stats.gid));
  await deep.chmod(target, mode);
  await deep.lutimes(target, seconds(stats.atimeNs), seconds(stats.mtimeNs));
}

function join(root: string, rel: Buffer): Buffer {
  return rel.length === 0 ? Buffer.from(root) : Buffer.concat([Buffer.from(root), SLASH, rel]);
}

/**
 * Nanoseconds as the seconds utimes takes, landing on the same microsecond (libuv keeps microseconds and
 * truncates; the half-microsecond keeps floating-point error from rounding one down), as the copy task does.
 */
function seconds(ns: bigint): number {
  const whole = ns >= 0n || ns % 1_000_000_000n === 0n ? ns / 1_000_000_000n : ns / 1_000_000_000n - 1n;
  const micros = (ns - whole * 1_000_000_000n) / 1000n;
  return Number(whole) + (Number(micros) + 0.5) / 1e6;
}
