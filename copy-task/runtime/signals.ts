export type StopSignal = 'SIGTERM' | 'SIGINT';

/** Where stop signals come from: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(event: StopSignal, listener: () => void): unknown;
  removeListener(event: StopSignal, listener: () => void): unknown;
}

const STOP_SIGNALS: readonly StopSignal[] = ['SIGTERM', 'SIGINT'];

/** Calls `listener` on SIGTERM or SIGINT until the returned function is called. */
export function onStopSignal(source: SignalSource, listener: (signal: StopSignal) => void): () => void {
  const handlers = STOP_SIGNALS.map((signal) => [signal, () => listener(signal)] as const);
  for (const [signal, handler] of handlers) source.on(signal, handler);
  return () => {
    for (const [signal, handler] of handlers) source.removeListener(signal, handler);
  };
}
