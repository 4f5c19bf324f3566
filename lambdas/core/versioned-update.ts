import { ConcurrentUpdateError, NotFoundError, type ErrorIds } from './errors.ts';
import type { VersionedStore } from './ports.ts';

const MAX_ATTEMPTS = 5;

/**
 * Read-modify-write with optimistic concurrency: `change` sees the current record and returns the
 * next one (or throws a domain error, e.g. "share is busy"). The write is conditional on the version
 * read; if another writer got there first, the record is read again and `change` decides again, so of
 * two racing requests exactly one wins and the other gets the error the new state calls for.
 * Returning the same object means "nothing to change" and writes nothing.
 */
export async function updateVersioned<T extends { readonly id: string; readonly version: number }>(
  store: VersionedStore<T>,
  id: string,
  change: (current: T) => T | Promise<T>,
  ids: ErrorIds,
  what = 'Record',
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.get(id);
    if (!current) throw new NotFoundError(`${what} ${id} not found`, ids);
    const next = await change(current);
    if (next === current) return current;
    const versioned = { ...next, version: current.version + 1 };
    try {
      await store.replace(versioned);
      return versioned;
    } catch (err) {
      if (err instanceof ConcurrentUpdateError && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
  }
}
