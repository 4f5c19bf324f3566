/**
 * Timestamps. Node sets times from a number of seconds and libuv keeps microseconds, so times are
 * copied, and compared, to the microsecond.
 */
const NS_PER_S = 1_000_000_000n;
const NS_PER_US = 1_000n;

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
  return floorDiv(a, NS_PER_US) === floorDiv(b, NS_PER_US);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}
