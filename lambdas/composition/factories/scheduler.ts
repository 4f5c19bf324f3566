import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SchedulerPort } from '../../core/schedules/ports.ts';
import { EventBridgeScheduler } from '../../adapters/scheduler/eventbridge-scheduler.ts';
import { SchedulerEnv } from '../../adapters/scheduler/scheduler-env.ts';
import type { AdapterFactory } from '../aws-function.ts';

/** Migration schedules as EventBridge Scheduler schedules of the stack's group (the API). */
export const eventBridgeScheduler: AdapterFactory<SchedulerPort> = (context) =>
  new EventBridgeScheduler(new SchedulerClient({}), {
    groupName: context.required(SchedulerEnv.GROUP),
    roleArn: context.required(SchedulerEnv.ROLE_ARN),
    deadLetterQueueArn: context.required(SchedulerEnv.DLQ_ARN),
    stateMachineArn: context.required(SchedulerEnv.STATE_MACHINE_ARN),
  });
