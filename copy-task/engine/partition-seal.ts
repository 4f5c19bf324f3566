/**
 * The two small steps around a partitioned pass (partition-range.ts), for the folders no partition owns:
 * the boundary folders of the plan (the root and every proper ancestor of a cut).
 *
 * - prepareBoundaries, before the partitions run: each boundary folder the source has is made a folder
 *   on the destination (top down), so that concurrent partitions do not race to make it (they tolerate
 *   the race anyway: a partition makes a missing boundary folder itself, EEXIST being fine).
 * - sealPartitions, once every partition of the pass ran: deepest first, a boundary folder the source has
 *   gets the source's attributes (owner, xattrs, mode, times, as the engine gives a folder's: metadata.ts)
 *   and they are read back; one the source lacks is removed from the destination when empty (mirror mode;
 *   the partitions removed what they owned below it).
 *
 * Neither ever follows a link on the destination: each boundary folder is checked with lstat, parents
 * first, before anything is made in it.
 */
import { lstat, mkdir, rmdir } from './long-paths.ts';
import { CopyFailedError } from './errors.ts';
import type { IoContext } from './context.ts';
import { LeftOutMetadata, probeRefusedKinds } from './left-out-metadata.ts';
import { applyAttributes, isRunningAsRoot, verifyAttributes } from './metadata.ts';
import { boundaryFolders, isProperAncestor } from './partition-range.ts';
import { display, keyOf, parentOf, resolveUnder } from './paths.ts';
import { createPlatform, type Platform } from './platform.ts';
import { removeTree } from './remove.ts';
import { prepareRoots } from './roots.ts';
import { codeOf, failureOf, mapMode, readEntry } from './scan.ts';
import { SourceModes } from './source-modes.ts';
import { probeTimeGranularity } from './time-granularity.ts';
import type { CopyFailure, CopyMode, TreeEntry } from './types.ts';

export interface SealOptions {
  /** As CopyOptions.mode: in `mirror`, a boundary folder the source lacks goes when empty. @default 'mirror' */
  readonly mode?: CopyMode;
  /** As CopyOptions.preserveMetadata (what the destination refuses is left out when false). @default true */
  readonly preserveMetadata?: boolean;
  /** As CopyOptions.sourceModes. @default none */
  readonly sourceModes?: ReadonlyMap<string, number>;
  /** Read back what was set. @default true */
  readonly verify?: boolean;
}

export interface SealSummary {
  /** Boundary folders given their source's attributes. */
  readonly sealed: number;
  /** Boundary folders the source lacks, removed from the destination (empty). */
  readonly removed: number;
  /** Boundary folders the source lacks, left because something is still in them (merge mode, or another's entries). */
  readonly kept: number;
}

export interface PrepareSummary {
  /** Boundary folders made on the destination. */
  readonly made: number;
  /** Entries of another type that stood where the source has a boundary folder, removed. */
  readonly replaced: number;
}

/**
 * Before a partitioned pass: every boundary folder of `cuts` that the source has as a folder is made a
 * folder on the destination (mode 0700 until the seal gives it its own), parents first; a non-folder in
 * the way is removed (the whole tree's pass would replace it too).
 */
export async function prepareBoundaries(source: string, destination: string, cuts: readonly Buffer[]): Promise<PrepareSummary> {
  const roots = await prepareRoots(source, destination);
  const isRoot = isRunningAsRoot();
  const failures: CopyFailure[] = [];
  let made = 0;
  let replaced = 0;
  const skipped: Buffer[] = [];
  for (const folder of boundaryFolders(cuts)) {
    if (folder.length === 0 || skipped.some((above) => isProperAncestor(above, folder))) continue;
    try {
      if ((await kindAt(resolveUnder(roots.sourceRoot, folder))) !== 'dir') {
        skipped.push(folder); // nothing of the source lies below it
        continue;
      }
      const abs = resolveUnder(roots.destinationRoot, folder);
      const there = await kindAt(abs);
      if (there === 'dir') continue;
      if (there !== undefined) {
        await removeTree(abs, { isRoot });
        replaced += 1;
      }
      try {
        await mkdir(abs, 0o700);
        made += 1;
      } catch (error) {
        if (codeOf(error) !== 'EEXIST' || (await kindAt(abs)) !== 'dir') throw error;
      }
    } catch (error) {
      failures.push(failureOf(folder, error, 'cannot make boundary folder'));
      skipped.push(folder);
    }
  }
  if (failures.length > 0) throw new CopyFailedError(failures);
  return { made, replaced };
}

