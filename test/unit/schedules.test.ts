import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, InvalidShareStateError, NotFoundError } from '../../lambdas/core/errors.ts';
import type { Migration, Pool, Share } from '../../lambdas/core/model.ts';
import { dueSchedules, fireSchedule, recordWorkflowFiring, scheduleExecutionInput } from '../../lambdas/core/schedules/fire-schedule.ts';
import { MAX_FIRINGS, type MigrationSchedule } from '../../lambdas/core/schedules/model.ts';
import type { CreateMigrationScheduleRequest } from '../../lambdas/core/schedules/schedule-request.ts';
import { StoredScheduleService, type ScheduleDeps } from '../../lambdas/core/schedules/schedule-service.ts';
import type { StartMigrationRequest } from '../../lambdas/core/services.ts';
import { validateMigrationInput } from '../../lambdas/core/migrations/migration-request.ts';
import { InMemoryScheduleStore, RecordingScheduler } from '../support/in-memory-schedule-store.ts';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const SHARE_ID = 'share-1';
const BETA = 'local@beta#default';

/** A clock the test moves. */
class TestClock {
  t = NOW.getTime();
  now = () => new Date(this.t);
  advance(ms: number) {
    this.t += ms;
  }
}

interface Fixture {
  readonly deps: ScheduleDeps;
  readonly service: StoredScheduleService;
  readonly store: InMemoryScheduleStore;
  readonly scheduler: RecordingScheduler;
  readonly clock: TestClock;
  /** What the migration service was asked to start. */
  readonly starts: { shareId: string; request: StartMigrationRequest }[];
  /** Set to make the next starts fail as a busy share does. */
  refuse: Error | null;
}

function fixture(): Fixture {
  const store = new InMemoryScheduleStore();
  const scheduler = new RecordingScheduler();
  const clock = new TestClock();
  let n = 0;
  const f: Fixture = {
    store, scheduler, clock, starts: [], refuse: null,
    deps: undefined as never, service: undefined as never,
  };
  const deps: ScheduleDeps = {
    schedules: store,
    scheduler,
    shares: { get: async (id) => (id === SHARE_ID ? ({ id } as Share) : null) },
    pools: { get: async (host) => { if (host !== BETA) throw new NotFoundError(`Pool ${host} not found`); return { name: host } as Pool; } },
    shareTypes: { get: async (id) => { if (id !== 'gold') throw new NotFoundError(`Share type ${id} not found`); return { id } as never; } },
    migrations: {
      start: async (shareId, request) => {
        if (f.refuse) throw f.refuse;
        f.starts.push({ shareId, request });
        return { id: `migration-${f.starts.length}` } as Migration;
      },
    },
    clock,
    ids: { newId: () => `schedule-${++n}` },
  };
  Object.assign(f, { deps, service: new StoredScheduleService(deps) });
  return f;
}

const REQUEST: CreateMigrationScheduleRequest = {
  share_id: SHARE_ID,
  host: BETA,
  writable: true,
  preserve_metadata: true,
  preserve_snapshots: false,
  nondisruptive: false,
};
const inSeconds = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();

let f: Fixture;
beforeEach(() => {
  f = fixture();
});

