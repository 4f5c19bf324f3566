export interface CancelPoll {
  stop(): void;
}

/**
 * Asks `cancelRequested` now and then every `everyMs` (never two questions at once) and calls
 * `onCancel` once when it answers true. A failed question goes to `onError`; polling goes on.
 */
export function pollForCancel(
  cancelRequested: () => Promise<boolean>,
  everyMs: number,
  onCancel: () => void,
  onError: (error: unknown) => void,
): CancelPoll {
  let busy = false;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (busy || stopped) return;
    busy = true;
    try {
      if ((await cancelRequested()) && !stopped) {
        stop();
        onCancel();
      }
    } catch (error) {
      if (!stopped) onError(error);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  void tick();
  return { stop };
}
