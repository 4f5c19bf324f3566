/** The checks every part of an EFS backend's config is read with; each fails through `fail`, saying what to fix. */

export type Fail = (message: string) => never;

export const MAX_ID = 2 ** 32 - 1;

export function rejectUnknownKeys(raw: Record<string, unknown>, allowed: ReadonlySet<string>, at: string, fail: Fail): void {
  const unknownKeys = Object.keys(raw).filter((key) => !allowed.has(key));
  if (unknownKeys.length > 0) {
    fail(`${at} has unknown key ${unknownKeys.map((key) => `"${key}"`).join(', ')}; allowed: ${[...allowed].join(', ')}`);
  }
}

export function positiveNumber(value: unknown, fallback: number, at: string, fail: Fail): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(`${at} must be a positive number`);
  return value as number;
}

export function nonNegativeNumber(value: unknown, fallback: number, at: string, fail: Fail): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(`${at} must be a number of at least 0`);
  return value as number;
}

export function isPosixId(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_ID;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
