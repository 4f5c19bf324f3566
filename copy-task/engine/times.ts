/**
 * Timestamps, in nanoseconds. The native addon sets them exactly (utimensat); without it Node sets
 * them from a number of seconds and libuv keeps microseconds. A destination file system may keep
 * less still. So times are compared at a granularity: what the destination keeps of what is set
 * (see time-granularity.ts).
 */
const NS_PER_S = 1_000_000_000n;
const NS_PER_US = 1_000n;

/** What Node's utimes keeps, and so the default granularity. */
export const MICROSECOND = NS_PER_US;

/**
 * Seconds for utimes/lutimes/futimes that land exactly on `ns`'s microsecond: libuv truncates, and
 * the half-microsecond keeps floating-point error from rounding down a whole microsecond.
 */
export function toUtimesSeconds(ns: bigint): number {
  const seconds = floorDiv(ns, NS_PER_S);
  const micros = floorDiv(ns - seconds * NS_PER_S, NS_PER_US);
  return Number(seconds) + (Number(micros) + 0.5) / 1e6;
}

export function sameMicrosecond(a: bigint, b: bigint): boolean {
  return sameTime(a, b, NS_PER_US);
}

/** Equal once both are truncated to `granularity` nanoseconds. */
export function sameTime(a: bigint, b: bigint, granularity: bigint): boolean {
  return granularity <= 1n ? a === b : floorDiv(a, granularity) === floorDiv(b, granularity);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}
