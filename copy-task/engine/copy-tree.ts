import { CopyRun } from './copy-run.ts';
import { throwIfAborted } from './errors.ts';
import { prepareRoots } from './roots.ts';
import { resolveSettings } from './settings.ts';
import type { CopyOptions, CopySummary } from './types.ts';

/**
 * Makes `destination` a copy of `source` (absolute paths): regular files, folders and symbolic links
 * with their mode, owner and times. Runs scanning → copying → verifying → deleting, then applies
 * folder metadata deepest first. Files whose size and mtime already match are left alone, so a
 * second pass copies only what changed.
 *
 * Rejects with CopyFailedError listing every path it could not copy (nothing is skipped silently),
 * with CopyAbortedError when `options.signal` aborts, and with RangeError for invalid options.
 */
export async function copyTree(source: string, destination: string, options: CopyOptions = {}): Promise<CopySummary> {
  const settings = resolveSettings(options);
  throwIfAborted(settings.signal);
  const roots = await prepareRoots(source, destination);
  throwIfAborted(settings.signal);
  return new CopyRun(roots, settings).run();
}
