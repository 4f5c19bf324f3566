/**
 * A skewed tree on disk, for the planner's tests and benchmark: one huge folder beside many small
 * ones, and a few large files. Files are given their size with ftruncate, so they take no disk
 * (sparse): the planner weighs sizes (see folder-listing.ts). Deterministic for a seed.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from './synthetic.ts';

export interface SkewedTreeOptions {
  /** Files in the one huge folder ('huge'). */
  readonly hugeFolderFiles: number;
  /** Small folders ('s-000000'), beside it. */
  readonly smallFolders: number;
  readonly filesPerSmallFolder: number;
  /** Large files, spread over the small folders ('s-…/large-N'). @default 0 */
  readonly largeFiles?: number;
  /** @default 16 MiB */
  readonly largeFileBytes?: number;
  /** Small files are 0 to this many bytes, uniformly. @default 8 KiB */
  readonly maxSmallFileBytes?: number;
  /** @default 1 */
  readonly seed?: number;
}

/** Makes the tree under `root` (which must exist); returns the entries made (folders and files). */
export function makeSkewedTree(root: string, options: SkewedTreeOptions): number {
  const random = seededRandom(options.seed ?? 1);
  const maxSmall = options.maxSmallFileBytes ?? 8 * 1024;
  let entries = 0;
  const file = (path: string, size: number) => {
    const fd = openSync(path, 'w');
    try {
      if (size > 0) ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
    entries += 1;
  };
  const folder = (path: string) => {
    mkdirSync(path);
    entries += 1;
  };
  const huge = join(root, 'huge');
  folder(huge);
  for (let at = 0; at < options.hugeFolderFiles; at += 1) file(join(huge, `f-${String(at).padStart(7, '0')}`), Math.floor(random() * maxSmall));
  const largeEvery = options.largeFiles ? Math.max(1, Math.floor(options.smallFolders / options.largeFiles)) : 0;
  for (let at = 0; at < options.smallFolders; at += 1) {
    const small = join(root, `s-${String(at).padStart(6, '0')}`);
    folder(small);
    for (let index = 0; index < options.filesPerSmallFolder; index += 1) file(join(small, `f-${String(index).padStart(4, '0')}`), Math.floor(random() * maxSmall));
    if (largeEvery > 0 && at % largeEvery === Math.floor(largeEvery / 2) && at / largeEvery < (options.largeFiles ?? 0)) {
      file(join(small, 'large'), options.largeFileBytes ?? 16 * 1024 ** 2);
    }
  }
  return entries;
}
