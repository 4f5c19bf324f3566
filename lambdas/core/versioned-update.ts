import { ConcurrentUpdateError, NotFoundError, type ErrorIds } from './errors.ts';
import type { VersionedStore } from './ports.ts';

/**
 * How a write that lost its race is tried again: after a random pause (full jitter) whose ceiling starts at
 * `baseDelayMs` and doubles up to `maxDelayMs`, at most `maxAttempts` writes in all. Racing writers then
 * spread out instead of colliding again in step: 50 concurrent allow_access on one share all land within
 * a few seconds, and a writer that keeps losing gives up well inside API Gateway's 29 s.
 */
export interface ConflictRetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const CONFLICT_RETRY: ConflictRetryPolicy = { maxAttempts: 16, baseDelayMs: 10, maxDelayMs: 1000 };

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Read-modify-write with optimistic concurrency: `change` sees the current record and returns the
 * next one (or throws a domain error, e.g. "share is busy"). The write is conditional on the version
 * read; if another writer got there first, the record is read again and `change` decides again, so of
 * two racing requests exactly one wins and the other gets the error the new state calls for, or, when
 * its intent does not depend on what it read (add this access rule), succeeds on the new record.
 * ConcurrentUpdateError reaches the caller only when `change` itself throws it (a real conflict: the
 * record is no longer what the request was decided on) or after `policy.maxAttempts` lost races.
 * Returning the same object means "nothing to change" and writes nothing.
 */
export async function updateVersioned<T extends { readonly id: string; readonly version: number }>(
  store: VersionedStore<T>,
  id: string,
  change: (current: T) => T | Promise<T>,
  ids: ErrorIds,
  what = 'Record',
  policy: ConflictRetryPolicy = CONFLICT_RETRY,
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
      if (!(err instanceof ConcurrentUpdateError) || attempt >= policy.maxAttempts) throw err;
      await (policy.sleep ?? pause)(conflictDelayMs(policy, attempt));
    }
  }
}

/** Full jitter: anywhere between 0 and the attempt's ceiling, so losers do not collide again in step. */
export function conflictDelayMs(policy: ConflictRetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}
