import { chmod, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

/** The runtime's own files in the data folder, which it keeps private (the state store sees to its folder itself). */
export const DataFolderEntries = {
  STATE_STORE: 'dynamodb',
  STATE_STORE_SOCKET: 'dynamodb.sock',
  EVENTS: 'events.jsonl',
  /** Where earlier versions cached the synthesized definition (now kept with the installation). */
  LEGACY_CACHE: 'cache',
} as const;

/**
 * Creates the data folder 0700, or narrows an existing one to 0700 (earlier versions left it 0755),
 * and makes the runtime's own files in it 0600. The folder's mode is what keeps other local users out
 * of the state store, the token and the event log; the shares under it (local backends) keep their modes,
 * they are the users' data.
 */
export async function preparePrivateDataFolder(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  await chmodIfPresent(path.join(dataDir, DataFolderEntries.EVENTS), 0o600);
  const legacyCache = path.join(dataDir, DataFolderEntries.LEGACY_CACHE);
  if (await chmodIfPresent(legacyCache, 0o700)) {
    for (const entry of await readdir(legacyCache, { withFileTypes: true })) {
      if (entry.isFile()) await chmod(path.join(legacyCache, entry.name), 0o600);
    }
  }
}

async function chmodIfPresent(file: string, mode: number): Promise<boolean> {
  try {
    await chmod(file, mode);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
