import { lstat, readdir, readlink } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { runQueue } from './pool.ts';
import { childOf, display, resolveUnder } from './paths.ts';
import type { CopyFailure, EntryKind, TreeEntry, Xattrs } from './types.ts';
import { withAclMode } from './xattrs.ts';

export interface ScanResult {
  /** Sorted by path bytes, so a folder comes before everything in it. */
  readonly entries: TreeEntry[];
  /** Folders that could not be listed, links or attributes that could not be read. */
  readonly failures: CopyFailure[];
}

export interface ScanOptions {
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  /** Called for every entry found (progress). */
  readonly onEntry?: (entry: TreeEntry) => void;
  /** The mode to record for an entry, given what lstat saw (CopyOptions.sourceModes). */
  readonly modeOf?: (rel: Buffer, statMode: number) => number;
  /** Reads an entry's extended attributes (Platform.readXattrs); none are recorded without it. */
  readonly readXattrs?: (abs: Buffer) => Xattrs | undefined;
}

/** Walks a tree without following symbolic links (the root itself must be a real folder). */
export async function scanTree(root: Buffer, options: ScanOptions): Promise<ScanResult> {
  const entries: TreeEntry[] = [];
  const failures: CopyFailure[] = [];
  const read = async (rel: Buffer, abs: Buffer): Promise<TreeEntry> => {
    const stats = await lstat(abs, { bigint: true });
    const entry = toEntry(rel, stats);
    const mode = options.modeOf && entry.kind !== 'symlink' ? options.modeOf(rel, entry.mode) : entry.mode;
    const xattrs = options.readXattrs?.(abs);
    const target = entry.kind === 'symlink' ? await readlink(abs, { encoding: 'buffer' }) : undefined;
    return {
      ...entry,
      ...(mode !== entry.mode ? { mode } : {}),
      ...(xattrs ? { xattrs: mode !== entry.mode ? withAclMode(xattrs, mode) : xattrs } : {}),
      ...(target ? { target } : {}),
    };
  };
  const rootEntry = await read(Buffer.alloc(0), root);
  entries.push(rootEntry);
  options.onEntry?.(rootEntry);

  await runQueue([rootEntry.rel], options.concurrency, options.signal, async (dir, push) => {
    let names: Buffer[];
    try {
      names = await readdir(resolveUnder(root, dir), { encoding: 'buffer' });
    } catch (error) {
      failures.push(failureOf(dir, error, 'cannot list folder'));
      return;
    }
    for (const name of names) {
      const rel = childOf(dir, name);
      try {
        const entry = await read(rel, resolveUnder(root, rel));
        entries.push(entry);
        options.onEntry?.(entry);
        if (entry.kind === 'dir') push(rel);
      } catch (error) {
        if (codeOf(error) === 'ENOENT') continue; // removed since it was listed: it is not there to copy
        failures.push(failureOf(rel, error, 'cannot read'));
      }
    }
  });

  entries.sort((a, b) => Buffer.compare(a.rel, b.rel));
  return { entries, failures };
}

const S_IFMT = 0o170000n;

export function toEntry(rel: Buffer, stats: BigIntStats): TreeEntry {
  const [kind, typeName] = kindOf(stats);
  return {
    rel,
    kind,
    typeName,
    size: Number(stats.size),
    mode: Number(stats.mode & 0o7777n),
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    atimeNs: stats.atimeNs,
    mtimeNs: stats.mtimeNs,
    ctimeNs: stats.ctimeNs,
    ...(kind === 'file' && stats.nlink > 1n ? { linkKey: linkKeyOf(stats) } : {}),
    ...(kind === 'special' ? { format: Number(stats.mode & S_IFMT), rdev: stats.rdev } : {}),
  };
}

/** Identifies a file with several names: the same key on two paths means one file. */
export function linkKeyOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}`;
}

function kindOf(stats: BigIntStats): [EntryKind, string] {
  if (stats.isFile()) return ['file', 'file'];
  if (stats.isDirectory()) return ['dir', 'folder'];
  if (stats.isSymbolicLink()) return ['symlink', 'symbolic link'];
  if (stats.isFIFO()) return ['special', 'fifo'];
  if (stats.isBlockDevice()) return ['special', 'block device'];
  if (stats.isCharacterDevice()) return ['special', 'character device'];
  if (stats.isSocket()) return ['unsupported', 'socket'];
  return ['unsupported', 'unknown file type'];
}

export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function failureOf(rel: Buffer, error: unknown, what: string): CopyFailure {
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  return code ? { path: display(rel), reason: `${what}: ${message}`, code } : { path: display(rel), reason: `${what}: ${message}` };
}
