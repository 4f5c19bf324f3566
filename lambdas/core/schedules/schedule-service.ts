import { ConcurrentUpdateError, InvalidRequestError, NotFoundError } from '../errors.ts';
import type { Pool, Share } from '../model.ts';
import type { Clock, IdGenerator } from '../ports.ts';
import type { MigrationService, ShareTypeService } from '../services.ts';
import { type MigrationSchedule, ScheduleState } from './model.ts';
import type { ScheduleStore, SchedulerPort } from './ports.ts';
import { validateScheduleRequest, type CreateMigrationScheduleRequest } from './schedule-request.ts';

/** Scheduled migrations (our extension): create, list, show and delete; firing is fire-schedule.ts's. */
export interface ScheduleService {
  /** Validates, stores and arms the schedule (EventBridge Scheduler, or the local ticker). */
  create(request: CreateMigrationScheduleRequest): Promise<MigrationSchedule>;
  /** Oldest first; only one share's when `shareId` is given. */
  list(filter?: { readonly shareId?: string }): Promise<MigrationSchedule[]>;
  get(scheduleId: string): Promise<MigrationSchedule>;
  /** Disarms the trigger first, so a deleted schedule does not fire. */
  delete(scheduleId: string): Promise<void>;
}

/** What schedules need: their store and trigger, and the checks and start of the migration service. */
export interface ScheduleDeps {
  readonly schedules: ScheduleStore;
  readonly scheduler: SchedulerPort;
  readonly shares: { get(shareId: string): Promise<Share | null> };
  readonly pools: { get(host: string): Promise<Pool> };
  readonly shareTypes: Pick<ShareTypeService, 'get'>;
  /** Firing starts the migration exactly as migration_start does. */
  readonly migrations: Pick<MigrationService, 'start'>;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

export class StoredScheduleService implements ScheduleService {
  private readonly deps: ScheduleDeps;

  constructor(deps: ScheduleDeps) {
    this.deps = deps;
  }

  async create(request: CreateMigrationScheduleRequest): Promise<MigrationSchedule> {
    const now = this.deps.clock.now();
    const valid = validateScheduleRequest(request, now);
    const ids = { shareId: valid.shareId };
    // What can be known now is refused now; what may change by then (a busy share) is recorded at firing.
    const share = await this.deps.shares.get(valid.shareId);
    if (!share) throw new InvalidRequestError(`Share ${valid.shareId} does not exist.`, ids);
    await this.deps.pools.get(valid.host).catch((err: unknown) => {
      throw new InvalidRequestError(`Destination host ${valid.host} was not found among the pools.`, ids, { cause: err });
    });
    const typeId = valid.options.new_share_type_id;
    if (typeId !== null) {
      await this.deps.shareTypes.get(typeId).catch((err: unknown) => {
        if (err instanceof NotFoundError) throw new InvalidRequestError(`Share type ${typeId} not found.`, ids, { cause: err });
        throw err;
      });
    }
    const at = now.toISOString();
    const schedule: MigrationSchedule = {
      id: this.deps.ids.newId(),
      share_id: valid.shareId,
      host: valid.host,
      options: valid.options,
      kind: valid.kind,
      at: valid.at,
      cron: valid.cron,
      timezone: valid.timezone,
      window_minutes: valid.windowMinutes,
      state: ScheduleState.ACTIVE,
      next_fire_at: valid.nextFireAt,
      last_firing: null,
      firings: [],
      created_at: at,
      updated_at: at,
      version: 1,
    };
    await this.deps.schedules.create(schedule);
    try {
      await this.deps.scheduler.put(schedule);
    } catch (err) {
      // A schedule that cannot fire must not be listed as if it would.
      await this.deps.schedules.delete(schedule.id, schedule.version).catch(() => undefined);
      throw err;
    }
    return schedule;
  }

  async list(filter: { readonly shareId?: string } = {}): Promise<MigrationSchedule[]> {
    const all = await this.deps.schedules.list();
    return all
      .filter((s) => filter.shareId === undefined || s.share_id === filter.shareId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  async get(scheduleId: string): Promise<MigrationSchedule> {
    const schedule = await this.deps.schedules.get(scheduleId);
    if (!schedule) throw new NotFoundError(`Migration schedule ${scheduleId} could not be found.`);
    return schedule;
  }

  async delete(scheduleId: string): Promise<void> {
    const schedule = await this.get(scheduleId);
    await this.deps.scheduler.delete(schedule.id);
    await deleteRecord(this.deps.schedules, schedule);
  }
}

/** Deletes whatever version is stored now: a firing recorded meanwhile does not keep a deleted schedule alive. */
async function deleteRecord(store: ScheduleStore, schedule: MigrationSchedule): Promise<void> {
  let current: MigrationSchedule | null = schedule;
  for (let attempt = 0; current && attempt < 5; attempt++) {
    try {
      await store.delete(current.id, current.version);
      return;
    } catch (err) {
      if (!(err instanceof ConcurrentUpdateError)) throw err;
      current = await store.get(schedule.id);
    }
  }
  if (current) throw new ConcurrentUpdateError(`Migration schedule ${schedule.id} kept changing while being deleted; try again.`);
}
