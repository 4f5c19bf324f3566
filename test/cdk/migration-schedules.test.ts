import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { MigrationSchedules } from '../../cdk/lib/migration-schedules.ts';
import type { ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import { logicalId, synthesizeStack } from './support.ts';

let stack: ShareMigrationStack;
let template: Template;
beforeAll(() => {
  ({ stack, template } = synthesizeStack());
});

const arnOf = (construct: Parameters<typeof logicalId>[0]) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
/** The state machine's ARN as built from its fixed name (MigrationWorkflow.stateMachineArn). */
const stateMachineArn = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':stateMachine:ShareMigration-migration']],
};
const groupSchedulesArn = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':schedule/ShareMigration-migrations/*']],
};

describe('Construct: MigrationSchedules', () => {
  it('creates the schedule group, named after the stack, removed with it', () => {
    // Assess
    template.hasResource('AWS::Scheduler::ScheduleGroup', {
      Properties: { Name: 'ShareMigration-migrations' },
      DeletionPolicy: 'Delete',
    });
  });

  it('lets EventBridge Scheduler of this account assume the role, which may start the state machine and dead-letter, and nothing else', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack.schedules.role) }] } }));
    expect(policies).toHaveLength(1);
    expect(policies[0]!.Properties.PolicyDocument.Statement).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: stateMachineArn },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: arnOf(stack.schedules.deadLetterQueue) },
    ]);
  });

  it('keeps undeliverable firings 14 days in an encrypted queue that refuses plain HTTP', () => {
    // Assess
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(stack.schedules.deadLetterQueue) }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: 'sqs:*', Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ],
      },
    });
  });

  it('lets the API function manage the schedules of its group and pass the scheduler role to EventBridge Scheduler only', () => {
    // Assess: exactly these two statements, among the others function-permissions.ts declares (function-grants.test.ts):
    // the schedule calls the API's bundle can make (it never reads a schedule back), and the role they pass.
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(stack.api.handler.role!) }] } }));
    const statements = policy!.Properties.PolicyDocument.Statement as { Action: unknown }[];
    expect(statements.filter((s) => JSON.stringify(s.Action).includes('scheduler:') || JSON.stringify(s.Action).includes('iam:'))).toEqual([
      {
        Action: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:UpdateSchedule'],
        Effect: 'Allow',
        Resource: groupSchedulesArn,
      },
      {
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        Effect: 'Allow',
        Resource: arnOf(stack.schedules.role),
      },
    ]);
  });

  it('gives no step function a scheduler or sqs permission (validate records firings in the catalog table)', () => {
    // Assess
    for (const fn of Object.values(stack.lambdas.byStep)) {
      const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(fn.role!) }] } }));
      const actions = JSON.stringify(policies.map((p) => p.Properties.PolicyDocument.Statement));
      expect(actions, fn.node.path).not.toMatch(/scheduler:|sqs:/);
      // The only role a step passes is the copy task's (prepare destination registers its revisions), never the scheduler's.
      expect(actions, fn.node.path).not.toContain(logicalId(stack.schedules.role));
    }
  });

  it('gives the API function the group, role, queue and target its EventBridge Scheduler adapter reads (lambdas/composition/factories/scheduler.ts)', () => {
    // Assess
    const variables = template.toJSON().Resources[logicalId(stack.api.handler)].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      SMIG_SCHEDULE_GROUP: 'ShareMigration-migrations',
      SMIG_SCHEDULER_ROLE_ARN: arnOf(stack.schedules.role),
      SMIG_SCHEDULE_DLQ_ARN: arnOf(stack.schedules.deadLetterQueue),
      // The ARN built from the state machine's name (MigrationWorkflow.stateMachineArn), as the steps get it.
      SMIG_STATE_MACHINE_ARN: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':stateMachine:ShareMigration-migration']],
      },
    });
  });

  it('fails at synth, saying what to do, on a schedule group name EventBridge would refuse', () => {
    // Prepare
    const scope = new Stack(new App(), 'S');

    // Act & Assess
    expect(() => new MigrationSchedules(scope, 'Schedules', { stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:m', scheduleGroupName: 'a b' })).toThrow(
      /schedule group name "a b" must be 1-64 letters, digits, "\.", "-" or "_"; give a shorter scheduleGroupName/,
    );
  });

  it('grants through any grantable, e.g. an imported role', () => {
    // Prepare
    const scope = new Stack(new App(), 'S');
    const schedules = new MigrationSchedules(scope, 'Schedules', { stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:m' });
    const role = new iam.Role(scope, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // Act
    schedules.grantManageSchedules(role);

    // Assess
    Template.fromStack(scope).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(role) }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: Match.arrayWith(['scheduler:CreateSchedule']) }), Match.objectLike({ Action: 'iam:PassRole' })] },
    });
  });
});
