import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SchedulerEnv } from '../../lambdas/adapters/scheduler/scheduler-env.ts';

/** What the API function does with schedules (lambdas/adapters/scheduler/eventbridge-scheduler.ts). */
export const MANAGE_SCHEDULE_ACTIONS: readonly string[] = [
  'scheduler:CreateSchedule',
  'scheduler:DeleteSchedule',
  'scheduler:GetSchedule',
  'scheduler:UpdateSchedule',
];

const SCHEDULER_SERVICE = 'scheduler.amazonaws.com';

export interface MigrationSchedulesProps {
  /** The migration state machine the schedules start; its ARN built from its name (MigrationWorkflow.stateMachineArn). */
  readonly stateMachineArn: string;
  /**
   * The schedule group the API creates every migration schedule in.
   * @default - `<stack name>-migrations`
   */
  readonly scheduleGroupName?: string;
  /**
   * How long a firing that could not start its execution stays in the dead-letter queue.
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
}

/**
 * What scheduled migrations need on AWS: a schedule group, the role EventBridge Scheduler assumes to
 * start the state machine (and to dead-letter a firing it could not deliver), and that encrypted
 * dead-letter queue. The schedules themselves are made at run time by the API (one per migration
 * schedule); `grantManageSchedules` and `environment` give a function what it needs for that.
 */
export class MigrationSchedules extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: MigrationSchedulesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const groupName = props.scheduleGroupName ?? `${stack.stackName}-migrations`;
    if (!Token.isUnresolved(groupName) && !/^[0-9a-zA-Z._-]{1,64}$/.test(groupName)) {
      throw new Error(`MigrationSchedules: schedule group name "${groupName}" must be 1-64 letters, digits, ".", "-" or "_"; give a shorter scheduleGroupName`);
    }

    // Without the stack, its schedules would fire at a state machine that no longer exists.
    this.group = new scheduler.ScheduleGroup(this, 'Group', { scheduleGroupName: groupName, removalPolicy: RemovalPolicy.DESTROY });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.deadLetterRetention ?? Duration.days(14),
    });
    this.role = new iam.Role(this, 'SchedulerRole', {
      description: 'share-migration: EventBridge Scheduler starts the migration state machine',
      // Only this account's schedules may use it (the confused-deputy guard AWS documents for Scheduler).
      assumedBy: new iam.ServicePrincipal(SCHEDULER_SERVICE, { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [props.stateMachineArn] }));
    // EventBridge Scheduler sends dead-letter events with the schedule's execution role.
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
  }

  /** What lambdas/composition/aws.ts reads to build the EventBridge Scheduler adapter. */
  get environment(): Record<string, string> {
    return {
      [SchedulerEnv.GROUP]: this.group.scheduleGroupName,
      [SchedulerEnv.ROLE_ARN]: this.role.roleArn,
      [SchedulerEnv.DLQ_ARN]: this.deadLetterQueue.queueArn,
    };
  }

  /** Create, update, read and delete schedules of this group, and pass the scheduler role to EventBridge Scheduler only. */
  grantManageSchedules(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: [...MANAGE_SCHEDULE_ACTIONS],
      resourceArns: [
        Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.group.scheduleGroupName}/*` }),
      ],
    });
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [this.role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': SCHEDULER_SERVICE } },
    }));
  }
}
