import { InvalidRequestError } from '../errors.ts';

/**
 * EventBridge Scheduler's cron expressions, `cron(minutes hours day-of-month month day-of-week year)`,
 * evaluated in an IANA time zone, so the local runtime fires schedules when AWS would.
 *
 * Supported in every field: a value, `*`, lists (`1,15`), ranges (`MON-FRI`), steps (`*` + `/10`, `5/15`,
 * `0-30/10`); month and day-of-week names (JAN-DEC, SUN-SAT, any case); `?` in day-of-month or
 * day-of-week, exactly one of which must be `?` (as EventBridge requires). Day-of-week counts 1 = SUN to
 * 7 = SAT. Not supported (refused with a message): `L`, `W` and `#`.
 *
 * Around daylight-saving changes, a local time that does not exist (spring forward) does not fire, and a
 * local time that happens twice (fall back) fires once, at its first occurrence.
 */
export interface CronExpression {
  /** The normalized expression, `cron(...)`, as EventBridge Scheduler takes it. */
  readonly expression: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  /** null: `?`, the day is chosen by day-of-week. */
  readonly daysOfMonth: ReadonlySet<number> | null;
  readonly months: ReadonlySet<number>;
  /** 1 = Sunday … 7 = Saturday; null: `?`, the day is chosen by day-of-month. */
  readonly daysOfWeek: ReadonlySet<number> | null;
  readonly years: ReadonlySet<number>;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  readonly question?: boolean;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, question: true },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, question: true },
  { name: 'year', min: 1970, max: 2199 },
];

/** The longest month each month can have (February: 29, in leap years). */
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parses `cron(0 2 ? * SUN *)` or the bare six fields; InvalidRequestError says what is wrong. */
export function parseCron(text: string): CronExpression {
  const trimmed = text.trim();
  const inner = /^cron\((.*)\)$/i.exec(trimmed)?.[1] ?? trimmed;
  const parts = inner.trim().split(/\s+/).filter((p) => p.length > 0);
  if (parts.length !== 6) {
    throw invalid(text, `expected 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`);
  }
  const sets = parts.map((part, i) => parseField(text, part, FIELDS[i]!));
  const [minutes, hours, daysOfMonth, months, daysOfWeek, years] = sets as [Set<number>, Set<number>, Set<number> | null, Set<number>, Set<number> | null, Set<number>];
  if ((daysOfMonth === null) === (daysOfWeek === null)) {
    throw invalid(text, 'exactly one of day-of-month and day-of-week must be "?" (e.g. "cron(0 2 ? * SUN *)" or "cron(0 2 1 * ? *)")');
  }
  if (daysOfMonth !== null && ![...months].some((m) => [...daysOfMonth].some((d) => d <= MAX_DAYS[m - 1]!))) {
    throw invalid(text, 'no month it names has any of the days it names, so it would never fire');
  }
  return { expression: `cron(${parts.join(' ')})`, minutes, hours, daysOfMonth, months, daysOfWeek, years };
}

