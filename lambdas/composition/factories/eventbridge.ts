import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { MigrationEventPublisher } from '../../core/events/migration-event.ts';
import { EventBridgePublisher } from '../../adapters/eventbridge/eventbridge-publisher.ts';
import type { AdapterFactory } from '../aws-function.ts';
import { FunctionEnv } from '../function-env.ts';

/** task_state changes onto the stack's bus (every function that moves a migration's task_state). */
export const eventBridgeEvents: AdapterFactory<MigrationEventPublisher> = (context) =>
  new EventBridgePublisher(new EventBridgeClient({}), context.required(FunctionEnv.EVENT_BUS_NAME));