/**
 * After every partition of a pass ran: the boundary folders of `cuts`, deepest first, given their
 * source's attributes (and read back), or removed when the source lacks them and they are empty (mirror).
 * Rejects with CopyFailedError listing every folder it could not seal.
 */
export async function sealPartitions(source: string, destination: string, cuts: readonly Buffer[], options: SealOptions = {}): Promise<SealSummary> {
  const roots = await prepareRoots(source, destination);
  const platform = createPlatform();
  const preserveMetadata = options.preserveMetadata ?? true;
  const context: IoContext = {
    ...roots,
    isRoot: isRunningAsRoot(),
    platform,
    verify: options.verify ?? true,
    verifyFrom: 'cache',
    // Probed as a pass probes it (a temp file in the root, whose attributes are set last).
    timeGranularityNs: await probeTimeGranularity(platform, roots.destinationRoot),
    leftOut: new LeftOutMetadata(preserveMetadata ? 0 : await probeRefusedKinds(platform, roots.destinationRoot)),
  };
  const modeOf = options.sourceModes && options.sourceModes.size > 0 ? new SourceModes(options.sourceModes).modeOf : undefined;
  const failures: CopyFailure[] = [];
  let sealed = 0;
  let removed = 0;
  let kept = 0;
  // Parents first, what each side has (a folder below a link or a file is not reached: no link is followed)...
  const folders = boundaryFolders(cuts);
  const sides = new Map<string, { wanted: TreeEntry | undefined; there: 'dir' | 'other' | undefined }>();
  for (const folder of folders) {
    const parent = folder.length === 0 ? undefined : sides.get(keyOf(parentOf(folder)));
    const abs = resolveUnder(roots.destinationRoot, folder);
    try {
      const wanted = parent && !parent.wanted ? undefined : await sourceFolder(platform, roots.sourceRoot, folder, context.leftOut?.kinds ?? 0, modeOf);
      const there = parent && parent.there !== 'dir' ? undefined : await kindAt(abs);
      sides.set(keyOf(folder), { wanted, there });
    } catch (error) {
      failures.push(failureOf(folder, error, 'cannot seal boundary folder'));
      sides.set(keyOf(folder), { wanted: undefined, there: undefined });
    }
  }
  // ... then deepest first, each set (its attributes after everything below it) or removed.
  for (const folder of folders.reverse()) {
    const abs = resolveUnder(roots.destinationRoot, folder);
    const { wanted, there } = sides.get(keyOf(folder)) ?? { wanted: undefined, there: undefined };
    try {
      if (wanted) {
        if (there !== 'dir') throw new Error(`the destination has ${there === undefined ? 'nothing' : 'no folder'} there: run the partitions again`);
        await applyAttributes(context, abs, wanted);
        await verifyAttributes(context, abs, wanted, 'dir');
        sealed += 1;
      } else if (there === 'dir' && folder.length > 0 && (options.mode ?? 'mirror') === 'mirror') {
        if (await removeIfEmpty(abs)) removed += 1;
        else kept += 1;
      }
    } catch (error) {
      failures.push(error instanceof Error && !('code' in error) ? { path: display(folder), reason: `cannot seal boundary folder: ${error.message}` } : failureOf(folder, error, 'cannot seal boundary folder'));
    }
  }
  if (failures.length > 0) throw new CopyFailedError(failures);
  return { sealed, removed, kept };
}

/** The source's folder at `rel` with its attributes (and the mode the destination must get), if the source has one. */
async function sourceFolder(platform: Platform, sourceRoot: Buffer, rel: Buffer, leaveOut: number, modeOf?: (rel: Buffer, mode: number) => number): Promise<TreeEntry | undefined> {
  let entry: TreeEntry;
  try {
    entry = await readEntry(sourceRoot, rel, { readXattrs: (abs) => platform.readXattrs(abs), leaveOut });
  } catch (error) {
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return undefined;
    throw error;
  }
  if (entry.kind !== 'dir') return undefined;
  return modeOf ? mapMode(entry, { modeOf }) : entry;
}

async function removeIfEmpty(abs: Buffer): Promise<boolean> {
  try {
    await rmdir(abs);
    return true;
  } catch (error) {
    if (codeOf(error) === 'ENOTEMPTY' || codeOf(error) === 'EEXIST') return false;
    throw error;
  }
}

async function kindAt(abs: Buffer): Promise<'dir' | 'other' | undefined> {
  try {
    return (await lstat(abs)).isDirectory() ? 'dir' : 'other';
  } catch (error) {
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}
