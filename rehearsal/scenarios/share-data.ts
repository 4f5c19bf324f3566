/**
 * A share's data as its clients leave it, and the check that a migration kept all of it: every entry's
 * kind, mode, owner, times, content and link target, read from the EFS folders.
 */
import { chown, lstat, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeTree, fillSampleTree, type TreeEntry } from '../../local/tree-digest.ts';
import type { Rehearsal } from '../rehearsal.ts';
import { check, ScenarioFailure } from './scenario.ts';

export type TreeWithOwners = Record<string, TreeEntry & { readonly uid: number; readonly gid: number }>;

/** Fills a share's folder with a tree of files of several owners (what a migration must keep). */
export async function fillShare(folder: string, files = 30): Promise<void> {
  await mkdir(folder, { recursive: true });
  await fillSampleTree(folder, files);
  await mkdir(path.join(folder, 'team'), { recursive: true });
  await writeFile(path.join(folder, 'team', 'owned-by-1001'), 'alice\n');
  await chown(path.join(folder, 'team', 'owned-by-1001'), 1001, 1002);
  await chown(path.join(folder, 'team'), 1001, 1002);
}

export async function describeShare(folder: string): Promise<TreeWithOwners> {
  const tree = await describeTree(folder);
  const out: TreeWithOwners = {};
  for (const [name, entry] of Object.entries(tree)) {
    const stat = await lstat(path.join(folder, name));
    out[name] = { ...entry, uid: stat.uid, gid: stat.gid };
  }
  return out;
}

/** Fails naming the first entries that differ. */
export function checkSameTree(expected: TreeWithOwners, actual: TreeWithOwners, what: string): void {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const differences = names.filter((name) => JSON.stringify(expected[name]) !== JSON.stringify(actual[name]));
  if (differences.length > 0) {
    const shown = differences.slice(0, 5).map((name) => `${name}: expected ${JSON.stringify(expected[name])}, got ${JSON.stringify(actual[name])}`);
    throw new ScenarioFailure(`${what}: ${differences.length} of ${names.length} entries differ; ${shown.join('; ')}`);
  }
  check(names.length > 0, `${what}: the tree is empty`);
}

/** The folder that holds a share's data now, from its export locations (access point or file system). */
export async function shareFolder(rehearsal: Rehearsal, exportLocations: readonly { path: string }[]): Promise<string> {
  const accessPoint = exportLocations.map((location) => /^efs-ap:\/\/(fsap-[0-9a-f]+)/.exec(location.path)?.[1]).find(Boolean);
  if (accessPoint) return rehearsal.efs.accessPointFolder(accessPoint);
  const fileSystem = exportLocations.map((location) => /^(fs-[0-9a-f]+)\.efs\./.exec(location.path)?.[1]).find(Boolean);
  if (fileSystem) return rehearsal.efs.fileSystemFolder(fileSystem);
  throw new ScenarioFailure(`no EFS export location among ${JSON.stringify(exportLocations)}`);
}
