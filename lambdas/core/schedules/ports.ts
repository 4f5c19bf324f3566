import type { VersionedStore } from '../ports.ts';
import type { MigrationSchedule } from './model.ts';

/** Schedules, stored like every other record: each write conditional on the version read. */
export type ScheduleStore = VersionedStore<MigrationSchedule>;

/**
 * What makes a schedule fire: EventBridge Scheduler on AWS (a schedule that starts the state machine),
 * the local runtime's ticker at home (which reads the store and needs nothing from here).
 */
export interface SchedulerPort {
  /** Creates or replaces the schedule's trigger; idempotent. */
  put(schedule: MigrationSchedule): Promise<void>;
  /** Removes it; a trigger that is already gone is fine. */
  delete(scheduleId: string): Promise<void>;
}
