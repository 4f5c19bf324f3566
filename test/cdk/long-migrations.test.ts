import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StateName } from '../../cdk/lib/migration-workflow.ts';
import type { ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import { HANDOVER_AFTER_CYCLES, COPY_PASS_TIMEOUT, copyPassTimeoutSeconds, DRIVER_POLL, nextDriverPollSeconds } from '../../lambdas/core/workflow.ts';
import { resolveDefinition, type CfnTemplate } from '../../local/synthesized-definition.ts';
import { logicalId, synthesizeStack } from './support.ts';

type State = Record<string, unknown>;

// One synth for the whole file.
let stack: ShareMigrationStack;
let template: Template;
let states: Record<string, State>;

beforeAll(() => {
  ({ stack, template } = synthesizeStack());
  states = (resolveDefinition(template.toJSON() as CfnTemplate) as { States: Record<string, State> }).States;
});

const toCleanup = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: StateName.CLEANUP };
/** The state machine's ARN as the stack builds it from its name (MigrationWorkflow.stateMachineArn), resolved locally. */
const OWN_ARN = 'arn:aws:states:local:000000000000:stateMachine:ShareMigration-migration';
const handoverDue = (next: string) => ({
  Variable: '$.loop.cycles', NumericGreaterThanEquals: HANDOVER_AFTER_CYCLES, Next: next,
});
const prepareHandover = (at: string) => ({
  Type: 'Pass',
  Parameters: {
    'name.$': "States.Format('handover-{}', States.Hash($$.Execution.Id, 'MD5'))",
    input: { 'migration_id.$': '$.migration_id', resume: { at, 'state.$': '$' } },
  },
  ResultPath: '$.handover',
  Next: StateName.HAND_OVER,
});

describe('Construct: MigrationWorkflow (long migrations)', () => {
  it('polls the driver after the wait the poll chose, and hands the polls over to a new execution past the bound', () => {
    // Assess
    expect(states[StateName.WAIT_FOR_DRIVER]).toEqual({ Type: 'Wait', SecondsPath: '$.driver_wait_seconds', Next: StateName.DRIVER_CONTINUE });
    expect(states[StateName.DRIVER_PHASE1_DONE]).toMatchObject({ Default: StateName.HAND_OVER_POLL });
    expect(states[StateName.HAND_OVER_POLL]).toEqual({
      Type: 'Choice', Choices: [handoverDue(StateName.PREPARE_HANDOVER_POLL)], Default: StateName.WAIT_FOR_DRIVER,
    });
    expect(states[StateName.PREPARE_HANDOVER_POLL]).toEqual(prepareHandover('driver-poll'));
  });

  it('counts every wait for migration_complete that timed out, and hands the wait over past the bound', () => {
    // Assess
    expect((states[StateName.AWAIT_COMPLETION]!.Catch as unknown[])[0]).toEqual({ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: StateName.COUNT_WAIT });
    expect(states[StateName.COUNT_WAIT]).toEqual({
      Type: 'Pass', Parameters: { 'cycles.$': 'States.MathAdd($.loop.cycles, 1)' }, ResultPath: '$.loop', Next: StateName.HAND_OVER_WAIT,
    });
    expect(states[StateName.HAND_OVER_WAIT]).toEqual({
      Type: 'Choice', Choices: [handoverDue(StateName.PREPARE_HANDOVER_WAIT)], Default: StateName.REFRESH_WHICH,
    });
    expect(states[StateName.PREPARE_HANDOVER_WAIT]).toEqual(prepareHandover('await-completion'));
  });

  it('starts the next execution of this same state machine with this input plus where to resume, then ends successfully', () => {
    // Assess
    expect(states[StateName.HAND_OVER]).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: {
        StateMachineArn: OWN_ARN,
        'Name.$': '$.handover.name',
        'Input.$': 'States.JsonMerge($$.Execution.Input, $.handover.input, false)',
      },
      ResultPath: null,
      TimeoutSeconds: 60,
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 8, BackoffRate: 2 }],
      Catch: [toCleanup],
      Next: StateName.HANDED_OVER,
    });
    expect(states[StateName.HANDED_OVER]).toEqual({ Type: 'Succeed', Comment: 'The migration goes on in the execution started by the handover' });
  });

  it('lets the state machine start executions of itself, by its own ARN only', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack.workflow.stateMachine.role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: stack.resolve(stack.workflow.stateMachineArn) }]),
      },
    });
  });
});

describe('Construct: MigrationMonitoring (ended executions)', () => {
  it('sends the executions of the state machine that were aborted, timed out or failed to the ended-execution cleanup', () => {
    // Assess
    const rule = template.toJSON().Resources[logicalId(stack.monitoring.executionEndedRule)].Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { stateMachineArn: [{ Ref: logicalId(stack.workflow.stateMachine) }], status: ['ABORTED', 'TIMED_OUT', 'FAILED'] },
    });
    expect(rule.Targets).toEqual([{
      Arn: { 'Fn::GetAtt': [logicalId(stack.lambdas.executionEnded), 'Arn'] },
      Id: 'Target0',
      RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 8 },
    }]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalId(stack.lambdas.executionEnded), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(stack.monitoring.executionEndedRule), 'Arn'] },
    });
  });

  it.each([
    ['abortedExecutionsAlarm', 'ExecutionsAborted'],
    ['timedOutExecutionsAlarm', 'ExecutionsTimedOut'],
  ] as const)('alarms on %s (AWS/States %s of the state machine)', (alarm, metric) => {
    // Assess
    expect(template.toJSON().Resources[logicalId(stack.monitoring[alarm])].Properties).toMatchObject({
      Namespace: 'AWS/States',
      MetricName: metric,
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack.workflow.stateMachine) } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
    });
  });
});

describe('Function: nextDriverPollSeconds', () => {
  it('starts at a few seconds and doubles up to a few minutes', () => {
    // Act
    const waits: number[] = [];
    let wait: number | undefined;
    for (let i = 0; i < 10; i++) waits.push((wait = nextDriverPollSeconds(wait)));

    // Assess
    expect(waits).toEqual([5, 10, 20, 40, 80, 160, 300, 300, 300, 300]);
    expect(DRIVER_POLL.MAX_SECONDS).toBe(300);
  });
});

describe('Function: copyPassTimeoutSeconds', () => {
  it.each([
    [0, COPY_PASS_TIMEOUT.FLOOR_SECONDS],
    [100, COPY_PASS_TIMEOUT.FLOOR_SECONDS],
    // 1 TiB at 10 MiB/s: about 29 hours.
    [1024, 104_858],
    [100 * 1024, COPY_PASS_TIMEOUT.CEILING_SECONDS],
  ])('gives a share of %i GiB %i seconds a pass', (sizeGiB, seconds) => {
    // Assess
    expect(copyPassTimeoutSeconds(sizeGiB)).toBe(seconds);
  });
});
