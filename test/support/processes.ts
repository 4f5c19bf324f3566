import { readdir, readFile } from 'node:fs/promises';

/**
 * A process of this machine whose environment holds every one of `entries` (`NAME=value`), e.g. the copy
 * task the local runtime started for a migration; undefined when none runs.
 */
export async function processWithEnvironment(entries: readonly string[]): Promise<number | undefined> {
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const environment = (await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '')).split('\0');
    if (entries.every((entry) => environment.includes(entry))) return Number(pid);
  }
  return undefined;
}
