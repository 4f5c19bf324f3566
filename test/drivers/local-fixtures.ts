import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AccessRule, ShareInstance } from '../../lambdas/core/model.ts';

/** A fresh folder for one test; `cleanup` removes it. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'smig-local-driver-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function makeInstance(id: string, host: string, overrides: Partial<ShareInstance> = {}): ShareInstance {
  return {
    id,
    share_id: 'share-1',
    host,
    status: 'available',
    share_type_id: 'type-1',
    export_locations: [],
    created_at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function makeRule(id: string, access_to: string, access_level: 'rw' | 'ro'): AccessRule {
  return {
    id,
    access_type: 'ip',
    access_to,
    access_level,
    state: 'active',
    access_key: null,
    metadata: {},
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: null,
  };
}

/** Every entry under `root` (relative path to kind, mode, and content or link target), for comparing trees. */
export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const visit = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    const stats = await lstat(abs);
    const mode = (stats.mode & 0o7777).toString(8);
    if (stats.isSymbolicLink()) {
      result[rel] = `link -> ${await readlink(abs)}`;
    } else if (stats.isDirectory()) {
      result[rel] = `dir ${mode}`;
      for (const name of (await readdir(abs)).sort()) await visit(path.join(rel, name));
    } else {
      result[rel] = `file ${mode} ${await readFile(abs, 'utf8')}`;
    }
  };
  await visit('.');
  return result;
}

export async function modeOf(target: string | Buffer): Promise<number> {
  return (await lstat(target)).mode & 0o7777;
}
