import type { MigrationOptions } from '../model.ts';

/** A one-time schedule (`at`) or a recurring maintenance window (`cron`). */
export const ScheduleKind = {
  AT: 'at',
  CRON: 'cron',
} as const;
export type ScheduleKind = (typeof ScheduleKind)[keyof typeof ScheduleKind];

/** `active` until a one-time schedule has fired; then `done` (a cron schedule stays active until deleted). */
export const ScheduleState = {
  ACTIVE: 'active',
  DONE: 'done',
} as const;
export type ScheduleState = (typeof ScheduleState)[keyof typeof ScheduleState];

export const FiringOutcome = {
  STARTED: 'started',
  SKIPPED: 'skipped',
} as const;
export type FiringOutcome = (typeof FiringOutcome)[keyof typeof FiringOutcome];

/** One firing: the migration it started, or why it did not start one. */
export interface ScheduleFiring {
  /** When it fired. */
  readonly at: string;
  /** The occurrence it fired for, when known (the local ticker knows it; on AWS the firing is recorded by the workflow). */
  readonly scheduled_for: string | null;
  readonly outcome: FiringOutcome;
  readonly migration_id: string | null;
  /** Why no migration started: the refusal's message (a busy share, a missed window, ...). */
  readonly reason: string | null;
}

/** How many firings a schedule keeps, newest first. */
export const MAX_FIRINGS = 20;
/** @default for window_minutes: a firing must start within an hour of its time. */
export const DEFAULT_WINDOW_MINUTES = 60;
/** EventBridge Scheduler's bounds on an event's age (RetryPolicy.MaximumEventAgeInSeconds: 60 s to 24 h). */
export const MIN_WINDOW_MINUTES = 1;
export const MAX_WINDOW_MINUTES = 24 * 60;

/** A scheduled migration (our extension): when it fires, a migration of `share_id` to `host` starts, as migration_start would. */
export interface MigrationSchedule {
  readonly id: string;
  readonly share_id: string;
  /** The destination pool, `host@backend#pool`. */
  readonly host: string;
  /** migration_start's options; `auto_complete` defaults to true, so the switchover happens inside the window. */
  readonly options: MigrationOptions;
  readonly kind: ScheduleKind;
  /** kind `at`: the time, ISO-8601 UTC. */
  readonly at: string | null;
  /** kind `cron`: the EventBridge Scheduler expression, `cron(min hour dom month dow year)`. */
  readonly cron: string | null;
  /** The IANA time zone `cron` is read in (`UTC` for `at`). */
  readonly timezone: string;
  /** A firing that cannot start a migration within this many minutes of its time records why instead. */
  readonly window_minutes: number;
  readonly state: ScheduleState;
  /** When it fires next; null once a one-time schedule has fired or a cron schedule's years have passed. */
  readonly next_fire_at: string | null;
  readonly last_firing: ScheduleFiring | null;
  /** The latest firings, newest first, at most MAX_FIRINGS. */
  readonly firings: readonly ScheduleFiring[];
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}
