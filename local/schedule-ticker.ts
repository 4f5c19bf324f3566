import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../lambdas/core/ports.ts';
import { systemClock } from '../lambdas/core/runtime.ts';
import { dueSchedules, fireSchedule } from '../lambdas/core/schedules/fire-schedule.ts';
import type { MigrationSchedule, ScheduleFiring } from '../lambdas/core/schedules/model.ts';
import type { SchedulerPort } from '../lambdas/core/schedules/ports.ts';
import type { ScheduleDeps } from '../lambdas/core/schedules/schedule-service.ts';

export interface ScheduleTickerOptions {
  readonly logger: Logger;
  /**
   * How often the store is checked for due schedules; a firing is at most this late.
   * @default 1000
   */
  readonly intervalMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * EventBridge Scheduler at home: every `intervalMs` it fires the schedules that are due (next_fire_at
 * passed) with the domain's fireSchedule, which starts the migration as migration_start does or records
 * why not. The store is the truth, so put and delete have nothing to arm or disarm, and a schedule
 * due while the runtime was stopped fires at the next start (and records that its window passed, if
 * it did).
 */
export class LocalScheduleTicker implements SchedulerPort {
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly clock: Clock;
  private deps: ScheduleDeps | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<ScheduleFiring[]> | undefined;

  constructor(options: ScheduleTickerOptions) {
    this.logger = options.logger;
    this.intervalMs = options.intervalMs ?? 1000;
    this.clock = options.clock ?? systemClock;
  }

  async put(_schedule: MigrationSchedule): Promise<void> {}

  async delete(_scheduleId: string): Promise<void> {}

  /** Starts ticking; `deps` come from the composition this ticker is an adapter of. */
  start(deps: ScheduleDeps): void {
    if (this.timer) return;
    this.deps = deps;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops ticking and waits for a tick under way (its migrations run on in the workflow). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /** Fires what is due now; a tick still running makes this one a no-op. */
  tick(): Promise<ScheduleFiring[]> {
    if (this.inFlight) return Promise.resolve([]);
    this.inFlight = this.fireDue().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fireDue(): Promise<ScheduleFiring[]> {
    const deps = this.deps;
    if (!deps) return [];
    const firings: ScheduleFiring[] = [];
    try {
      const now = this.clock.now();
      for (const schedule of await dueSchedules(deps.schedules, now)) {
        const firing = await fireSchedule(deps, schedule.id, now).catch((err: unknown) => {
          this.logger.error('schedule could not fire', { schedule_id: schedule.id, share_id: schedule.share_id, error: err as Error });
          return null;
        });
        if (!firing) continue;
        firings.push(firing);
        const keys = { schedule_id: schedule.id, share_id: schedule.share_id, migration_id: firing.migration_id ?? undefined };
        if (firing.outcome === 'started') this.logger.info('schedule fired: migration started', keys);
        else this.logger.warn('schedule fired: migration not started', { ...keys, reason: firing.reason });
      }
    } catch (err) {
      this.logger.error('due schedules could not be read', { error: err as Error });
    }
    return firings;
  }
}
