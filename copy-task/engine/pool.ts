import { CopyAbortedError } from './errors.ts';

/**
 * Runs `work` over a queue with at most `concurrency` items in flight; `work` may add items with
 * `push`. Stops taking new items once `signal` aborts or an item throws; waits for those in flight,
 * then rejects with the first error (CopyAbortedError when aborted).
 */
export async function runQueue<T>(
  initial: Iterable<T>,
  concurrency: number,
  signal: AbortSignal | undefined,
  work: (item: T, push: (item: T) => void) => Promise<void>,
): Promise<void> {
  const queue: T[] = [...initial];
  let next = 0;
  let active = 0;
  let failure: { error: unknown } | undefined;

  return new Promise<void>((resolve, reject) => {
    const push = (item: T): void => {
      queue.push(item);
      pump();
    };
    const settleIfIdle = (): void => {
      if (active > 0) return;
      if (failure) reject(failure.error);
      else if (signal?.aborted) reject(new CopyAbortedError(signal.reason));
      else if (next >= queue.length) resolve();
    };
    const pump = (): void => {
      while (!failure && !signal?.aborted && active < concurrency && next < queue.length) {
        const item = queue[next] as T;
        queue[next] = undefined as T; // let finished items be collected
        next += 1;
        active += 1;
        work(item, push).then(
          () => {
            active -= 1;
            pump();
          },
          (error: unknown) => {
            active -= 1;
            failure ??= { error };
            settleIfIdle();
          },
        );
      }
      settleIfIdle();
    };
    pump();
  });
}

/** Runs `work` for every item, at most `concurrency` at once (see runQueue). */
export function forEachConcurrent<T>(
  items: Iterable<T>,
  concurrency: number,
  signal: AbortSignal | undefined,
  work: (item: T) => Promise<void>,
): Promise<void> {
  return runQueue(items, concurrency, signal, (item) => work(item));
}

/**
 * At most `limit` tasks at once across every caller (the run's file operations, whatever folder
 * they come from); the others wait their turn in order.
 */
export class Slots {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next in line.
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active += 1;
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active -= 1;
    }
  }
}
