import { InvalidRequestError } from '../errors.ts';
import type { MigrationOptions } from '../model.ts';
import { validateMigrationInput } from '../migrations/migration-request.ts';
import { isKnownTimeZone, nextCronTime, parseCron } from './cron.ts';
import { DEFAULT_WINDOW_MINUTES, MAX_WINDOW_MINUTES, MIN_WINDOW_MINUTES, ScheduleKind } from './model.ts';

/** What POST /v2/migration-schedules asks for: migration_start's options plus when. */
export interface CreateMigrationScheduleRequest {
  readonly share_id: string;
  readonly host: string;
  readonly writable?: boolean;
  readonly preserve_metadata?: boolean;
  readonly preserve_snapshots?: boolean;
  readonly nondisruptive?: boolean;
  readonly force_host_assisted_migration?: boolean;
  readonly new_share_type_id?: string | null;
  readonly new_share_network_id?: string | null;
  /** @default true: the switchover happens inside the window, with no operator. */
  readonly auto_complete?: boolean;
  /** A one-time schedule: an ISO-8601 time with its offset (`2026-03-01T02:00:00Z`), in the future. */
  readonly at?: string | null;
  /** A recurring window: EventBridge Scheduler's 6-field cron, `cron(0 2 ? * SUN *)` (or the bare fields). */
  readonly cron?: string | null;
  /** The IANA time zone of `cron`. @default 'UTC' */
  readonly timezone?: string | null;
  /** @default DEFAULT_WINDOW_MINUTES */
  readonly window_minutes?: number | null;
}

/** A request checked for shape and time; whether the share and pool exist is the service's to check. */
export interface ValidatedScheduleRequest {
  readonly shareId: string;
  readonly host: string;
  readonly options: MigrationOptions;
  readonly kind: ScheduleKind;
  readonly at: string | null;
  readonly cron: string | null;
  readonly timezone: string;
  readonly windowMinutes: number;
  /** The first firing. */
  readonly nextFireAt: string;
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Checks the options as the execution input is checked, and the timing: InvalidRequestError says what is wrong. */
export function validateScheduleRequest(request: CreateMigrationScheduleRequest, now: Date): ValidatedScheduleRequest {
  const { at, cron, timezone, window_minutes: window, ...migration } = request;
  const validated = validateMigrationInput(dropUndefined({ ...migration, auto_complete: migration.auto_complete ?? true }));
  const ids = { shareId: validated.shareId };

  const windowMinutes = window ?? DEFAULT_WINDOW_MINUTES;
  if (!Number.isInteger(windowMinutes) || windowMinutes < MIN_WINDOW_MINUTES || windowMinutes > MAX_WINDOW_MINUTES) {
    throw new InvalidRequestError(`Invalid window_minutes ${JSON.stringify(window)}: a whole number of minutes from ${MIN_WINDOW_MINUTES} to ${MAX_WINDOW_MINUTES}.`, ids);
  }
  const base = { shareId: validated.shareId, host: validated.destinationHost, options: validated.options, windowMinutes };

  const hasAt = at !== undefined && at !== null;
  const hasCron = cron !== undefined && cron !== null;
  if (hasAt === hasCron) {
    throw new InvalidRequestError('Give either at (a one-time schedule, ISO-8601 with its offset) or cron (a recurring window, cron(min hour dom month dow year)), not both and not neither.', ids);
  }
  if (hasAt) {
    if (typeof at !== 'string' || !ISO_WITH_OFFSET.test(at) || !Number.isFinite(Date.parse(at))) {
      throw new InvalidRequestError(`Invalid at ${JSON.stringify(at)}: an ISO-8601 time with its offset, e.g. 2026-03-01T02:00:00Z or 2026-03-01T03:00:00+01:00.`, ids);
    }
    if (timezone !== undefined && timezone !== null) {
      throw new InvalidRequestError('timezone applies to cron only: give at with its own offset.', ids);
    }
    const when = new Date(Date.parse(at));
    if (when.getTime() <= now.getTime()) {
      throw new InvalidRequestError(`at ${at} is not in the future (now ${now.toISOString()}).`, ids);
    }
    const iso = when.toISOString();
    return { ...base, kind: ScheduleKind.AT, at: iso, cron: null, timezone: 'UTC', nextFireAt: iso };
  }
  if (typeof cron !== 'string') throw new InvalidRequestError('cron must be a string: cron(min hour dom month dow year).', ids);
  const zone = timezone ?? 'UTC';
  if (typeof zone !== 'string' || !isKnownTimeZone(zone)) {
    throw new InvalidRequestError(`Unknown timezone ${JSON.stringify(zone)}: give an IANA time zone such as UTC or Europe/Paris.`, ids);
  }
  const parsed = parseCron(cron);
  const next = nextCronTime(parsed, zone, now);
  if (next === null) throw new InvalidRequestError(`${parsed.expression} never fires after ${now.toISOString()}.`, ids);
  return { ...base, kind: ScheduleKind.CRON, at: null, cron: parsed.expression, timezone: zone, nextFireAt: next.toISOString() };
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** How many firings a preview lists at most. */
export const MAX_PREVIEW_FIRINGS = 20;

/**
 * The next `count` firings of a schedule's timing (at, or cron in a time zone) after `now`, checked as a
 * schedule's would be: what an operator sees before creating it (the console's preview).
 */
export function previewFirings(timing: { at?: string | null; cron?: string | null; timezone?: string | null }, count: number, now: Date): string[] {
  const hasAt = timing.at !== undefined && timing.at !== null && timing.at !== '';
  const hasCron = timing.cron !== undefined && timing.cron !== null && timing.cron !== '';
  if (hasAt === hasCron) throw new InvalidRequestError('Give either at (ISO-8601 with its offset) or cron (cron(min hour dom month dow year)), not both and not neither.');
  if (!Number.isInteger(count) || count < 1 || count > MAX_PREVIEW_FIRINGS) throw new InvalidRequestError(`count must be a whole number from 1 to ${MAX_PREVIEW_FIRINGS}.`);
  if (hasAt) {
    if (!ISO_WITH_OFFSET.test(timing.at!) || !Number.isFinite(Date.parse(timing.at!))) {
      throw new InvalidRequestError(`Invalid at ${JSON.stringify(timing.at)}: an ISO-8601 time with its offset, e.g. 2026-03-01T02:00:00Z.`);
    }
    const when = new Date(Date.parse(timing.at!));
    if (when.getTime() <= now.getTime()) throw new InvalidRequestError(`at ${timing.at} is not in the future (now ${now.toISOString()}).`);
    return [when.toISOString()];
  }
  const zone = timing.timezone || 'UTC';
  if (!isKnownTimeZone(zone)) throw new InvalidRequestError(`Unknown timezone ${JSON.stringify(zone)}: give an IANA time zone such as UTC or Europe/Paris.`);
  const parsed = parseCron(timing.cron!);
  const firings: string[] = [];
  for (let after = now; firings.length < count; ) {
    const next = nextCronTime(parsed, zone, after);
    if (next === null) break;
    firings.push(next.toISOString());
    after = next;
  }
  if (firings.length === 0) throw new InvalidRequestError(`${parsed.expression} never fires after ${now.toISOString()}.`);
  return firings;
}
