import { describe, expect, it } from 'vitest';
import { ConcurrentUpdateError } from '../../lambdas/core/errors.ts';
import type { VersionedStore } from '../../lambdas/core/ports.ts';
import { conflictDelayMs, updateVersioned, type ConflictRetryPolicy } from '../../lambdas/core/versioned-update.ts';

interface Counter {
  readonly id: string;
  readonly version: number;
  readonly count: number;
}

/** A store where another writer gets in first `losses` times: each lost write finds the record one version on. */
class RacedStore implements VersionedStore<Counter> {
  item: Counter = { id: 'c-1', version: 1, count: 0 };
  writes = 0;
  private losses: number;

  constructor(losses: number) {
    this.losses = losses;
  }

  async get(): Promise<Counter> {
    return this.item;
  }

  async replace(item: Counter): Promise<void> {
    this.writes += 1;
    if (this.losses > 0) {
      this.losses -= 1;
      this.item = { ...this.item, version: this.item.version + 1, count: this.item.count + 1 };
      throw new ConcurrentUpdateError('Counter c-1 was changed by another request');
    }
    if (item.version !== this.item.version + 1) throw new ConcurrentUpdateError('stale write');
    this.item = item;
  }

  create(): Promise<void> { throw new Error('not used'); }
  delete(): Promise<void> { throw new Error('not used'); }
  list(): Promise<Counter[]> { throw new Error('not used'); }
}

describe('Function: updateVersioned', () => {
  const pauses: number[] = [];
  const policy: ConflictRetryPolicy = { maxAttempts: 16, baseDelayMs: 10, maxDelayMs: 1000, random: () => 0.5, sleep: async (ms) => { pauses.push(ms); } };
  const increment = (c: Counter): Counter => ({ ...c, count: c.count + 1 });

  it('re-decides on the current record after each lost race, pausing with jitter, until its write lands', async () => {
    // Prepare: nine other writers get in first, as nine of ten concurrent allow_access would
    const store = new RacedStore(9);
    pauses.length = 0;

    // Act
    const written = await updateVersioned(store, 'c-1', increment, {}, 'Counter', policy);

    // Assess: applied on top of the nine others, not over them
    expect(written).toEqual({ id: 'c-1', version: 11, count: 10 });
    expect(store.writes).toBe(10);
    expect(pauses).toEqual([10, 20, 40, 80, 160, 320, 500, 500, 500]);
  });

  it('gives up with ConcurrentUpdateError after maxAttempts lost races', async () => {
    // Prepare
    const store = new RacedStore(100);

    // Act
    const written = updateVersioned(store, 'c-1', increment, {}, 'Counter', policy);

    // Assess
    await expect(written).rejects.toThrow(ConcurrentUpdateError);
    expect(store.writes).toBe(16);
  });

  it('does not retry a conflict the change itself reports: the record is no longer what the request was decided on', async () => {
    // Prepare
    const store = new RacedStore(0);
    const decidedOn = 0;

    // Act
    const written = updateVersioned(store, 'c-1', (c) => {
      if (c.version !== decidedOn) throw new ConcurrentUpdateError('The share changed while the migration was being validated; try again.');
      return increment(c);
    }, {}, 'Counter', policy);

    // Assess
    await expect(written).rejects.toThrow('The share changed while the migration was being validated');
    expect(store.writes).toBe(0);
  });

  it('pauses anywhere from 0 to a ceiling that doubles per attempt up to maxDelayMs', () => {
    // Assess
    expect([1, 2, 3, 6, 7, 20].map((attempt) => conflictDelayMs({ ...policy, random: () => 0.999999 }, attempt))).toEqual([19, 39, 79, 639, 999, 999]);
    expect(conflictDelayMs({ ...policy, random: () => 0 }, 5)).toBe(0);
  });
});
