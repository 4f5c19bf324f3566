import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../lambdas/core/errors.ts';
import { isKnownTimeZone, nextCronTime, parseCron } from '../../lambdas/core/schedules/cron.ts';

const next = (expression: string, after: string, timeZone = 'UTC'): string | null =>
  nextCronTime(parseCron(expression), timeZone, new Date(after))?.toISOString() ?? null;

/** The first `count` firings after `after`. */
function firings(expression: string, after: string, count: number, timeZone = 'UTC'): string[] {
  const cron = parseCron(expression);
  const out: string[] = [];
  let t = new Date(after);
  for (let i = 0; i < count; i++) {
    const n = nextCronTime(cron, timeZone, t);
    if (!n) break;
    out.push(n.toISOString());
    t = n;
  }
  return out;
}

describe('Function: parseCron', () => {
  it('takes the cron(...) form and the bare six fields, and normalizes to cron(...)', () => {
    // Act
    const wrapped = parseCron('cron(0 2 ? * SUN *)');
    const bare = parseCron('  0   2 ? * sun *  ');

    // Assess
    expect(wrapped.expression).toBe('cron(0 2 ? * SUN *)');
    expect(bare.expression).toBe('cron(0 2 ? * sun *)');
    expect([...bare.daysOfWeek!]).toEqual([1]);
    expect(bare.daysOfMonth).toBeNull();
  });

  it.each([
    ['lists', '0,15,30 * ? * * *', 'minutes', [0, 15, 30]],
    ['ranges', '0 9-12 ? * * *', 'hours', [9, 10, 11, 12]],
    ['steps from *', '*/20 * ? * * *', 'minutes', [0, 20, 40]],
    ['steps from a value', '5/20 * ? * * *', 'minutes', [5, 25, 45]],
    ['steps over a range', '0 0-10/5 ? * * *', 'hours', [0, 5, 10]],
    ['month names', '0 0 1 JAN,jul,DEC ? *', 'months', [1, 7, 12]],
    ['day names in a range', '0 0 ? * MON-FRI *', 'daysOfWeek', [2, 3, 4, 5, 6]],
    ['years', '0 0 1 1 ? 2030-2032', 'years', [2030, 2031, 2032]],
  ] as const)('parses %s', (_, expression, field, values) => {
    // Act
    const cron = parseCron(expression);

    // Assess
    expect([...(cron[field] as ReadonlySet<number>)].sort((a, b) => a - b)).toEqual(values);
  });

  it.each([
    ['five fields', 'cron(0 2 * * ?)', /expected 6 fields/],
    ['both days given', 'cron(0 2 1 * MON *)', /exactly one of day-of-month and day-of-week must be "\?"/],
    ['neither day given', 'cron(0 2 ? * ? *)', /exactly one of day-of-month and day-of-week/],
    ['? in minutes', 'cron(? 2 ? * * *)', /"\?" is only allowed in day-of-month and day-of-week, not in minutes/],
    ['a minute out of range', 'cron(60 2 ? * * *)', /minutes 60 is out of range 0-59/],
    ['an hour out of range', 'cron(0 24 ? * * *)', /hours 24 is out of range 0-23/],
    ['a day-of-week 0', 'cron(0 2 ? * 0 *)', /day-of-week 0 is out of range 1-7/],
    ['a year before 1970', 'cron(0 2 ? * * 1969)', /year 1969 is out of range 1970-2199/],
    ['a backwards range', 'cron(0 10-2 ? * * *)', /hours range "10-2" runs backwards/],
    ['a zero step', 'cron(*/0 2 ? * * *)', /minutes step "0" must be a whole number of at least 1/],
    ['a word', 'cron(0 noon ? * * *)', /hours "noon" is not a number/],
    ['L', 'cron(0 2 L * ? *)', /L, W and # are not supported/],
    ['W', 'cron(0 2 15W * ? *)', /L, W and # are not supported/],
    ['#', 'cron(0 2 ? * MON#2 *)', /L, W and # are not supported/],
    ['a day no month it names has', 'cron(0 2 30,31 2 ? *)', /would never fire/],
  ])('refuses %s with InvalidRequestError saying why', (_, expression, message) => {
    // Act & Assess
    expect(() => parseCron(expression)).toThrow(InvalidRequestError);
    expect(() => parseCron(expression)).toThrow(message);
  });
});

describe('Function: nextCronTime', () => {
  it('finds the next minute strictly after, at whole minutes', () => {
    expect(next('cron(* * ? * * *)', '2026-03-01T10:00:00Z')).toBe('2026-03-01T10:01:00.000Z');
    expect(next('cron(* * ? * * *)', '2026-03-01T10:00:59.999Z')).toBe('2026-03-01T10:01:00.000Z');
    expect(next('cron(30 10 * * ? *)', '2026-03-01T10:29:30Z')).toBe('2026-03-01T10:30:00.000Z');
    expect(next('cron(30 10 * * ? *)', '2026-03-01T10:30:00Z')).toBe('2026-03-02T10:30:00.000Z');
  });

  it('walks a weekly maintenance window (Sunday 02:00, 1 = SUN)', () => {
    // 2026-03-01 is a Sunday.
    expect(firings('cron(0 2 ? * SUN *)', '2026-02-25T00:00:00Z', 3)).toEqual([
      '2026-03-01T02:00:00.000Z', '2026-03-08T02:00:00.000Z', '2026-03-15T02:00:00.000Z',
    ]);
    expect(next('cron(0 2 ? * 1 *)', '2026-02-25T00:00:00Z')).toBe('2026-03-01T02:00:00.000Z');
  });

  it('steps through minutes, hours and weekdays together', () => {
    expect(firings('cron(0/30 22-23 ? * MON-FRI *)', '2026-03-06T21:00:00Z', 6)).toEqual([
      // Friday evening, then nothing until Monday.
      '2026-03-06T22:00:00.000Z', '2026-03-06T22:30:00.000Z', '2026-03-06T23:00:00.000Z', '2026-03-06T23:30:00.000Z',
      '2026-03-09T22:00:00.000Z', '2026-03-09T22:30:00.000Z',
    ]);
  });

  it('chooses days of the month and months, skipping months without the day', () => {
    expect(firings('cron(0 0 31 * ? *)', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-31T00:00:00.000Z', '2026-03-31T00:00:00.000Z', '2026-05-31T00:00:00.000Z',
    ]);
    expect(next('cron(0 0 29 2 ? *)', '2026-01-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });

  it('jumps to the years named, and ends after the last one', () => {
    expect(next('cron(15 4 1 6 ? 2031)', '2026-03-01T00:00:00Z')).toBe('2031-06-01T04:15:00.000Z');
    expect(next('cron(0 0 1 1 ? 2026)', '2026-06-01T00:00:00Z')).toBeNull();
  });

  it('reads the expression in the time zone given', () => {
    // 02:00 in Paris is 01:00 UTC in winter, 00:00 UTC in summer.
    expect(next('cron(0 2 ? * SUN *)', '2026-02-25T00:00:00Z', 'Europe/Paris')).toBe('2026-03-01T01:00:00.000Z');
    expect(next('cron(0 2 ? * SUN *)', '2026-06-01T00:00:00Z', 'Europe/Paris')).toBe('2026-06-07T00:00:00.000Z');
    expect(next('cron(0 9 1 * ? *)', '2026-03-15T00:00:00Z', 'Asia/Kolkata')).toBe('2026-04-01T03:30:00.000Z');
  });

  it('does not fire a local time that does not exist (spring forward)', () => {
    // Europe/Paris skips 02:00-02:59 on 2026-03-29.
    expect(firings('cron(30 2 * * ? *)', '2026-03-27T12:00:00Z', 3, 'Europe/Paris')).toEqual([
      '2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('fires a local time that happens twice (fall back) once', () => {
    // Europe/Paris repeats 02:00-02:59 on 2026-10-25: 02:30 is 00:30 UTC, then again 01:30 UTC.
    expect(firings('cron(30 2 * * ? *)', '2026-10-24T12:00:00Z', 3, 'Europe/Paris')).toEqual([
      '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('keeps a midnight firing on the day clocks spring forward in the small hours', () => {
    // America/New_York springs forward at 02:00 on 2026-03-08; midnight still exists, and fires.
    expect(firings('cron(0 0 * * ? *)', '2026-03-06T12:00:00Z', 3, 'America/New_York')).toEqual([
      '2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z',
    ]);
  });
});

describe('Function: isKnownTimeZone', () => {
  it.each([['UTC', true], ['Europe/Paris', true], ['America/Argentina/Buenos_Aires', true], ['Mars/Olympus', false], ['', false]])('%s: %s', (zone, known) => {
    expect(isKnownTimeZone(zone)).toBe(known);
  });
});
