/**
 * The run's clocks, without the `performance` global: its first use loads perf_hooks, about 2 ms of
 * a no-op pass's 140 (measured with --cpu-prof).
 */

/** A monotonic clock in milliseconds, for durations and rates. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The wall clock, in ns since the epoch (to the millisecond: what it is compared with has seconds of margin). */
export function wallClockNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
