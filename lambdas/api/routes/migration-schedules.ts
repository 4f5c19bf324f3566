import { previewFirings, type CreateMigrationScheduleRequest } from '../../core/schedules/schedule-request.ts';
import { badRequest } from '../http-error.ts';
import { requireAdmin } from '../policy.ts';
import { accepted, json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { quoteValue, truncate } from '../quote.ts';
import { FIELD_LIMITS } from '../request-limits.ts';
import { booleanParam, checkLength, objectEntity, optionalString, pythonStr, requireParams } from '../validation.ts';
import { migrationScheduleView } from '../views/migration-schedules.ts';

/**
 * Scheduled migrations (our extension), admin-only like migration_start:
 * `POST /migration-schedules` {"migration_schedule": {...}}, `GET /migration-schedules[?share_id=]`,
 * `GET /migration-schedules/{id}`, `DELETE /migration-schedules/{id}`.
 */

const FIELDS = new Set([
  'share_id', 'host', 'writable', 'preserve_metadata', 'preserve_snapshots', 'nondisruptive', 'force_host_assisted_migration',
  'new_share_type_id', 'new_share_network_id', 'auto_complete', 'at', 'cron', 'timezone', 'window_minutes',
]);

/** migration_start's mandatory parameters (2.29+), plus the share. */
const REQUIRED = ['share_id', 'host', 'preserve_metadata', 'writable', 'nondisruptive', 'preserve_snapshots'];

/** `GET /migration-schedules/preview?cron=...&timezone=...` (or `?at=...`), `&count=N`: the next firings, nothing created. */
async function previewSchedule(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'migration_schedule:create');
  const rawCount = req.query.get('count') ?? '5';
  if (!/^\s*\d+\s*$/.test(rawCount)) throw badRequest('count param must be a positive integer');
  const timing = { at: req.query.get('at'), cron: req.query.get('cron'), timezone: req.query.get('timezone') };
  for (const [name, value] of Object.entries(timing)) if (value !== undefined) checkLength(value, name, FIELD_LIMITS.string);
  const firings = previewFirings(timing, Number(rawCount), new Date());
  return json(200, { firings });
}

async function createSchedule(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'migration_schedule:create');
  const entity = objectEntity(req.body, 'migration_schedule');
  if (!entity) throw badRequest('The body must be {"migration_schedule": {...}}.');
  const unknown = Object.keys(entity).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) throw badRequest(`Unknown field(s) in migration_schedule: ${truncate(unknown.map((k) => quoteValue(k, 64)).join(', '))}.`);
  requireParams(entity, REQUIRED);
  const shareId = entity['share_id'];
  const host = entity['host'];
  if (typeof shareId !== 'string' || shareId.trim() === '') throw badRequest(`Invalid share_id ${pythonStr(shareId)}.`);
  if (typeof host !== 'string' || host.trim() === '') throw badRequest(`Invalid host ${pythonStr(host)}: expected host@backend#pool.`);
  checkLength(shareId, 'share_id', FIELD_LIMITS.reference);
  checkLength(host, 'host', FIELD_LIMITS.string);

  const request: CreateMigrationScheduleRequest = {
    share_id: shareId,
    host,
    preserve_metadata: booleanParam(entity, 'preserve_metadata'),
    writable: booleanParam(entity, 'writable'),
    nondisruptive: booleanParam(entity, 'nondisruptive'),
    preserve_snapshots: booleanParam(entity, 'preserve_snapshots'),
    force_host_assisted_migration: booleanParam(entity, 'force_host_assisted_migration'),
    new_share_type_id: optionalString(entity, 'new_share_type_id') || null,
    new_share_network_id: optionalString(entity, 'new_share_network_id') || null,
    auto_complete: booleanParam(entity, 'auto_complete', true),
    at: optionalString(entity, 'at') ?? null,
    cron: optionalString(entity, 'cron') ?? null,
    timezone: optionalString(entity, 'timezone') ?? null,
    window_minutes: windowMinutes(entity['window_minutes']),
  };
  const schedule = await req.services.schedules.create(request);
  req.logger.appendPersistentKeys({ shareId: schedule.share_id });
  req.logger.info('migration schedule created', { scheduleId: schedule.id, kind: schedule.kind, nextFireAt: schedule.next_fire_at });
  return json(200, { migration_schedule: migrationScheduleView(schedule, req.links) });
}

/** A whole number, or its digits as a string; the domain checks the range. */
function windowMinutes(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d{1,10}$/.test(value.trim())) return Number(value.trim());
  throw badRequest(`Invalid window_minutes ${pythonStr(value)}: a whole number of minutes.`);
}

async function listSchedules(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'migration_schedule:index');
  const shareId = req.query.get('share_id');
  const schedules = await req.services.schedules.list(shareId === undefined ? {} : { shareId });
  return json(200, { migration_schedules: schedules.map((s) => migrationScheduleView(s, req.links)) });
}

async function showSchedule(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'migration_schedule:show');
  const schedule = await req.services.schedules.get(req.params['id']!);
  return json(200, { migration_schedule: migrationScheduleView(schedule, req.links) });
}

async function deleteSchedule(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'migration_schedule:delete');
  await req.services.schedules.delete(req.params['id']!);
  req.logger.info('migration schedule deleted', { scheduleId: req.params['id'] });
  return accepted();
}

export const migrationScheduleRoutes: readonly Route[] = [
  { method: 'GET', path: '/migration-schedules', handler: listSchedules },
  { method: 'POST', path: '/migration-schedules', handler: createSchedule },
  { method: 'GET', path: '/migration-schedules/preview', handler: previewSchedule },
  { method: 'GET', path: '/migration-schedules/{id}', handler: showSchedule },
  { method: 'DELETE', path: '/migration-schedules/{id}', handler: deleteSchedule },
];
