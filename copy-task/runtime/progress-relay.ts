import type { CopyProgress } from '../../lambdas/core/progress.ts';

/**
 * Forwards progress to an async sink one report at a time. While a report is in flight only the
 * newest waiting one is kept, so a slow sink never holds up the copy or receives stale reports late.
 * A failed report is passed to `onError` and does not stop later ones.
 */
export class ProgressRelay {
  readonly #send: (progress: CopyProgress) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #waiting: CopyProgress | undefined;
  #draining: Promise<void> | undefined;

  constructor(send: (progress: CopyProgress) => Promise<void>, onError: (error: unknown) => void) {
    this.#send = send;
    this.#onError = onError;
  }

  push(progress: CopyProgress): void {
    this.#waiting = progress;
    this.#draining ??= this.#drain();
  }

  /** Resolves once everything pushed so far was sent (or failed). */
  async flush(): Promise<void> {
    await this.#draining;
  }

  async #drain(): Promise<void> {
    while (this.#waiting) {
      const next = this.#waiting;
      this.#waiting = undefined;
      try {
        await this.#send(next);
      } catch (error) {
        this.#onError(error);
      }
    }
    this.#draining = undefined;
  }
}
