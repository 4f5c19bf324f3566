import {
  ActionAfterCompletion,
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  FlexibleTimeWindowMode,
  ResourceNotFoundException,
  ScheduleState,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { scheduleExecutionInput } from '../../core/schedules/fire-schedule.ts';
import { MAX_WINDOW_MINUTES, MIN_WINDOW_MINUTES, ScheduleKind, type MigrationSchedule } from '../../core/schedules/model.ts';
import type { SchedulerPort } from '../../core/schedules/ports.ts';

/** Where the schedules go and what they start (the AWS composition root reads it from SchedulerEnv). */
export interface EventBridgeSchedulerConfig {
  /** The schedule group every migration schedule is created in. */
  readonly groupName: string;
  /** The role EventBridge Scheduler assumes to call states:StartExecution (and send to the dead-letter queue). */
  readonly roleArn: string;
  /** The SQS queue a firing goes to when it could not start the execution within its window. */
  readonly deadLetterQueueArn: string;
  /** The migration state machine, the schedules' target. */
  readonly stateMachineArn: string;
  /**
   * Retries of a StartExecution that failed (throttling, Step Functions unavailable).
   * @default 2
   */
  readonly maximumRetryAttempts?: number;
}

/**
 * Migration schedules as EventBridge Scheduler schedules named after the schedule id, whose target is
 * the state machine (StartExecution with the documented execution input plus `schedule_id`).
 *
 * - `at` schedules fire once and EventBridge deletes them afterwards (ActionAfterCompletion DELETE).
 * - The maintenance window is the retry policy's MaximumEventAgeInSeconds: a firing that could not
 *   start the execution within the window goes to the dead-letter queue instead.
 * - A StartExecution target cannot name the execution, so Step Functions names it (a UUID) and the
 *   first state takes that name as the migration id. A busy share fails that state ("Migration request
 *   rejected"), which records why on the schedule (`schedule_id` in the input).
 */
export class EventBridgeScheduler implements SchedulerPort {
  private readonly client: SchedulerClient;
  private readonly config: EventBridgeSchedulerConfig;

  constructor(client: SchedulerClient, config: EventBridgeSchedulerConfig) {
    this.client = client;
    this.config = config;
  }

  /** CreateSchedule, or UpdateSchedule when one by that name exists already (a retried create). */
  async put(schedule: MigrationSchedule): Promise<void> {
    const input = this.scheduleInput(schedule);
    try {
      await this.client.send(new CreateScheduleCommand(input));
    } catch (err) {
      if (!(err instanceof ConflictException)) throw err;
      await this.client.send(new UpdateScheduleCommand(input));
    }
  }

  /** DeleteSchedule; one already gone (fired at() schedules delete themselves) is fine. */
  async delete(scheduleId: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: scheduleId, GroupName: this.config.groupName }));
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return;
      throw err;
    }
  }

  scheduleInput(schedule: MigrationSchedule): CreateScheduleCommandInput {
    const oneTime = schedule.kind === ScheduleKind.AT;
    return {
      Name: schedule.id,
      GroupName: this.config.groupName,
      Description: `share-migration: migrate share ${schedule.share_id} to ${schedule.host}`.slice(0, 512),
      ScheduleExpression: oneTime ? atExpression(schedule.at!) : schedule.cron!,
      ScheduleExpressionTimezone: oneTime ? 'UTC' : schedule.timezone,
      FlexibleTimeWindow: { Mode: FlexibleTimeWindowMode.OFF },
      State: ScheduleState.ENABLED,
      ActionAfterCompletion: oneTime ? ActionAfterCompletion.DELETE : ActionAfterCompletion.NONE,
      Target: {
        Arn: this.config.stateMachineArn,
        RoleArn: this.config.roleArn,
        Input: JSON.stringify(scheduleExecutionInput(schedule)),
        RetryPolicy: {
          MaximumRetryAttempts: this.config.maximumRetryAttempts ?? 2,
          MaximumEventAgeInSeconds: windowSeconds(schedule.window_minutes),
        },
        DeadLetterConfig: { Arn: this.config.deadLetterQueueArn },
      },
    };
  }
}

/** `at(yyyy-mm-ddThh:mm:ss)` of an ISO-8601 UTC time, read in ScheduleExpressionTimezone UTC. */
export function atExpression(isoUtc: string): string {
  return `at(${new Date(isoUtc).toISOString().slice(0, 19)})`;
}

function windowSeconds(minutes: number): number {
  return Math.min(Math.max(minutes, MIN_WINDOW_MINUTES), MAX_WINDOW_MINUTES) * 60;
}
