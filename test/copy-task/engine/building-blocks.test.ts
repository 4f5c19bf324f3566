import { describe, expect, it } from 'vitest';
import type { CopyProgress } from '../../../lambdas/core/progress.ts';
import { BandwidthLimiter } from '../../../copy-task/engine/bandwidth.ts';
import { CopyAbortedError, CopyFailedError } from '../../../copy-task/engine/errors.ts';
import { childOf, depthOf, display, isSameOrInside, RUN_TOKEN, staleTempMatcher, uniqueSuffix, parentOf, resolveUnder, tempSibling } from '../../../copy-task/engine/paths.ts';
import { forEachConcurrent, runQueue } from '../../../copy-task/engine/pool.ts';
import { ProgressTracker } from '../../../copy-task/engine/progress.ts';
import { sameMicrosecond, toUtimesSeconds } from '../../../copy-task/engine/times.ts';

describe('Class: ProgressTracker', () => {
  function tracker() {
    let now = 0;
    const events: CopyProgress[] = [];
    const t = new ProgressTracker({ pass: 'bulk', intervalMs: 500, now: () => now, emit: (p) => events.push(p) });
    return { t, events, advance: (ms: number) => (now += ms) };
  }

  describe('Method: add', () => {
    it('emits at most once per interval', () => {
      // Prepare
      const { t, events, advance } = tracker();
      t.startPhase('copying', { files: 10, bytes: 1000 });

      // Act
      for (let i = 0; i < 10; i += 1) {
        advance(100);
        t.add(1, 100);
      }

      // Assess
      expect(events.map((e) => e.files_done)).toEqual([0, 5, 10]);
    });

    it('reports the phase average rate and the ETA it implies', () => {
      // Prepare
      const { t, events, advance } = tracker();
      t.startPhase('copying', { files: 4, bytes: 4000 });

      // Act
      advance(1000);
      t.add(1, 1000);

      // Assess
      expect(events.at(-1)).toEqual({
        type: 'progress', pass: 'bulk', phase: 'copying',
        files_done: 1, files_total: 4, bytes_done: 1000, bytes_total: 4000, bytes_per_second: 1000, eta_seconds: 3,
      });
    });
  });

  describe('Method: found', () => {
    it('grows totals with what is found while scanning, with no rate or ETA', () => {
      // Prepare
      const { t, events, advance } = tracker();
      t.startPhase('scanning');

      // Act
      advance(600);
      t.found(3, 300);

      // Assess
      expect(events.at(-1)).toMatchObject({ phase: 'scanning', files_done: 3, files_total: 3, bytes_total: 300, bytes_per_second: 0, eta_seconds: null });
    });
  });

  describe('Method: finish', () => {
    it('always emits the done event, whatever the throttle', () => {
      // Prepare
      const { t, events } = tracker();
      t.startPhase('copying', { files: 1, bytes: 10 });

      // Act
      t.finish({ files: 1, bytes: 10, seconds: 2 });

      // Assess
      expect(events).toHaveLength(2);
      expect(events.at(-1)).toMatchObject({ phase: 'done', files_done: 1, bytes_done: 10, bytes_per_second: 5, eta_seconds: 0 });
    });
  });
});

describe('Class: BandwidthLimiter', () => {
  describe('Method: reserve', () => {
    it('spaces reads so that bytes stay within the rate', () => {
      // Prepare
      let now = 0;
      const limiter = new BandwidthLimiter(1000, () => now);

      // Act
      const first = limiter.reserve(500);
      const second = limiter.reserve(500);
      now = 2000;
      const late = limiter.reserve(500);

      // Assess
      expect([first, second, late]).toEqual([500, 1000, 0]);
    });

    it('refuses a rate that is not positive', () => {
      // Act / Assess
      expect(() => new BandwidthLimiter(0)).toThrow(RangeError);
    });
  });
});

describe('Module: times', () => {
  it('turns nanoseconds into utimes seconds that land on the same microsecond', () => {
    // Prepare
    const ns = 1_700_000_000_123_456_789n;

    // Act
    const seconds = toUtimesSeconds(ns);

    // Assess
    expect(Math.floor(seconds)).toBe(1_700_000_000);
    expect(Math.floor((seconds - 1_700_000_000) * 1e6)).toBe(123_456);
    expect(sameMicrosecond(ns, 1_700_000_000_123_456_001n)).toBe(true);
    expect(sameMicrosecond(ns, 1_700_000_000_123_457_000n)).toBe(false);
  });
});

