import { mockClient } from 'aws-sdk-client-mock';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  ThrottlingException,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeScheduler, atExpression, type EventBridgeSchedulerConfig } from '../../lambdas/adapters/scheduler/eventbridge-scheduler.ts';
import { validateMigrationInput } from '../../lambdas/core/migrations/migration-request.ts';
import type { MigrationSchedule } from '../../lambdas/core/schedules/model.ts';

const CONFIG: EventBridgeSchedulerConfig = {
  groupName: 'ShareMigration-migrations',
  roleArn: 'arn:aws:iam::123456789012:role/ShareMigration-SchedulerRole',
  deadLetterQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:ShareMigration-SchedulesDeadLetterQueue',
  stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:ShareMigration-migration',
};

const OPTIONS = validateMigrationInput({ share_id: 's-1', host: 'local@beta#default', writable: true, preserve_metadata: true, auto_complete: true }).options;

const AT: MigrationSchedule = {
  id: '7d1c1a52-9a37-4f6e-8d0c-7f1f5d1c2b3a',
  share_id: 's-1',
  host: 'local@beta#default',
  options: OPTIONS,
  kind: 'at',
  at: '2026-03-01T02:00:00.000Z',
  cron: null,
  timezone: 'UTC',
  window_minutes: 30,
  state: 'active',
  next_fire_at: '2026-03-01T02:00:00.000Z',
  last_firing: null,
  firings: [],
  created_at: '2026-02-20T10:00:00.000Z',
  updated_at: '2026-02-20T10:00:00.000Z',
  version: 1,
};
const CRON: MigrationSchedule = { ...AT, id: 'c-1', kind: 'cron', at: null, cron: 'cron(0 2 ? * SUN *)', timezone: 'Europe/Paris', window_minutes: 120 };


/** An SDK service exception as the client throws it. */
function serviceError<E>(Type: new (opts: never) => E, message: string): E {
  return new Type({ message, Message: message, $metadata: {} } as never);
}

describe('Class: EventBridgeScheduler', () => {
  const scheduler = mockClient(SchedulerClient);
  const adapter = () => new EventBridgeScheduler(new SchedulerClient({ region: 'eu-west-1' }), CONFIG);
  beforeEach(() => scheduler.reset());

  describe('Method: put', () => {
    it('creates a one-time schedule: at() in UTC, no flexible window, deleted after it fires, targeting the state machine with the execution input', async () => {
      // Prepare
      scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/ShareMigration-migrations/x' });

      // Act
      await adapter().put(AT);

      // Assess
      const input = scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input;
      expect(input).toEqual({
        Name: AT.id,
        GroupName: CONFIG.groupName,
        Description: 'share-migration: migrate share s-1 to local@beta#default',
        ScheduleExpression: 'at(2026-03-01T02:00:00)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: CONFIG.stateMachineArn,
          RoleArn: CONFIG.roleArn,
          Input: expect.any(String),
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 30 * 60 },
          DeadLetterConfig: { Arn: CONFIG.deadLetterQueueArn },
        },
      });
      // The documented input: no migration_id (Step Functions names the execution), the schedule's id.
      const executionInput = JSON.parse(input.Target!.Input!);
      expect(executionInput).toEqual({ share_id: 's-1', host: 'local@beta#default', ...OPTIONS, schedule_id: AT.id });
      expect(validateMigrationInput(executionInput)).toMatchObject({ migrationId: null, scheduleId: AT.id });
      expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
    });

    it('creates a recurring schedule: cron() in its time zone, kept after each firing, its window as the event age', async () => {
      // Prepare
      scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });

      // Act
      await adapter().put(CRON);

      // Assess
      expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input).toMatchObject({
        Name: 'c-1',
        ScheduleExpression: 'cron(0 2 ? * SUN *)',
        ScheduleExpressionTimezone: 'Europe/Paris',
        ActionAfterCompletion: 'NONE',
        Target: { RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 } },
      });
    });

    it('updates the schedule when one by that name exists (ConflictException on create), with the same request', async () => {
      // Prepare
      scheduler.on(CreateScheduleCommand).rejects(serviceError(ConflictException, 'Schedule c-1 already exists.'));
      scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn' });

      // Act
      await adapter().put(CRON);

      // Assess
      const created = scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input;
      expect(scheduler.commandCalls(UpdateScheduleCommand)[0]!.args[0].input).toEqual(created);
    });

    it.each([
      ['throttling', () => serviceError(ThrottlingException, 'Rate exceeded'), 'ThrottlingException'],
      ['a refused request', () => serviceError(ValidationException, 'Invalid Schedule Expression'), 'ValidationException'],
    ])('passes %s on to the caller, who then keeps no schedule record', async (_, make, name) => {
      // Prepare
      scheduler.on(CreateScheduleCommand).rejects(make());

      // Act & Assess
      await expect(adapter().put(AT)).rejects.toMatchObject({ name });
      expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
    });

    it('passes throttling of the update after a conflict on', async () => {
      // Prepare
      scheduler.on(CreateScheduleCommand).rejects(serviceError(ConflictException, 'exists'));
      scheduler.on(UpdateScheduleCommand).rejects(serviceError(ThrottlingException, 'Rate exceeded'));

      // Act & Assess
      await expect(adapter().put(AT)).rejects.toBeInstanceOf(ThrottlingException);
    });

    it('honours a configured retry count and clamps the window to what EventBridge accepts', async () => {
      // Prepare
      scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
      const custom = new EventBridgeScheduler(new SchedulerClient({ region: 'eu-west-1' }), { ...CONFIG, maximumRetryAttempts: 0 });

      // Act
      await custom.put({ ...AT, window_minutes: 24 * 60 });

      // Assess
      expect(scheduler.commandCalls(CreateScheduleCommand)[0]!.args[0].input.Target!.RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 86_400 });
    });
  });

  describe('Method: delete', () => {
    it('deletes the schedule of that name in the group', async () => {
      // Prepare
      scheduler.on(DeleteScheduleCommand).resolves({});

      // Act
      await adapter().delete('c-1');

      // Assess
      expect(scheduler.commandCalls(DeleteScheduleCommand)[0]!.args[0].input).toEqual({ Name: 'c-1', GroupName: CONFIG.groupName });
    });

    it('treats a schedule that is already gone (a fired at() schedule deletes itself) as deleted', async () => {
      // Prepare
      scheduler.on(DeleteScheduleCommand).rejects(serviceError(ResourceNotFoundException, 'Schedule c-1 does not exist.'));

      // Act & Assess
      await expect(adapter().delete('c-1')).resolves.toBeUndefined();
    });

    it('passes throttling on, so the schedule record is kept and the delete can be retried', async () => {
      // Prepare
      scheduler.on(DeleteScheduleCommand).rejects(serviceError(ThrottlingException, 'Rate exceeded'));

      // Act & Assess
      await expect(adapter().delete('c-1')).rejects.toBeInstanceOf(ThrottlingException);
    });
  });
});

describe('Function: atExpression', () => {
  it.each([
    ['2026-03-01T02:00:00.000Z', 'at(2026-03-01T02:00:00)'],
    ['2026-12-31T23:59:59.999Z', 'at(2026-12-31T23:59:59)'],
  ])('%s is %s', (iso, expression) => {
    expect(atExpression(iso)).toBe(expression);
  });
});
