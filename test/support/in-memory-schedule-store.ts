import { ConcurrentUpdateError } from '../../lambdas/core/errors.ts';
import type { MigrationSchedule } from '../../lambdas/core/schedules/model.ts';
import type { ScheduleStore, SchedulerPort } from '../../lambdas/core/schedules/ports.ts';

/** ScheduleStore in a Map, with the conditional-write rules of the DynamoDB adapter. */
export class InMemoryScheduleStore implements ScheduleStore {
  readonly items = new Map<string, MigrationSchedule>();

  async get(id: string): Promise<MigrationSchedule | null> {
    return this.items.get(id) ?? null;
  }

  async create(item: MigrationSchedule): Promise<void> {
    if (this.items.has(item.id)) throw new ConcurrentUpdateError(`Migration schedule ${item.id} was changed by another request`);
    this.items.set(item.id, item);
  }

  async replace(item: MigrationSchedule): Promise<void> {
    if (this.items.get(item.id)?.version !== item.version - 1) throw new ConcurrentUpdateError(`Migration schedule ${item.id} was changed by another request`);
    this.items.set(item.id, item);
  }

  async delete(id: string, version: number): Promise<void> {
    if (this.items.get(id)?.version !== version) throw new ConcurrentUpdateError(`Migration schedule ${id} was changed by another request`);
    this.items.delete(id);
  }

  async list(): Promise<MigrationSchedule[]> {
    return [...this.items.values()];
  }
}

/** A SchedulerPort that remembers what it was asked (the local ticker's put and delete do nothing either). */
export class RecordingScheduler implements SchedulerPort {
  readonly puts: MigrationSchedule[] = [];
  readonly deletes: string[] = [];
  failPut: Error | null = null;

  async put(schedule: MigrationSchedule): Promise<void> {
    if (this.failPut) throw this.failPut;
    this.puts.push(schedule);
  }

  async delete(scheduleId: string): Promise<void> {
    this.deletes.push(scheduleId);
  }
}