function parseField(text: string, part: string, spec: FieldSpec): Set<number> | null {
  if (part === '?') {
    if (!spec.question) throw invalid(text, `"?" is only allowed in day-of-month and day-of-week, not in ${spec.name}`);
    return null;
  }
  if (/[LW#]/i.test(part.replace(/[A-Z]{3}/gi, (n) => (spec.names?.includes(n.toUpperCase()) ? '0' : n)))) {
    throw invalid(text, `${spec.name} "${part}": L, W and # are not supported`);
  }
  const values = new Set<number>();
  for (const item of part.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') throw invalid(text, `${spec.name} "${item}" is not a value, range or step`);
    let from: number;
    let to: number;
    if (range === '*') {
      [from, to] = [spec.min, spec.max];
    } else if (range.includes('-')) {
      const [a = '', b = '', more] = range.split('-');
      if (more !== undefined) throw invalid(text, `${spec.name} "${item}" is not a range`);
      [from, to] = [value(text, a, spec), value(text, b, spec)];
      if (from > to) throw invalid(text, `${spec.name} range "${range}" runs backwards`);
    } else {
      from = value(text, range, spec);
      // `5/15`: from 5 to the end of the field, every 15.
      to = stepText === undefined ? from : spec.max;
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw invalid(text, `${spec.name} step "${stepText}" must be a whole number of at least 1`);
      step = Number(stepText);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

function value(text: string, token: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + 1;
  if (!/^\d+$/.test(token)) throw invalid(text, `${spec.name} "${token}" is not a number${spec.names ? ` or a name (${spec.names[0]}-${spec.names[spec.names.length - 1]})` : ''}`);
  const n = Number(token);
  if (n < spec.min || n > spec.max) throw invalid(text, `${spec.name} ${n} is out of range ${spec.min}-${spec.max}`);
  return n;
}

function invalid(text: string, why: string): InvalidRequestError {
  return new InvalidRequestError(`Invalid cron expression "${text}": ${why}.`);
}

/** True when `timeZone` is an IANA time zone this runtime knows (what ScheduleExpressionTimezone takes). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  /** 1 = Sunday … 7 = Saturday, as cron counts. */
  readonly dayOfWeek: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(epochMs: number, timeZone: string): WallClock {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short',
    });
    formatters.set(timeZone, format);
  }
  const parts: Record<string, string> = {};
  for (const { type, value: v } of format.formatToParts(epochMs)) parts[type] = v;
  return {
    year: Number(parts['year']),
    month: Number(parts['month']),
    day: Number(parts['day']),
    hour: Number(parts['hour']),
    minute: Number(parts['minute']),
    dayOfWeek: DAY_NAMES.indexOf((parts['weekday'] ?? '').toUpperCase()) + 1,
  };
}

/** Wall-clock time as one comparable number: yyyymmddhhmm. */
function wallKey(w: WallClock): number {
  return (((w.year * 100 + w.month) * 100 + w.day) * 100 + w.hour) * 100 + w.minute;
}

const MINUTE = 60_000;
/** A day is skipped up to this far before local midnight, then hour by hour: no DST shift can jump a whole hour past it. */
const DAY_SKIP_MARGIN_MINUTES = 180;
const MAX_STEPS = 1_000_000;

/**
 * The first time strictly after `after` (at a whole minute) that the expression names in `timeZone`,
 * or null if there is none (its years have passed). A local time equal to or before `after`'s, which
 * happens again when clocks go back, does not count.
 */
export function nextCronTime(cron: CronExpression, timeZone: string, after: Date): Date | null {
  const afterKey = wallKey(wallClock(after.getTime(), timeZone));
  const lastYear = Math.max(...cron.years);
  let t = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
  for (let steps = 0; steps < MAX_STEPS; steps++) {
    const w = wallClock(t, timeZone);
    if (w.year > lastYear) return null;
    if (!cron.years.has(w.year)) {
      const nextYear = [...cron.years].filter((y) => y > w.year).sort((a, b) => a - b)[0];
      if (nextYear === undefined) return null;
      // Two days before New Year in UTC is before it in every time zone; the day skipping does the rest.
      t = Math.max(t + MINUTE, Date.UTC(nextYear, 0, 1) - 2 * 24 * 60 * MINUTE);
      continue;
    }
    if (!cron.months.has(w.month) || !dayMatches(cron, w)) {
      t = nextDay(t, w);
      continue;
    }
    if (!cron.hours.has(w.hour)) {
      t += (60 - w.minute) * MINUTE;
      continue;
    }
    if (!cron.minutes.has(w.minute) || wallKey(w) <= afterKey) {
      const later = [...cron.minutes].filter((m) => m > w.minute).sort((a, b) => a - b)[0];
      t += ((later ?? 60) - w.minute) * MINUTE;
      continue;
    }
    return new Date(t);
  }
  return null;
}

function dayMatches(cron: CronExpression, w: WallClock): boolean {
  return cron.daysOfMonth !== null ? cron.daysOfMonth.has(w.day) : cron.daysOfWeek!.has(w.dayOfWeek);
}

function nextDay(t: number, w: WallClock): number {
  const minutesLeft = 24 * 60 - (w.hour * 60 + w.minute);
  return minutesLeft > DAY_SKIP_MARGIN_MINUTES ? t + (minutesLeft - DAY_SKIP_MARGIN_MINUTES) * MINUTE : t + (60 - w.minute) * MINUTE;
}
