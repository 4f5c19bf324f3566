import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Independent checks that a destination equals its source: rsync's own comparison, and a Python
 * walk (compare-trees.py) of lstat fields, xattrs, content, hard-link groups and sparseness. Neither
 * shares code with the engine or its native addon.
 */

const COMPARE_TREES = join(import.meta.dirname, 'compare-trees.py');

/** Fails with what to install when a tool the checks need is missing, rather than skipping. */
export function requireTool(command: string, hint: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error(`${command} is required by the copy-task fidelity tests and is not installed: ${hint}`);
}

export function requireCheckTools(): void {
  requireTool('rsync', 'apt-get install rsync (.ci/run installs it)');
  requireTool('python3', 'apt-get install python3');
}

/**
 * What rsync would change to make `destination` equal `source`: archive mode with hard links, ACLs
 * and xattrs, content compared by checksum, mtimes to the nanosecond (--modify-window=-1), numeric
 * owners. Files are read with O_NOATIME so checking leaves atimes alone. [] means no difference.
 */
export function rsyncDifferences(source: string, destination: string): string[] {
  const args = ['-aHAX', '--checksum', '--modify-window=-1', '--numeric-ids', '--open-noatime', '--dry-run', '--itemize-changes', `${source}/`, `${destination}/`];
  const result = spawnSync('rsync', args, { encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`rsync ${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line.trim() !== '');
}

export interface TreeComparison {
  readonly differences: string[];
  /** What the source holds, by kind: file, dir, symlink, fifo, chardev, blockdev, user, trusted, security, system.posix_acl_access, sparse, hardlink-groups, special-bits. */
  readonly counts: Record<string, number>;
}

/** compare-trees.py: lstat fields (mode, owner, size, mtime and atime in ns), content, xattrs, link groups, st_blocks. */
export function compareTrees(source: string, destination: string, options: { readonly linkAtime?: boolean } = {}): TreeComparison {
  const args = [COMPARE_TREES, ...(options.linkAtime ? ['--link-atime'] : []), source, destination];
  const result = spawnSync('python3', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`compare-trees.py exited with ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as TreeComparison;
}

/** Both checks; Python first, since rsync lists links (which moves their atimes). */
export function differencesBetween(source: string, destination: string, options: { readonly linkAtime?: boolean } = {}): { python: string[]; rsync: string[] } {
  const python = compareTrees(source, destination, options).differences;
  return { python, rsync: rsyncDifferences(source, destination) };
}
