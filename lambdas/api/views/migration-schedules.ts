import type { MigrationSchedule } from '../../core/schedules/model.ts';
import type { Links } from '../request.ts';

/** Our extension (/v2/migration-schedules): the schedule as stored, with Manila's resource links. */
export function migrationScheduleView(schedule: MigrationSchedule, links: Links): Record<string, unknown> {
  const { version: _version, ...rest } = schedule;
  return { ...rest, links: links.forResource('migration-schedules', schedule.id) };
}
