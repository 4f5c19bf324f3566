import { setTimeout as sleep } from 'node:timers/promises';
import { monotonicMs } from './clock.ts';
import { CopyAbortedError } from './errors.ts';

/** Paces reads so that, across all workers, bytes taken stay within `bytesPerSecond` on average. */
export class BandwidthLimiter {
  readonly #bytesPerSecond: number;
  readonly #now: () => number;
  #start: number | undefined;
  #taken = 0;

  constructor(bytesPerSecond: number, now: () => number = monotonicMs) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond must be positive, got ${bytesPerSecond}`);
    this.#bytesPerSecond = bytesPerSecond;
    this.#now = now;
  }

  /** Books `bytes` just read; returns how long to wait (ms) to stay within the rate. */
  reserve(bytes: number): number {
    const now = this.#now();
    this.#start ??= now;
    this.#taken += bytes;
    const due = this.#start + (this.#taken / this.#bytesPerSecond) * 1000;
    return Math.max(0, due - now);
  }

  async take(bytes: number, signal: AbortSignal | undefined): Promise<void> {
    const wait = this.reserve(bytes);
    if (wait <= 0) return;
    try {
      await sleep(wait, undefined, { signal });
    } catch (error) {
      if (signal?.aborted) throw new CopyAbortedError(signal.reason);
      throw error;
    }
  }
}