describe('Module: paths', () => {
  it('joins, splits and displays byte paths', () => {
    // Prepare
    const rel = childOf(childOf(Buffer.alloc(0), Buffer.from('a')), Buffer.from([0xff]));

    // Act / Assess
    expect(rel).toEqual(Buffer.from([0x61, 0x2f, 0xff]));
    expect(parentOf(rel).toString()).toBe('a');
    expect(depthOf(rel)).toBe(2);
    expect(depthOf(Buffer.alloc(0))).toBe(0);
    expect(display(Buffer.alloc(0))).toBe('.');
    expect(resolveUnder(Buffer.from('/root'), Buffer.from('a')).toString()).toBe('/root/a');
    expect(tempSibling(Buffer.from('/root/a/f'), 'abc').toString()).toBe('/root/a/.smig-tmp-abc');
  });

  it('makes up names with this process\'s token, and tells leftovers only by the tokens it is given', () => {
    // Prepare
    const earlier = staleTempMatcher(['0123456789abcdef']);
    const none = staleTempMatcher([]);
    const oldVersion = staleTempMatcher(['']);

    // Act / Assess
    expect(uniqueSuffix()).toMatch(new RegExp(`^${RUN_TOKEN}j[0-9a-z]+$`));
    expect(RUN_TOKEN).toMatch(/^[0-9a-f]{16}$/);
    expect(earlier(Buffer.from('.smig-tmp-0123456789abcdefj1'))).toBe(true);
    expect(earlier(Buffer.from('.smig-tmp-0123456789abcdefd00112233445566778'))).toBe(true);
    expect(earlier(Buffer.from('.smig-tmp-fedcba9876543210j1'))).toBe(false);
    expect(earlier(Buffer.from('.smig-tmp-journal'))).toBe(false);
    expect(none(Buffer.from('.smig-tmp-0123456789abcdefj1'))).toBe(false);
    expect(oldVersion(Buffer.from('.smig-tmp-anything'))).toBe(true);
    expect(oldVersion(Buffer.from('plain'))).toBe(false);
  });

  it('refuses names that would leave the folder', () => {
    // Act / Assess
    for (const name of ['..', '.', '', 'a/b']) expect(() => childOf(Buffer.from('x'), Buffer.from(name))).toThrow();
  });

  it('tells nested and overlapping roots apart from siblings with a common prefix', () => {
    // Act / Assess
    expect(isSameOrInside(Buffer.from('/data/src/x'), Buffer.from('/data/src'))).toBe(true);
    expect(isSameOrInside(Buffer.from('/data/src'), Buffer.from('/data/src'))).toBe(true);
    expect(isSameOrInside(Buffer.from('/data/src2'), Buffer.from('/data/src'))).toBe(false);
    expect(isSameOrInside(Buffer.from('/x'), Buffer.from('/'))).toBe(true);
  });
});

describe('Function: runQueue', () => {
  it('never runs more than the concurrency at once, and takes items pushed while running', async () => {
    // Prepare
    let active = 0;
    let peak = 0;
    const seen: number[] = [];

    // Act
    await runQueue([1, 2, 3], 2, undefined, async (n, push) => {
      active += 1;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(n);
      if (n < 3) push(n * 10);
      active -= 1;
    });

    // Assess
    expect(peak).toBe(2);
    expect(seen.sort((a, b) => a - b)).toEqual([1, 2, 3, 10, 20]);
  });

  it('rejects with CopyAbortedError once aborted, after the items in flight settle', async () => {
    // Prepare
    const controller = new AbortController();
    const started: number[] = [];

    // Act
    const run = forEachConcurrent([1, 2, 3, 4], 1, controller.signal, async (n) => {
      started.push(n);
      if (n === 2) controller.abort('stop');
    });

    // Assess
    await expect(run).rejects.toBeInstanceOf(CopyAbortedError);
    expect(started).toEqual([1, 2]);
  });
});

describe('Class: CopyFailedError', () => {
  it('lists the first ten failures in its message and keeps them all', () => {
    // Prepare
    const failures = Array.from({ length: 12 }, (_, i) => ({ path: `f${i}`, reason: 'nope' }));

    // Act
    const error = new CopyFailedError(failures);

    // Assess
    expect(error.name).toBe('CopyFailedError');
    expect(error.failures).toHaveLength(12);
    expect(error.message).toMatch(/^copy failed for 12 path\(s\): f0: nope; .*f9: nope; and 2 more$/);
  });
});
