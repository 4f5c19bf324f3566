import { Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The environment variable naming the bus the functions publish task_state changes on. */
export const EVENT_BUS_NAME_ENV = 'SMIG_EVENT_BUS_NAME';

/** The bus's name when none is given. */
export const DEFAULT_EVENT_BUS_NAME = 'share-migration';

export interface MigrationEventsProps {
  /**
   * The bus's name; one per account and region, so two stacks there need two names.
   * @default 'share-migration'
   */
  readonly eventBusName?: string;
}

/**
 * The `share-migration` EventBridge bus: every task_state change is put on it as a documented event
 * (README, "Events"), for operators' rules and targets. The copy task failures the monitoring rule
 * sees on the default bus are forwarded onto it too (MigrationMonitoring).
 */
export class MigrationEvents extends Construct {
  readonly bus: events.EventBus;

  constructor(scope: Construct, id: string, props: MigrationEventsProps = {}) {
    super(scope, id);
    const eventBusName = props.eventBusName ?? DEFAULT_EVENT_BUS_NAME;
    if (!Token.isUnresolved(eventBusName) && !/^[A-Za-z0-9._-]{1,256}$/.test(eventBusName)) {
      throw new Error(`MigrationEvents: event bus name "${eventBusName}" must be 1-256 letters, digits, ".", "-" or "_"`);
    }
    this.bus = new events.EventBus(this, 'Bus', { eventBusName, description: 'share-migration: task_state changes of migrations' });
  }

  /** What the publisher reads (SMIG_EVENT_BUS_NAME). */
  get environment(): Record<string, string> {
    return { [EVENT_BUS_NAME_ENV]: this.bus.eventBusName };
  }

  /** events:PutEvents on this bus, and nothing else. */
  grantPublish(grantee: iam.IGrantable): iam.Grant {
    return this.bus.grantPutEventsTo(grantee);
  }
}
