/**
 * The survey: a depth-first walk of the source in the partition order (each folder's names sorted by
 * their bytes, a folder before its contents), yielding every entry below the root with its weight.
 *
 * Memory: one listing per folder on the current path (its sorted children, read in place), plus the
 * listings of up to `lookahead` subfolders listed ahead of the walk per folder on that path (so the
 * file system answers several folders at once: on NFS each lstat waits on the server). Nothing of a
 * folder is kept once the walk has left it, so a tree of 100 M entries costs what its deepest path of
 * folders costs, not its size.
 *
 * The source is writable while it is surveyed: an entry gone between its folder's listing and its
 * lstat is left out, a folder gone (or replaced by a link or a file) before the walk lists it counts
 * as one entry with nothing below it. Neither fails the survey; only the root must be there.
 */
import { throwIfAborted } from '../engine/errors.ts';
import { childOf, resolveUnder } from '../engine/paths.ts';
import { createPlatform } from '../engine/platform.ts';
import { PartitionSurveyError } from './errors.ts';
import { isMoved, nativeLister, portableLister, type FolderChildren, type ListChildren } from './folder-listing.ts';
import type { SurveyedEntry } from './types.ts';

export interface SurveyOptions {
  /** Subfolders listed ahead of the walk, per folder on its path. @default 8 */
  readonly lookahead?: number;
  /** How folders are listed. @default the addon's scanDir when it is loaded, else Node's fs */
  readonly list?: ListChildren;
  readonly signal?: AbortSignal;
}

/** A folder being walked: its children, the next one to visit, the subfolders listed ahead. */
interface Frame {
  readonly rel: Buffer;
  readonly children: FolderChildren;
  next: number;
  /** Next child to consider for listing ahead. */
  ahead: number;
  readonly pending: Map<number, Promise<FolderChildren | undefined>>;
}

const EMPTY: FolderChildren = { count: 0, name: () => Buffer.alloc(0), isFolder: () => false, bytes: () => 0 };

/** The lister the survey uses by default: the addon's when it is loaded (with a thread per listing ahead). */
export function defaultLister(lookahead: number): ListChildren {
  const platform = createPlatform();
  if (!platform.fast) return portableLister();
  platform.folders?.setWorkers(Math.max(1, Math.min(lookahead, 64)));
  return nativeLister(platform.fast);
}

export async function* surveyTree(sourceRoot: string, options: SurveyOptions = {}): AsyncGenerator<SurveyedEntry> {
  const lookahead = options.lookahead ?? 8;
  const list = options.list ?? defaultLister(lookahead);
  const root = Buffer.from(sourceRoot);
  let rootChildren: FolderChildren;
  try {
    rootChildren = await list(root);
  } catch (error) {
    throw new PartitionSurveyError(sourceRoot, error);
  }
  // A folder below the root that cannot be listed for another reason (EACCES) weighs one entry with
  // nothing below it: the plan is an estimate, and the copy reports every entry it cannot read.
  const listBelow = (rel: Buffer): Promise<FolderChildren | undefined> =>
    list(resolveUnder(root, rel)).catch((error: unknown) => (isMoved(error) ? undefined : EMPTY));
  const frameOf = (rel: Buffer, children: FolderChildren): Frame => {
    const frame: Frame = { rel, children, next: 0, ahead: 0, pending: new Map() };
    listAhead(frame);
    return frame;
  };
  const listAhead = (frame: Frame) => {
    while (frame.pending.size < lookahead && frame.ahead < frame.children.count) {
      const index = frame.ahead++;
      if (frame.children.isFolder(index)) frame.pending.set(index, listBelow(childOf(frame.rel, frame.children.name(index))));
    }
  };
  const stack: Frame[] = [frameOf(Buffer.alloc(0), rootChildren)];
  try {
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      if (frame.next === frame.children.count) {
        stack.pop();
        continue;
      }
      const index = frame.next++;
      const path = childOf(frame.rel, frame.children.name(index));
      yield { path, bytes: frame.children.bytes(index) };
      if (!frame.children.isFolder(index)) continue;
      throwIfAborted(options.signal);
      const listed = frame.pending.get(index) ?? listBelow(path);
      frame.pending.delete(index);
      listAhead(frame);
      const children = await listed;
      if (children && children.count > 0) stack.push(frameOf(path, children));
    }
  } finally {
    // Stopped early (an error, or the caller left the loop): what was listed ahead is dropped unread.
    for (const frame of stack) frame.pending.clear();
  }
}
