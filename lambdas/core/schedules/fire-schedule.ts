import { NotFoundError, errorMessage } from '../errors.ts';
import type { Clock } from '../ports.ts';
import { updateVersioned } from '../versioned-update.ts';
import type { MigrationExecutionInput } from '../workflow.ts';
import { nextCronTime, parseCron } from './cron.ts';
import { FiringOutcome, MAX_FIRINGS, ScheduleKind, ScheduleState, type MigrationSchedule, type ScheduleFiring } from './model.ts';
import type { ScheduleStore } from './ports.ts';
import type { ScheduleDeps } from './schedule-service.ts';

/** Active schedules whose next firing is at or before `now` (what the local ticker fires). */
export async function dueSchedules(store: ScheduleStore, now: Date): Promise<MigrationSchedule[]> {
  return (await store.list()).filter(
    (s) => s.state === ScheduleState.ACTIVE && s.next_fire_at !== null && Date.parse(s.next_fire_at) <= now.getTime(),
  );
}

/**
 * Fires a due schedule at `firedAt`: starts the migration exactly as migration_start does and records
 * the firing. Never throws for a refusal: a busy share, a pool that is gone, a firing later than its
 * window, anything that stops the start is recorded as a `skipped` firing with the reason.
 *
 * The occurrence is claimed first (one conditional write moves next_fire_at on, and ends a one-time
 * schedule), so two tickers racing on one schedule start at most one migration. Missed occurrences
 * (the runtime was stopped) are not replayed: the one due fires, late, and records that its window
 * passed; the next is the first after `firedAt`.
 *
 * @returns the firing, or null when nothing was due (fired already, deleted, or not yet time).
 */
export async function fireSchedule(deps: ScheduleDeps, scheduleId: string, firedAt: Date): Promise<ScheduleFiring | null> {
  let claimed: MigrationSchedule | null = null;
  try {
    await updateVersioned(deps.schedules, scheduleId, (s) => {
      claimed = null;
      if (s.state !== ScheduleState.ACTIVE || s.next_fire_at === null || Date.parse(s.next_fire_at) > firedAt.getTime()) return s;
      claimed = s;
      const next = s.kind === ScheduleKind.AT ? null : nextOccurrence(s, firedAt);
      return { ...s, next_fire_at: next, state: next === null ? ScheduleState.DONE : s.state, updated_at: deps.clock.now().toISOString() };
    }, {}, 'Migration schedule');
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
  const schedule = claimed as MigrationSchedule | null;
  if (schedule === null) return null;

  const due = schedule.next_fire_at!;
  const lateMs = firedAt.getTime() - Date.parse(due);
  let firing: ScheduleFiring;
  if (lateMs > schedule.window_minutes * 60_000) {
    firing = skipped(firedAt, due, `Missed its maintenance window: due at ${due}, fired at ${firedAt.toISOString()}, window ${schedule.window_minutes} minutes (was the runtime stopped?).`);
  } else {
    try {
      const migration = await deps.migrations.start(schedule.share_id, { host: schedule.host, ...schedule.options });
      firing = { at: firedAt.toISOString(), scheduled_for: due, outcome: FiringOutcome.STARTED, migration_id: migration.id, reason: null };
    } catch (err) {
      firing = skipped(firedAt, due, errorMessage(err));
    }
  }
  await appendFiring(deps.schedules, deps.clock, scheduleId, firing);
  return firing;
}

/**
 * The workflow's first state records a firing it was started for (on AWS, EventBridge Scheduler
 * starts the execution directly, with `schedule_id` in the input): `started` with the migration it
 * locked, or `skipped` with why it refused. A retried step records a started migration once. A schedule
 * deleted meanwhile is fine.
 */
export async function recordWorkflowFiring(
  store: ScheduleStore,
  clock: Clock,
  scheduleId: string,
  result: { readonly migrationId: string } | { readonly reason: string },
): Promise<void> {
  const at = clock.now().toISOString();
  const firing: ScheduleFiring = 'migrationId' in result
    ? { at, scheduled_for: null, outcome: FiringOutcome.STARTED, migration_id: result.migrationId, reason: null }
    : { at, scheduled_for: null, outcome: FiringOutcome.SKIPPED, migration_id: null, reason: result.reason };
  try {
    await appendFiring(store, clock, scheduleId, firing, (s) => {
      // EventBridge deletes a fired at() schedule itself; here the record says it is done.
      const next = s.kind === ScheduleKind.AT ? null : nextOccurrence(s, clock.now());
      return { next_fire_at: next, state: next === null ? ScheduleState.DONE : s.state };
    });
  } catch (err) {
    if (err instanceof NotFoundError) return;
    throw err;
  }
}

/** The execution input a schedule's trigger sends: the documented input, no migration_id, and the schedule's id. */
export function scheduleExecutionInput(schedule: MigrationSchedule): MigrationExecutionInput {
  return { share_id: schedule.share_id, host: schedule.host, ...schedule.options, schedule_id: schedule.id };
}

function skipped(firedAt: Date, due: string, reason: string): ScheduleFiring {
  return { at: firedAt.toISOString(), scheduled_for: due, outcome: FiringOutcome.SKIPPED, migration_id: null, reason };
}

function nextOccurrence(schedule: MigrationSchedule, after: Date): string | null {
  if (schedule.cron === null) return null;
  return nextCronTime(parseCron(schedule.cron), schedule.timezone, after)?.toISOString() ?? null;
}

async function appendFiring(
  store: ScheduleStore,
  clock: Clock,
  scheduleId: string,
  firing: ScheduleFiring,
  also: (s: MigrationSchedule) => Partial<MigrationSchedule> = () => ({}),
): Promise<void> {
  await updateVersioned(store, scheduleId, (s) => {
    if (firing.migration_id !== null && s.firings.some((f) => f.migration_id === firing.migration_id)) return s;
    return {
      ...s,
      ...also(s),
      last_firing: firing,
      firings: [firing, ...s.firings].slice(0, MAX_FIRINGS),
      updated_at: clock.now().toISOString(),
    };
  }, {}, 'Migration schedule');
}
