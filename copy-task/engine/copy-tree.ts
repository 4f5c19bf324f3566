import { CopyRun } from './copy-run.ts';
import { defaultConcurrency } from './file-systems.ts';
import { throwIfAborted } from './errors.ts';
import { prepareRoots } from './roots.ts';
import { resolveSettings } from './settings.ts';
import type { CopyOptions, CopySummary } from './types.ts';

/**
 * Makes `destination` a copy of `source` (absolute paths): regular files (sparse ones kept sparse),
 * folders, symbolic links, hard links, FIFOs, sockets and device nodes, with their mode, owner, times and
 * extended attributes (ACLs included). Runs scanning → copying (each file verified before it takes
 * its final name) → linking → deleting, then applies folder metadata deepest first. Files whose size
 * and mtime already match are left alone (or compared by content with `checksum`), so a second pass,
 * or a run after a crash, copies only what is not yet there.
 *
 * Rejects with CopyFailedError listing every path it could not copy (nothing is skipped silently),
 * with CopyAbortedError when `options.signal` aborts, and with RangeError for invalid options.
 */
export async function copyTree(source: string, destination: string, options: CopyOptions = {}): Promise<CopySummary> {
  // Options are checked before anything is created.
  let settings = resolveSettings(options);
  throwIfAborted(settings.signal);
  const roots = await prepareRoots(source, destination);
  if (options.concurrency === undefined) settings = { ...settings, concurrency: await defaultConcurrency(roots) };
  throwIfAborted(settings.signal);
  return new CopyRun(roots, settings).run();
}