describe('Class: StoredScheduleService', () => {
  describe('Method: create', () => {
    it('stores a one-time schedule with auto_complete on by default, and arms it', async () => {
      // Act
      const schedule = await f.service.create({ ...REQUEST, at: '2026-03-01T12:00:00+01:00' });

      // Assess
      expect(schedule).toMatchObject({
        id: 'schedule-1', share_id: SHARE_ID, host: BETA, kind: 'at', at: '2026-03-01T11:00:00.000Z', cron: null, timezone: 'UTC',
        window_minutes: 60, state: 'active', next_fire_at: '2026-03-01T11:00:00.000Z', last_firing: null, firings: [], version: 1,
      });
      expect(schedule.options).toEqual(validateMigrationInput({ share_id: SHARE_ID, host: BETA, writable: true, preserve_metadata: true, auto_complete: true }).options);
      expect(f.scheduler.puts).toEqual([schedule]);
      expect(await f.store.get(schedule.id)).toEqual(schedule);
    });

    it('stores a cron window read in its time zone, normalized, with its first firing', async () => {
      // Act
      const schedule = await f.service.create({ ...REQUEST, cron: '0 2 ? * SUN *', timezone: 'Europe/Paris', window_minutes: 90, auto_complete: false });

      // Assess: Sunday 2026-03-08 02:00 in Paris (2026-03-01 10:00 UTC has passed that day's).
      expect(schedule).toMatchObject({ kind: 'cron', at: null, cron: 'cron(0 2 ? * SUN *)', timezone: 'Europe/Paris', window_minutes: 90, next_fire_at: '2026-03-08T01:00:00.000Z' });
      expect(schedule.options.auto_complete).toBe(false);
    });

    it.each<[string, Partial<CreateMigrationScheduleRequest>, RegExp]>([
      ['a share that does not exist', { share_id: 'nope', at: inSeconds(60) }, /Share nope does not exist/],
      ['a host not in host@backend#pool form', { host: 'beta', at: inSeconds(60) }, /Invalid host "beta": expected host@backend#pool/],
      ['a pool that does not exist', { host: 'local@gamma#default', at: inSeconds(60) }, /Destination host local@gamma#default was not found among the pools/],
      ['a new share type that does not exist', { new_share_type_id: 'tin', at: inSeconds(60) }, /Share type tin not found/],
      ['a contradictory option set', { force_host_assisted_migration: true, nondisruptive: true, at: inSeconds(60) }, /force_host_assisted_migration cannot be combined/],
      ['neither at nor cron', {}, /Give either at .* or cron .*, not both and not neither/],
      ['both at and cron', { at: inSeconds(60), cron: 'cron(0 2 ? * SUN *)' }, /not both and not neither/],
      ['at without an offset', { at: '2026-03-01T12:00:00' }, /Invalid at "2026-03-01T12:00:00": an ISO-8601 time with its offset/],
      ['at that is not a time', { at: 'tomorrow' }, /Invalid at "tomorrow"/],
      ['at in the past', { at: '2026-03-01T09:59:59Z' }, /at 2026-03-01T09:59:59Z is not in the future \(now 2026-03-01T10:00:00.000Z\)/],
      ['at now', { at: NOW.toISOString() }, /is not in the future/],
      ['at with a timezone', { at: inSeconds(60), timezone: 'Europe/Paris' }, /timezone applies to cron only/],
      ['a cron that does not parse', { cron: 'cron(0 25 ? * * *)' }, /Invalid cron expression "cron\(0 25 \? \* \* \*\)": hours 25 is out of range 0-23/],
      ['a cron whose years have passed', { cron: 'cron(0 2 1 1 ? 2025)' }, /cron\(0 2 1 1 \? 2025\) never fires after 2026-03-01T10:00:00.000Z/],
      ['an unknown time zone', { cron: 'cron(0 2 ? * SUN *)', timezone: 'Mars/Olympus' }, /Unknown timezone "Mars\/Olympus": give an IANA time zone/],
      ['a window of 0 minutes', { at: inSeconds(60), window_minutes: 0 }, /Invalid window_minutes 0: a whole number of minutes from 1 to 1440/],
      ['a window over a day', { at: inSeconds(60), window_minutes: 1441 }, /Invalid window_minutes 1441/],
      ['a fractional window', { at: inSeconds(60), window_minutes: 1.5 }, /Invalid window_minutes 1.5/],
    ])('refuses %s with InvalidRequestError, storing and arming nothing', async (_, change, message) => {
      // Act
      const creating = f.service.create({ ...REQUEST, ...change });

      // Assess
      await expect(creating).rejects.toThrow(InvalidRequestError);
      await expect(f.service.create({ ...REQUEST, ...change })).rejects.toThrow(message);
      expect(f.store.items.size).toBe(0);
      expect(f.scheduler.puts).toEqual([]);
    });

    it('removes the stored schedule when it cannot be armed, and passes the error on', async () => {
      // Prepare
      f.scheduler.failPut = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

      // Act & Assess
      await expect(f.service.create({ ...REQUEST, at: inSeconds(60) })).rejects.toThrow('Rate exceeded');
      expect(f.store.items.size).toBe(0);
    });
  });

  describe('Methods: list, get, delete', () => {
    it('lists oldest first, optionally one share\'s, shows one, and deletes trigger then record', async () => {
      // Prepare
      const a = await f.service.create({ ...REQUEST, at: inSeconds(60) });
      f.clock.advance(1000);
      const b = await f.service.create({ ...REQUEST, cron: 'cron(0 2 ? * SUN *)' });
      await f.store.create({ ...a, id: 'other', share_id: 'share-2', created_at: inSeconds(5) });

      // Act & Assess
      expect((await f.service.list()).map((s) => s.id)).toEqual([a.id, b.id, 'other']);
      expect((await f.service.list({ shareId: SHARE_ID })).map((s) => s.id)).toEqual([a.id, b.id]);
      expect(await f.service.get(b.id)).toEqual(b);
      await f.service.delete(a.id);
      expect(f.scheduler.deletes).toEqual([a.id]);
      await expect(f.service.get(a.id)).rejects.toThrow(NotFoundError);
      await expect(f.service.get(a.id)).rejects.toThrow(`Migration schedule ${a.id} could not be found.`);
      await expect(f.service.delete('missing')).rejects.toThrow(NotFoundError);
    });
  });
});

describe('Function: fireSchedule', () => {
  it('starts the migration as migration_start would, records it, and ends a one-time schedule', async () => {
    // Prepare
    const schedule = await f.service.create({ ...REQUEST, at: inSeconds(2) });
    f.clock.advance(2500);

    // Act
    const firing = await fireSchedule(f.deps, schedule.id, f.clock.now());

    // Assess
    expect(f.starts).toEqual([{ shareId: SHARE_ID, request: { host: BETA, ...schedule.options } }]);
    expect(firing).toEqual({ at: inSeconds(2.5), scheduled_for: inSeconds(2), outcome: 'started', migration_id: 'migration-1', reason: null });
    const stored = await f.service.get(schedule.id);
    expect(stored).toMatchObject({ state: 'done', next_fire_at: null, last_firing: firing, firings: [firing] });
    expect(await dueSchedules(f.store, f.clock.now())).toEqual([]);
  });

  it('records why it did not start (a busy share) instead of throwing', async () => {
    // Prepare
    const schedule = await f.service.create({ ...REQUEST, at: inSeconds(1) });
    f.clock.advance(1000);
    f.refuse = new InvalidShareStateError('Share is busy with an active task (data_copying_completed).', { shareId: SHARE_ID, migrationId: 'm-0' });

    // Act
    const firing = await fireSchedule(f.deps, schedule.id, f.clock.now());

    // Assess
    expect(firing).toMatchObject({ outcome: 'skipped', migration_id: null, reason: `Share is busy with an active task (data_copying_completed). (share ${SHARE_ID}, migration m-0)` });
    expect((await f.service.get(schedule.id)).last_firing).toEqual(firing);
  });

  it('records a firing later than its window as missed, starting nothing', async () => {
    // Prepare
    const schedule = await f.service.create({ ...REQUEST, at: inSeconds(60), window_minutes: 5 });
    f.clock.advance(60_000 + 5 * 60_000 + 1);

    // Act
    const firing = await fireSchedule(f.deps, schedule.id, f.clock.now());

    // Assess
    expect(f.starts).toEqual([]);
    expect(firing?.outcome).toBe('skipped');
    expect(firing?.reason).toMatch(/^Missed its maintenance window: due at 2026-03-01T10:01:00.000Z, fired at 2026-03-01T10:06:00.001Z, window 5 minutes/);
  });

  it('moves a cron schedule to its next occurrence after the firing, without replaying missed ones, and keeps the last firings', async () => {
    // Prepare: every minute.
    const schedule = await f.service.create({ ...REQUEST, cron: 'cron(* * ? * * *)', window_minutes: 1 });
    expect(schedule.next_fire_at).toBe('2026-03-01T10:01:00.000Z');

    // Act: a firing 10 minutes late (the runtime was stopped) fires once and goes on from now.
    f.clock.advance(11 * 60_000 + 5_000);
    const late = await fireSchedule(f.deps, schedule.id, f.clock.now());

    // Assess
    expect(late?.outcome).toBe('skipped');
    expect((await f.service.get(schedule.id)).next_fire_at).toBe('2026-03-01T10:12:00.000Z');

    // Act: many on-time firings.
    for (let i = 0; i < MAX_FIRINGS + 5; i++) {
      const due = Date.parse((await f.service.get(schedule.id)).next_fire_at!);
      f.clock.t = due + 100;
      await fireSchedule(f.deps, schedule.id, f.clock.now());
    }

    // Assess
    const stored = await f.service.get(schedule.id);
    expect(stored.state).toBe('active');
    expect(stored.firings).toHaveLength(MAX_FIRINGS);
    expect(stored.firings[0]).toEqual(stored.last_firing);
    expect(stored.firings.every((x) => x.outcome === 'started')).toBe(true);
    expect(f.starts).toHaveLength(MAX_FIRINGS + 5);
  });

  it('starts one migration when two tickers fire the same occurrence, and nothing for what is not due or gone', async () => {
    // Prepare
    const schedule = await f.service.create({ ...REQUEST, at: inSeconds(1) });

    // Act & Assess: not due yet.
    expect(await fireSchedule(f.deps, schedule.id, f.clock.now())).toBeNull();
    f.clock.advance(1000);
    const [one, two] = await Promise.all([fireSchedule(f.deps, schedule.id, f.clock.now()), fireSchedule(f.deps, schedule.id, f.clock.now())]);
    expect([one, two].filter((x) => x !== null)).toHaveLength(1);
    expect(f.starts).toHaveLength(1);
    expect(await fireSchedule(f.deps, 'deleted', f.clock.now())).toBeNull();
  });
});

describe('Function: recordWorkflowFiring', () => {
  it('records what the workflow started once, even when the step runs twice, and ends a one-time schedule', async () => {
    // Prepare
    const schedule = await f.service.create({ ...REQUEST, at: inSeconds(60) });

    // Act
    await recordWorkflowFiring(f.store, f.clock, schedule.id, { migrationId: 'exec-1' });
    await recordWorkflowFiring(f.store, f.clock, schedule.id, { migrationId: 'exec-1' });

    // Assess
    const stored = await f.service.get(schedule.id);
    expect(stored.firings).toEqual([{ at: NOW.toISOString(), scheduled_for: null, outcome: 'started', migration_id: 'exec-1', reason: null }]);
    expect(stored).toMatchObject({ state: 'done', next_fire_at: null });
  });

  it('records why the workflow refused, keeps a cron schedule active at its next occurrence, and ignores a deleted schedule', async () => {
    // Prepare
    const schedule = await f.service.create({ ...REQUEST, cron: 'cron(0 2 ? * SUN *)' });
    f.clock.t = Date.parse(schedule.next_fire_at!) + 2000;

    // Act
    await recordWorkflowFiring(f.store, f.clock, schedule.id, { reason: 'Share is busy with an active task (migration_in_progress).' });
    await recordWorkflowFiring(f.store, f.clock, 'deleted', { reason: 'whatever' });

    // Assess
    const stored = await f.service.get(schedule.id);
    expect(stored.last_firing).toMatchObject({ outcome: 'skipped', migration_id: null, reason: 'Share is busy with an active task (migration_in_progress).' });
    expect(stored).toMatchObject({ state: 'active', next_fire_at: '2026-03-15T02:00:00.000Z' });
  });
});

describe('Function: scheduleExecutionInput', () => {
  it('is the documented execution input, without migration_id, with the schedule id, and passes the first state\'s validation', async () => {
    // Prepare
    const schedule: MigrationSchedule = await f.service.create({ ...REQUEST, at: inSeconds(60) });

    // Act
    const input = scheduleExecutionInput(schedule);

    // Assess
    expect(input).toMatchObject({ share_id: SHARE_ID, host: BETA, writable: true, preserve_metadata: true, auto_complete: true, schedule_id: schedule.id });
    expect(input.migration_id).toBeUndefined();
    expect(validateMigrationInput(input)).toMatchObject({ shareId: SHARE_ID, migrationId: null, scheduleId: schedule.id, options: schedule.options });
  });
});
