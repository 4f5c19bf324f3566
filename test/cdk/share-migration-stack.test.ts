import aslValidator from 'asl-validator';
import { copyPassEnd, copyPassEntry } from '../../cdk/lib/workflow-copy-pass.ts';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { STATE_MACHINE_ARN_ENV } from '../../cdk/lib/manila-api.ts';
import { CompositionEnv, STEP_NAME_ENV } from '../../cdk/lib/migration-function.ts';
import { CONCURRENT_UPDATE_ERROR, COPY_TASK_START_ERRORS, RETRIED_STEP_ERRORS, STEP_STATE, StateName } from '../../cdk/lib/migration-workflow.ts';
import { ADMIN_TOKEN_SHA256_PARAMETER, ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import { sha256Hex } from '../../lambdas/core/auth/hashed-token-verifier.ts';
import { ConcurrentUpdateError, GuaranteeUnmetError, InvalidRequestError, InvalidShareStateError, NotFoundError } from '../../lambdas/core/errors.ts';
import { TABLES, type IndexSchema } from '../../lambdas/adapters/dynamodb/table-schema.ts';
import { FUNCTION_PERMISSIONS } from '../../lambdas/composition/function-permissions.ts';
import { ALL_STEPS, COPY_FAULT_RETRY, REFUSAL_ERRORS, Step } from '../../lambdas/core/workflow.ts';
import { localLambdaArn, resolveDefinition, type CfnTemplate } from '../../local/synthesized-definition.ts';
import { cdkJsonContext, logicalId, synthesizeStack } from './support.ts';

type State = Record<string, unknown>;

// One synth for the whole file.
let stack: ShareMigrationStack;
let template: Template;
let definition: { StartAt: string; States: Record<string, State> };

beforeAll(() => {
  ({ stack, template } = synthesizeStack());
  definition = resolveDefinition(template.toJSON() as CfnTemplate) as typeof definition;
});

const stepArn = (step: Step): string => localLambdaArn(logicalId(stack.lambdas.forStep(step)));
const state = (name: string): State => {
  const found = definition.States[name];
  if (found === undefined) throw new Error(`no state ${name}`);
  return found;
};
const stepRetry = { ErrorEquals: [...RETRIED_STEP_ERRORS], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 };
const anyErrorRetry = { ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 };
/** A driver (EFS) still at work: a minute between tries, for about half an hour. */
const notReadyRetry = { ErrorEquals: ['EfsNotReadyError'], IntervalSeconds: 60, MaxAttempts: 30, BackoffRate: 1 };
/** A copy task that did not start: ECS API errors and RunTask `failures`, with backoff (30 s, 60 s, ... about 15 minutes). */
const copyStartRetry = {
  ErrorEquals: ['ECS.AmazonECSException', 'ECS.InvalidParameterException', 'ECS.ServerException', 'ECS.ThrottlingException', 'ECS.SdkClientException', 'AmazonECS.Unknown'],
  IntervalSeconds: 30,
  MaxAttempts: 5,
  BackoffRate: 2,
};
const toCleanup = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: StateName.CLEANUP };
/** A copy pass's task failure is read first: an infrastructure fault runs it again (workflow-copy-faults.ts). */
const toFaults = (copy: string) => ({ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.copy_faults.error', Next: `${copy}: task described?` });
/**
 * The steps that wait on a task token and may answer it themselves: the wait for migration_complete, the
 * switchover's wait for the operator, and a copy pass waiting out an infrastructure fault past its retry
 * ladder (workflow-copy-fault-parking.ts), which a cancel that came before its token ends at once.
 */
const TOKEN_STEPS: readonly Step[] = [Step.AWAIT_COMPLETION, Step.AWAIT_SWITCHOVER, Step.COPY_FAULT];
/**
 * Every single copy task (not a partition's, which runs in a Map's child execution): each has the fault
 * states of workflow-copy-faults.ts, and, once it succeeded, clears the record of a fault wait if there is one.
 */
const COPY_TASKS: readonly string[] = [
  StateName.SNAPSHOT_COPY, StateName.BULK_COPY, `${StateName.BULK_COPY}: plan partitions`, StateName.REFRESH_COPY, StateName.FINAL_COPY,
  ...[StateName.BULK_COPY, StateName.REFRESH_COPY, StateName.FINAL_COPY].map((pass) => `${pass}: seal partitions`),
];
/** What follows a copy task that succeeded (workflow-copy-fault-parking.ts, afterPass): was a fault wait recorded? */
const faultRecorded = (copy: string) => `${copy}: copy fault recorded?`;
/** The record of a fault wait cleared (only if one was recorded), then `next` (where the copy task led before). */
const afterCopy = (copy: string, next: string): State => ({
  Type: 'Choice',
  Choices: [
    {
      And: [
        { Variable: '$.copy_fault_wait_seconds', IsPresent: true },
        { Variable: '$.copy_fault_wait_seconds', IsNumeric: true },
        { Variable: '$.copy_fault_wait_seconds', NumericGreaterThan: 0 },
      ],
      Next: `${copy}: clear the copy fault`,
    },
  ],
  Default: next,
});
const taskStates = (): [string, State][] => Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
/** The state machine's ARN as the template builds it from its fixed name, without referring to the resource. */
const formattedStateMachineArn = {
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':stateMachine:ShareMigration-migration'],
  ],
};
/** The passes a migration with partitions runs as a Distributed Map (the snapshots' copies stay one task). */
const PARTITIONED_PASSES = [StateName.BULK_COPY, StateName.REFRESH_COPY, StateName.FINAL_COPY];
const tableArn = (id: 'shares' | 'migrations' | 'catalog' | 'partitions') => ({ 'Fn::GetAtt': [logicalId(stack.tables.table(id)), 'Arn'] });
/** What the DynamoDB stores send (function-permissions.ts STORE_ACTIONS). */
const storeActions = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'];
/** What every function's role allows besides its grants (cdk/lib/service-function.ts): X-Ray, and writing its own log group. */
const xrayStatement = { Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Effect: 'Allow', Resource: '*' };
const ownLogsStatement = (fn: IConstruct) => ({
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Effect: 'Allow',
  Resource: { 'Fn::GetAtt': [logicalId(fn.node.scope!.node.findChild(`${fn.node.id}Logs`)), 'Arn'] },
});
/** `task-definition/<copy family>-*:*`: the revisions of every migration's own family (`<copy family>-<migration id>`). */
const migrationRevisionsArn = (): unknown => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:task-definition/${stack.copyTask.taskDefinition.family}-*:*`]],
});
/** The environment every function gets for Powertools and the event bus. */
const operationsEnvironment = () => ({
  POWERTOOLS_SERVICE_NAME: 'share-migration',
  POWERTOOLS_METRICS_NAMESPACE: 'ShareMigration',
  SMIG_EVENT_BUS_NAME: { Ref: logicalId(stack.events.bus) },
});

describe('Construct: MigrationWorkflow', () => {
  it('starts by validating the execution input with the execution name; a refusal fails with no cleanup, any other error goes to cleanup', () => {
    // Assess: ValidateStepInput, the execution name being the migration id of a console start (a purge-only input aside).
    expect(definition.StartAt).toBe(StateName.PURGE_ONLY);
    expect(state(StateName.PURGE_ONLY)).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.purge', IsPresent: true, Next: StateName.PLAN_PURGE }],
      Default: StateName.VALIDATE,
    });
    expect(state(StateName.VALIDATE)).toEqual({
      Type: 'Task',
      Resource: stepArn(Step.VALIDATE),
      Parameters: { 'request.$': '$', 'execution_name.$': '$$.Execution.Name', 'execution_id.$': '$$.Execution.Id' },
      TimeoutSeconds: 360,
      Retry: [stepRetry],
      Catch: [
        { ErrorEquals: ['InvalidRequestError', 'InvalidShareStateError', 'NotFoundError', 'GuaranteeUnmetError'], ResultPath: '$.error', Next: StateName.REJECTED },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: StateName.FAILED_START },
      ],
      Next: StateName.RESUME_AT,
    });
    expect(state(StateName.VALIDATE).ResultPath).toBeUndefined();
    expect(state(StateName.REJECTED)).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    // FailedStartState: what validate received, and the error; cleanup finds the migration from it.
    expect(state(StateName.FAILED_START)).toEqual({
      Type: 'Pass',
      Parameters: { 'request.$': '$$.Execution.Input', 'execution_name.$': '$$.Execution.Name', 'error.$': '$.error' },
      Next: StateName.CLEANUP,
    });
  });

  it('refuses by the names of the domain errors that refuse a request before anything is locked', () => {
    // Assess
    expect(REFUSAL_ERRORS).toEqual([
      new InvalidRequestError('').name, new InvalidShareStateError('').name, new NotFoundError('').name, new GuaranteeUnmetError('').name,
    ]);
  });

  it('resumes a migration whose switchover had begun at that switchover, and otherwise asks the driver', () => {
    // Assess
    expect(state(StateName.RESUME_AT)).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.resume_at', IsPresent: true },
            { Variable: '$.resume_at', StringEquals: 'cutover' },
          ],
          Next: StateName.CUTOVER,
        },
        {
          And: [
            { Variable: '$.resume_at', IsPresent: true },
            { Variable: '$.resume_at', StringEquals: 'driver-complete' },
          ],
          Next: StateName.DRIVER_COMPLETE,
        },
        // An execution a handover started: back to the loop its predecessor was in (test/cdk/execution-history.test.ts).
        {
          And: [
            { Variable: '$.resume_at', IsPresent: true },
            { Variable: '$.resume_at', StringEquals: 'driver-poll' },
          ],
          Next: StateName.DRIVER_CONTINUE,
        },
        {
          And: [
            { Variable: '$.resume_at', IsPresent: true },
            { Variable: '$.resume_at', StringEquals: 'await-completion' },
          ],
          Next: StateName.AWAIT_COMPLETION,
        },
        // A copy pass that was waiting out an infrastructure fault: its copy state runs again (copy_faults.resume).
        {
          And: [
            { Variable: '$.resume_at', IsPresent: true },
            { Variable: '$.resume_at', StringEquals: 'copy-fault' },
          ],
          Next: StateName.RESUME_COPY,
        },
      ],
      Default: StateName.DRIVER_COMPATIBILITY,
    });
    // Each copy state by its own name (in the order the passes were built: sorted here); a name this definition
    // does not have (a deploy renamed it) goes to cleanup.
    const resumeCopy = state(StateName.RESUME_COPY) as { Choices: { StringEquals: string }[] };
    expect({ ...resumeCopy, Choices: [...resumeCopy.Choices].sort((a, b) => a.StringEquals.localeCompare(b.StringEquals)) }).toEqual({
      Type: 'Choice',
      Choices: [...COPY_TASKS].sort((a, b) => a.localeCompare(b)).map((copy) => ({ Variable: '$.copy_faults.resume', StringEquals: copy, Next: copy })),
      Default: StateName.CLEANUP,
    });
    expect(state(StateName.DRIVER_COMPATIBILITY)).toMatchObject({ Catch: [toCleanup], Next: StateName.CAN_DRIVER_MIGRATE });
    // Both mechanisms make the source read-only and wait for its writers (test/cdk/workflow-switchover-purge.test.ts).
    expect(state(StateName.SOURCE_READ_ONLY)).toMatchObject({ Catch: [toCleanup], Next: StateName.SWITCHOVER_WRITERS });
    expect(state(StateName.DRIVER_COMPLETE)).toMatchObject({ Catch: [toCleanup], Next: StateName.PLAN_PURGE });
  });

  it('runs the bulk copy as a Fargate runTask.sync with the job in the copy container environment', () => {
    // Assess
    expect(state(StateName.BULK_COPY)).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::ecs:runTask.sync',
      Parameters: {
        Cluster: `arn:aws:ecs:local:000000000000:cluster/${logicalId(stack.copyTask.cluster)}`,
        // The migration's own revision, registered by prepare destination with both instances mounted.
        'TaskDefinition.$': '$.copy.task_definition',
        LaunchType: 'FARGATE',
        PlatformVersion: 'LATEST',
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            Subnets: expect.arrayContaining([expect.stringMatching(/^CopyTaskVpcprivateSubnet\dSubnet/)]),
            SecurityGroups: [`${logicalId(stack.copyTask.securityGroup)}.GroupId`],
          },
        },
        Overrides: {
          ContainerOverrides: [
            {
              Name: 'copy',
              Environment: [
                { Name: 'SMIG_MIGRATION_ID', 'Value.$': '$.migration_id' },
                { Name: 'SMIG_SOURCE', 'Value.$': '$.copy.source' },
                { Name: 'SMIG_DESTINATION', 'Value.$': '$.copy.destination' },
                { Name: 'SMIG_PASS', Value: 'bulk' },
                { Name: 'SMIG_VERIFY', Value: 'true' },
                { Name: 'SMIG_SOURCE_MODES', 'Value.$': '$.copy.source_modes' },
                { Name: 'SMIG_PRESERVE_METADATA', 'Value.$': '$.copy.preserve_metadata' },
              ],
            },
          ],
        },
      },
      // A pass that succeeds resets the count of infrastructure faults in a row.
      ResultPath: '$.copy_faults',
      ResultSelector: { attempts: 0 },
      TimeoutSecondsPath: '$.copy_timeout_seconds',
      Retry: [copyStartRetry],
      Catch: [toFaults(StateName.BULK_COPY), toCleanup],
      // A pass that succeeded first clears the record of a fault wait, if one was recorded (workflow-copy-fault-parking.ts).
      Next: faultRecorded(StateName.BULK_COPY),
    });
    expect(state(faultRecorded(StateName.BULK_COPY))).toEqual(afterCopy(StateName.BULK_COPY, copyPassEnd(StateName.BULK_COPY)));
  });

  it('starts every copy task again when it did not start, and never retries a copy that ran and failed', () => {
    // Assess
    expect(COPY_TASK_START_ERRORS).toEqual(copyStartRetry.ErrorEquals);
    for (const name of [StateName.BULK_COPY, StateName.SNAPSHOT_COPY, StateName.REFRESH_COPY, StateName.FINAL_COPY]) {
      expect(state(name).Retry, name).toEqual([copyStartRetry]);
      expect(JSON.stringify(state(name).Retry), name).not.toMatch(/States\.(TaskFailed|ALL)/);
    }
  });

  it('replays snapshots after preparing the destination: a loop of snapshot copy and destination snapshot, then the bulk copy', () => {
    // Assess
    expect(state(StateName.PREPARE_DESTINATION)).toMatchObject({ Retry: [stepRetry, notReadyRetry], Catch: [toCleanup], Next: StateName.MORE_SNAPSHOTS });
    expect(state(StateName.MORE_SNAPSHOTS)).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.snapshot_replay.more', IsPresent: true },
            { Variable: '$.snapshot_replay.more', BooleanEquals: true },
          ],
          Next: StateName.SNAPSHOT_COPY,
        },
      ],
      Default: copyPassEntry(StateName.BULK_COPY),
    });
    expect(state(StateName.SNAPSHOT_COPY)).toEqual({
      ...state(StateName.BULK_COPY),
      Parameters: {
        ...(state(StateName.BULK_COPY).Parameters as object),
        'TaskDefinition.$': '$.snapshot_replay.copy.task_definition',
        Overrides: {
          ContainerOverrides: [
            {
              Name: 'copy',
              Environment: [
                { Name: 'SMIG_MIGRATION_ID', 'Value.$': '$.migration_id' },
                { Name: 'SMIG_SOURCE', 'Value.$': '$.snapshot_replay.copy.source' },
                { Name: 'SMIG_DESTINATION', 'Value.$': '$.snapshot_replay.copy.destination' },
                { Name: 'SMIG_PASS', Value: 'bulk' },
                { Name: 'SMIG_VERIFY', Value: 'true' },
                { Name: 'SMIG_SOURCE_MODES', 'Value.$': '$.snapshot_replay.copy.source_modes' },
                { Name: 'SMIG_PRESERVE_METADATA', 'Value.$': '$.snapshot_replay.copy.preserve_metadata' },
              ],
            },
          ],
        },
      },
      Catch: [toFaults(StateName.SNAPSHOT_COPY), toCleanup],
      Next: faultRecorded(StateName.SNAPSHOT_COPY),
    });
    expect(state(faultRecorded(StateName.SNAPSHOT_COPY))).toEqual(afterCopy(StateName.SNAPSHOT_COPY, StateName.SNAPSHOT_DESTINATION));
    expect(state(StateName.SNAPSHOT_DESTINATION)).toEqual({
      Type: 'Task',
      Resource: stepArn(Step.SNAPSHOT_DESTINATION),
      TimeoutSeconds: 360,
      Retry: [stepRetry],
      Catch: [toCleanup],
      Next: StateName.MORE_SNAPSHOTS,
    });
  });

  it('runs the final delta as the same task with SMIG_PASS=final, then cuts over', () => {
    // Assess
    const finalCopy = state(StateName.FINAL_COPY);
    const bulkCopy = state(StateName.BULK_COPY);
    expect(finalCopy.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
    expect(finalCopy.Parameters).toEqual({
      ...(bulkCopy.Parameters as object),
      Overrides: {
        ContainerOverrides: [
          {
            Name: 'copy',
            Environment: [
              { Name: 'SMIG_MIGRATION_ID', 'Value.$': '$.migration_id' },
              { Name: 'SMIG_SOURCE', 'Value.$': '$.copy.source' },
              { Name: 'SMIG_DESTINATION', 'Value.$': '$.copy.destination' },
              { Name: 'SMIG_PASS', Value: 'final' },
              { Name: 'SMIG_VERIFY', Value: 'true' },
              { Name: 'SMIG_SOURCE_MODES', 'Value.$': '$.copy.source_modes' },
              { Name: 'SMIG_PRESERVE_METADATA', 'Value.$': '$.copy.preserve_metadata' },
            ],
          },
        ],
      },
    });
    expect(finalCopy.Next).toBe(faultRecorded(StateName.FINAL_COPY));
    expect(state(faultRecorded(StateName.FINAL_COPY))).toEqual(afterCopy(StateName.FINAL_COPY, copyPassEnd(StateName.FINAL_COPY)));
    expect(state(copyPassEnd(StateName.FINAL_COPY))).toEqual({ Type: 'Pass', Next: StateName.CUTOVER });
  });

  it('waits for migration_complete with a task token, keeping the state as it was', () => {
    // Assess
    expect(state(StateName.AWAIT_COMPLETION)).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: stepArn(Step.AWAIT_COMPLETION),
        Payload: {
          'migration_id.$': '$.migration_id',
          'share_id.$': '$.share_id',
          'auto_complete.$': '$.auto_complete',
          'task_token.$': '$$.Task.Token',
        },
      },
      ResultPath: null,
      TimeoutSecondsPath: '$.wait_seconds',
      Retry: [stepRetry],
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: StateName.COUNT_WAIT }, toCleanup],
      Next: StateName.SOURCE_READ_ONLY,
    });
    expect(state(StateName.REFRESH_COPY)).toMatchObject({ Resource: 'arn:aws:states:::ecs:runTask.sync', Next: faultRecorded(StateName.REFRESH_COPY), Catch: [toFaults(StateName.REFRESH_COPY), toCleanup] });
    expect(state(faultRecorded(StateName.REFRESH_COPY))).toEqual(afterCopy(StateName.REFRESH_COPY, copyPassEnd(StateName.REFRESH_COPY)));
    expect(state(copyPassEnd(StateName.REFRESH_COPY))).toEqual({ Type: 'Pass', Next: StateName.AWAIT_COMPLETION });
  });

  it('sends a cancelled driver migration to cleanup and any other driver failure to the host-assisted fallback', () => {
    // Assess
    for (const name of [StateName.DRIVER_START, StateName.DRIVER_CONTINUE]) {
      expect(state(name).Catch).toEqual([
        { ErrorEquals: ['MigrationCancelledError'], ResultPath: '$.error', Next: StateName.CLEANUP },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: StateName.DRIVER_CANCEL },
      ]);
    }
    expect(state(StateName.DRIVER_CANCEL)).toMatchObject({ Catch: [toCleanup], Next: StateName.PREPARE_DESTINATION });
    expect(state(StateName.DRIVER_CANCEL).ResultPath).toBeUndefined();
    expect(state(StateName.WAIT_FOR_DRIVER)).toEqual({ Type: 'Wait', SecondsPath: '$.driver_wait_seconds', Next: StateName.DRIVER_CONTINUE });
  });

  it('chooses only on fields that are present, so a missing optional field never fails a Choice', () => {
    // Assess
    expect(state(StateName.CAN_DRIVER_MIGRATE)).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.driver_assisted', IsPresent: true },
            { Variable: '$.driver_assisted', BooleanEquals: true },
          ],
          Next: StateName.DRIVER_START,
        },
      ],
      Default: StateName.PREPARE_DESTINATION,
    });
    expect(state(StateName.CANCELLED_OR_FAILED)).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.outcome', IsPresent: true },
            { Variable: '$.outcome', StringEquals: 'cancelled' },
          ],
          Next: StateName.CANCELLED,
        },
      ],
      Default: StateName.FAILED,
    });
    expect(state(StateName.FAILED)).toEqual({ Type: 'Fail', Error: 'MigrationFailed', Cause: 'see the migration record' });
  });

  it('runs every other step Lambda directly on the state, its result replacing the state, with a timeout and the step retries', () => {
    // Assess
    for (const step of ALL_STEPS.filter((s) => !TOKEN_STEPS.includes(s) && s !== Step.VALIDATE)) {
      expect(state(STEP_STATE[step]), step).toMatchObject({
        Type: 'Task',
        Resource: stepArn(step),
        TimeoutSeconds: 360,
        Retry: expect.arrayContaining([stepRetry]),
      });
      // No Parameters: the state is the event. No ResultPath: the default `$`, the result replaces the state.
      expect(state(STEP_STATE[step]).Parameters, step).toBeUndefined();
      expect(state(STEP_STATE[step]).ResultPath, step).toBeUndefined();
    }
  });

  it('sets a timeout on every Task (aws-local-stepfunctions would default to 60 s)', () => {
    // Assess: a fixed one, or (the waits on a task token) the one phase 1 done or the switchover check computes
    for (const [name, task] of taskStates()) {
      if (name === StateName.AWAIT_COMPLETION) expect(task.TimeoutSecondsPath, name).toBe('$.wait_seconds');
      else if (name === StateName.AWAIT_SWITCHOVER) expect(task.TimeoutSecondsPath, name).toBe('$.switchover_wait_seconds');
      else if (name === StateName.COPY_FAULT) expect(task.TimeoutSecondsPath, name).toBe('$.copy_fault_wait_seconds');
      else if (task.Resource === 'arn:aws:states:::ecs:runTask.sync' && name !== StateName.PURGE) expect(task.TimeoutSecondsPath, name).toBe('$.copy_timeout_seconds');
      else expect(task.TimeoutSeconds, name).toEqual(expect.any(Number));
    }
    // The wait out of a copy fault is entered only through the Pass that sets its timeout (PARK_SECONDS).
    expect(JSON.stringify(definition).split(`"Next":"${StateName.COPY_FAULT}"`)).toHaveLength(2);
    expect(state('How long to wait out the copy fault')).toEqual({ Type: 'Pass', Result: COPY_FAULT_RETRY.PARK_SECONDS, ResultPath: '$.copy_fault_wait_seconds', Next: StateName.COPY_FAULT });
  });

  it('sends every failure after validation to cleanup, which waits out a driver, retries any error, and gives up to the release step', () => {
    // Assess
    // The purge loop runs after the migration's outcome is recorded: it never goes to cleanup.
    const unguarded: string[] = [StateName.VALIDATE, StateName.CLEANUP, StateName.RELEASE_SHARE, StateName.PLAN_PURGE, StateName.PURGE];
    // Clearing the record of a fault wait after a copy task succeeded: its failure leaves a stale report, not
    // a failed migration (cleanup would delete the destination the pass just wrote), so it goes on regardless.
    for (const copy of COPY_TASKS) {
      expect(state(`${copy}: clear the copy fault`).Catch, copy).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: `${copy}: copy fault over` }]);
      unguarded.push(`${copy}: clear the copy fault`);
    }
    const guarded = taskStates().filter(([name]) => !unguarded.includes(name));
    expect(guarded.map(([name]) => name).sort()).toEqual(
      [
        ...ALL_STEPS.map((s) => STEP_STATE[s]).filter((name) => !unguarded.includes(name)), StateName.BULK_COPY, StateName.SNAPSHOT_COPY, StateName.REFRESH_COPY, StateName.FINAL_COPY, StateName.HAND_OVER,
        // A partitioned pass's own tasks (workflow-copy-pass.ts); its partitions run in a Map, guarded below.
        `${StateName.BULK_COPY}: plan partitions`, ...PARTITIONED_PASSES.map((pass) => `${pass}: seal partitions`),
      ].sort(),
    );
    // A copy task's failure is read first (workflow-copy-faults.ts): a fault of the platform is retried and, past
    // the ladder, waited out (`fault persists`: the only failures after validation that do not reach cleanup);
    // anything else (a copy error, a cancel, a Cause that describes no task) reaches cleanup through `copy error`.
    for (const copy of COPY_TASKS) {
      expect(state(`${copy}: task described?`).Default, copy).toBe(`${copy}: copy error`);
      // The same reading of the stopped task (test/cdk/copy-faults.test.ts) either side of the ladder's end.
      const infrastructure = state(`${copy}: infrastructure fault?`) as { Choices: [{ And: [State, State] }, State] };
      const platformStopped = infrastructure.Choices[0].And[0];
      expect(infrastructure, copy).toEqual({
        Type: 'Choice',
        Choices: [
          { And: [platformStopped, { Variable: '$.copy_faults.attempts', NumericLessThan: COPY_FAULT_RETRY.MAX_ATTEMPTS }], Next: `${copy}: count the fault` },
          { ...platformStopped, Next: `${copy}: fault persists` },
        ],
        Default: `${copy}: copy error`,
      });
      expect(state(`${copy}: copy error`), copy).toEqual({
        Type: 'Pass', ResultPath: '$.error', Parameters: { 'Error.$': '$.copy_faults.error.Error', 'Cause.$': '$.copy_faults.error.Cause' }, Next: StateName.CLEANUP,
      });
      expect(state(`${copy}: fault persists`), copy).toEqual({
        Type: 'Pass',
        ResultPath: '$.copy_faults',
        Parameters: { 'attempts.$': 'States.MathAdd($.copy_faults.attempts, 1)', 'error.$': '$.copy_faults.error', resume: copy },
        Next: 'How long to wait out the copy fault',
      });
    }
    const maps = PARTITIONED_PASSES.map((pass) => [`${pass}: partitions`, state(`${pass}: partitions`)] as const);
    for (const [name, task] of [...guarded, ...maps]) {
      const catchers = task.Catch as { Next: string; ResultPath: string }[];
      expect(catchers.some((c) => c.Next === StateName.CLEANUP && c.ResultPath === '$.error'), name).toBe(true);
    }
    expect(state(StateName.CLEANUP)).toEqual({
      Type: 'Task',
      Resource: stepArn(Step.CLEANUP),
      TimeoutSeconds: 360,
      Retry: [stepRetry, notReadyRetry, anyErrorRetry],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.cleanup_error', Next: StateName.RELEASE_SHARE }],
      Next: StateName.PLAN_PURGE,
    });
    // The release step only writes the state store: it keeps trying for about three hours.
    expect(state(StateName.RELEASE_SHARE)).toEqual({
      Type: 'Task',
      Resource: stepArn(Step.RELEASE_SHARE),
      TimeoutSeconds: 360,
      Retry: [stepRetry, { ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 40, BackoffRate: 2, MaxDelaySeconds: 300 }],
      Next: StateName.FAILED,
    });
    expect(state(StateName.CUTOVER)).toMatchObject({ Retry: [stepRetry, anyErrorRetry], Catch: [toCleanup], Next: StateName.PLAN_PURGE });
  });

  it('retries the domain ConcurrentUpdateError by its name', () => {
    // Assess
    expect(new ConcurrentUpdateError('lost a race').name).toBe(CONCURRENT_UPDATE_ERROR);
  });

  it('is a valid Amazon States Language definition', () => {
    // Act (the validator adds QueryLanguage to the states it checks: give it a copy)
    const result = aslValidator(structuredClone(definition));

    // Assess
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('is a standard workflow named after the stack, so its ARN is known before it exists', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD', StateMachineName: 'ShareMigration-migration' });
    expect(stack.resolve(stack.workflow.stateMachineArn)).toEqual(formattedStateMachineArn);
  });

  it('fails at synth, saying what to do, when the stack name makes the state machine name too long', () => {
    // Prepare
    const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });

    // Act & Assess
    expect(() => new ShareMigrationStack(app, 'S'.repeat(72), { copyImage: ecs.ContainerImage.fromRegistry('share-migration/copy-task:test') })).toThrow(
      /state machine name "S{72}-migration" must be 1-80 letters, digits, "-" or "_"; give a shorter stateMachineName/,
    );
  });

  it.each([Step.AWAIT_COMPLETION, Step.AWAIT_SWITCHOVER])('lets the %s function answer its own task token', (step) => {
    // Assess: SendTaskSuccess and SendTaskFailure on this state machine, built from its name (no StartExecution).
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack.lambdas.forStep(step).role!) }],
      PolicyDocument: {
        Statement: [
          xrayStatement,
          ownLogsStatement(stack.lambdas.forStep(step)),
          { Action: ['states:SendTaskFailure', 'states:SendTaskSuccess'], Effect: 'Allow', Resource: formattedStateMachineArn },
          { Action: storeActions, Effect: 'Allow', Resource: tableArn('migrations') },
        ],
      },
    });
  });

  it('lets the copy-fault function answer its own task token (a cancel that came before it) and publish its wait events', () => {
    // Assess: as the other waits on a token, and events:PutEvents for the COPY_FAULT_WAIT event of every wait.
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack.lambdas.forStep(Step.COPY_FAULT).role!) }],
      PolicyDocument: {
        Statement: [
          xrayStatement,
          ownLogsStatement(stack.lambdas.forStep(Step.COPY_FAULT)),
          { Action: ['states:SendTaskFailure', 'states:SendTaskSuccess'], Effect: 'Allow', Resource: formattedStateMachineArn },
          { Action: storeActions, Effect: 'Allow', Resource: tableArn('migrations') },
          { Action: 'events:PutEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalId(stack.events.bus), 'Arn'] } },
        ],
      },
    });
  });

  it('lets no other step function call Step Functions', () => {
    // Assess: only the TOKEN_STEPS (await-completion, await-switchover, and copy-fault, whose wait a cancel that
    // came before its token must end at once: it answers that token itself) may send task answers.
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as { Properties: { Roles: unknown[]; PolicyDocument: { Statement: { Action: unknown }[] } } }[];
    for (const step of ALL_STEPS.filter((s) => !TOKEN_STEPS.includes(s))) {
      const role = { Ref: logicalId(stack.lambdas.forStep(step).role!) };
      const actions = policies.filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([role])).flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((st) => st.Action));
      expect(actions.filter((action) => String(action).startsWith('states:')), step).toEqual([]);
    }
  });
});

describe('Construct: ManilaApi', () => {
  // Its grants, exactly, with backends: test/cdk/function-grants.test.ts; derived from its bundle: function-permissions.test.ts.

  it('gives the API function what its composition reads: the tables, state machine, copy cluster, backends path, admin token hash, schedules, event bus', () => {
    // Assess
    const resource = template.toJSON().Resources[logicalId(stack.api.handler)];
    expect(resource.Properties.Environment.Variables).toEqual({
      SMIG_SHARES_TABLE: { Ref: logicalId(stack.tables.table('shares')) },
      SMIG_MIGRATIONS_TABLE: { Ref: logicalId(stack.tables.table('migrations')) },
      SMIG_CATALOG_TABLE: { Ref: logicalId(stack.tables.table('catalog')) },
      SMIG_PARTITIONS_TABLE: { Ref: logicalId(stack.tables.table('partitions')) },
      [STEP_NAME_ENV]: 'api',
      NODE_OPTIONS: '--enable-source-maps',
      [STATE_MACHINE_ARN_ENV]: formattedStateMachineArn,
      SMIG_COPY_CLUSTER: { 'Fn::GetAtt': [logicalId(stack.copyTask.cluster), 'Arn'] },
      SMIG_BACKENDS_PARAMETER_PATH: '/ShareMigration/backends',
      SMIG_ADMIN_TOKEN_SHA256: { Ref: ADMIN_TOKEN_SHA256_PARAMETER },
      SMIG_SCHEDULE_GROUP: 'ShareMigration-migrations',
      SMIG_SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [logicalId(stack.schedules.role), 'Arn'] },
      SMIG_SCHEDULE_DLQ_ARN: { 'Fn::GetAtt': [logicalId(stack.schedules.deadLetterQueue), 'Arn'] },
      ...operationsEnvironment(),
    });
  });

  it('takes the admin token hash, with no context, as a NoEcho parameter that needs no value at synth', () => {
    // Assess
    template.hasParameter(ADMIN_TOKEN_SHA256_PARAMETER, {
      Type: 'String',
      NoEcho: true,
      AllowedPattern: '^[0-9a-f]{64}$',
      Default: Match.absent(),
    });
  });

  // The routes, the authorizer and the stage: test/cdk/production.test.ts.
});

/** The CloudFormation Projection of an index schema's projection. */
function projectionOf(index: IndexSchema): Record<string, unknown> {
  const projection = index.projection ?? 'ALL';
  if (projection === 'ALL' || projection === 'KEYS_ONLY') return { ProjectionType: projection };
  return { ProjectionType: 'INCLUDE', NonKeyAttributes: projection.include };
}

describe('Construct: MigrationTables', () => {
  it.each(TABLES.map((schema) => [schema.id, schema] as const))('creates the %s table from its schema', (id, schema) => {
    // Assess
    const attributes = [schema.partitionKey, schema.sortKey, ...schema.indexes.flatMap((i) => [i.partitionKey, i.sortKey])].filter(
      (name): name is string => name !== undefined,
    );
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: schema.partitionKey, KeyType: 'HASH' },
        ...(schema.sortKey === undefined ? [] : [{ AttributeName: schema.sortKey, KeyType: 'RANGE' }]),
      ],
      AttributeDefinitions: [...new Set(attributes)].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      GlobalSecondaryIndexes:
        schema.indexes.length === 0
          ? Match.absent()
          : schema.indexes.map((index) => ({
              IndexName: index.name,
              KeySchema: [
                { AttributeName: index.partitionKey, KeyType: 'HASH' },
                ...(index.sortKey === undefined ? [] : [{ AttributeName: index.sortKey, KeyType: 'RANGE' }]),
              ],
              Projection: projectionOf(index),
            })),
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(logicalId(stack.tables.table(id))).toMatch(/^Tables/);
  });

  it('gives the shares table the indexes its lists are served from: five orders in two scopes (whole shares; entries for status), and the sparse with-snapshots', () => {
    // Prepare
    const [shares] = Object.values(template.findResources('AWS::DynamoDB::Table', { Properties: { KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] } }))
      .filter((resource) => (resource.Properties.GlobalSecondaryIndexes ?? []).length > 1);

    // Assess
    const indexes = shares!.Properties.GlobalSecondaryIndexes as { IndexName: string; KeySchema: { AttributeName: string }[]; Projection: unknown }[];
    const projection = (field: string) => (field === 'status' ? '{"NonKeyAttributes":["list_entry"],"ProjectionType":"INCLUDE"}' : '{"ProjectionType":"ALL"}');
    expect(indexes.map((i) => [i.IndexName, ...i.KeySchema.map((k) => k.AttributeName), JSON.stringify(i.Projection)])).toEqual([
      ...['created_at', 'updated_at', 'name', 'size', 'status'].map((field) => [`by-project-${field}`, 'project_id', `list_by_${field}`, projection(field)]),
      ...['created_at', 'updated_at', 'name', 'size', 'status'].map((field) => [`by-visibility-${field}`, 'list_visibility', `list_by_${field}`, projection(field)]),
      ['with-snapshots', 'list_snapshots', 'id', '{"ProjectionType":"KEYS_ONLY"}'],
    ]);
  });

  it('keeps the tables when the stack is deleted', () => {
    for (const schema of TABLES) {
      template.hasResource('AWS::DynamoDB::Table', {
        Properties: Match.objectLike({ KeySchema: Match.arrayWith([{ AttributeName: schema.partitionKey, KeyType: 'HASH' }]) }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    }
  });
});

describe('Construct: MigrationLambdas', () => {
  it.each(ALL_STEPS)('runs lambdas/handlers/steps/%s.ts on Node.js 22 with its STEP_NAME and the names of the tables it uses', (step) => {
    // Prepare
    const fn = stack.lambdas.forStep(step);
    const tables = TABLES.filter((schema) => FUNCTION_PERMISSIONS[step].tables?.[schema.id] !== undefined);

    // Assess
    const resource = template.toJSON().Resources[logicalId(fn)];
    expect(resource.Properties).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'index.handler', Timeout: 300 });
    const variables = resource.Properties.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(variables).filter((name) => TABLES.some((schema) => schema.envVar === name))).toEqual(tables.map((schema) => schema.envVar));
    for (const schema of tables) expect(variables[schema.envVar]).toEqual({ Ref: logicalId(stack.tables.table(schema.id)) });
    expect(variables[STEP_NAME_ENV]).toBe(step);
  });

  it.each(ALL_STEPS)('gives the %s function the environment its composition reads, and nothing else', (step) => {
    // Prepare: what each declared permission's adapter reads (its composition builds from it: function-compositions.test.ts).
    const permissions = FUNCTION_PERMISSIONS[step];
    const expected: Record<string, unknown> = {
      ...Object.fromEntries(TABLES.filter((schema) => permissions.tables?.[schema.id] !== undefined).map((schema) => [schema.envVar, { Ref: logicalId(stack.tables.table(schema.id)) }])),
      [STEP_NAME_ENV]: step,
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'share-migration',
      POWERTOOLS_METRICS_NAMESPACE: 'ShareMigration',
      ...(permissions.backends ? { SMIG_BACKENDS_PARAMETER_PATH: '/ShareMigration/backends' } : {}),
      ...(permissions.eventBus ? { SMIG_EVENT_BUS_NAME: { Ref: logicalId(stack.events.bus) } } : {}),
      ...(permissions.copyTaskDefinitions ? { SMIG_COPY_TASK_DEFINITION: { Ref: logicalId(stack.copyTask.taskDefinition) } } : {}),
      ...(permissions.copyTaskDefinitions?.includes('ecs:RegisterTaskDefinition') ? { SMIG_COPY_CONTAINER: 'copy' } : {}),
    };

    // Assess: no backends, no admin token hash, no state machine ARN (await-completion answers tokens, which name none).
    expect(template.toJSON().Resources[logicalId(stack.lambdas.forStep(step))].Properties.Environment.Variables).toEqual(expected);
  });

  // Their grants: derived from their bundles in test/cdk/function-permissions.test.ts, exact in function-grants.test.ts.
});

describe('Construct: CopyTask', () => {
  it('runs the copy container on Fargate, logging to CloudWatch, with the migrations and partitions tables\' names', () => {
    // Assess
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'copy',
          Essential: true,
          ReadonlyRootFilesystem: true,
          Environment: [
            { Name: 'SMIG_MIGRATIONS_TABLE', Value: { Ref: logicalId(stack.tables.table('migrations')) } },
            { Name: 'SMIG_PARTITIONS_TABLE', Value: { Ref: logicalId(stack.tables.table('partitions')) } },
          ],
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
        }),
      ],
    });
  });

  it('lets the task read its migration (cancel_requested) and update its progress in the migrations table, keep a partitioned copy\'s plan and reports, and nothing else there', () => {
    // Assess: what its container's progress sink sends (test/cdk/function-permissions.test.ts)
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack.copyTask.taskDefinition.taskRole) }],
      PolicyDocument: {
        Statement: [
          { Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: tableArn('migrations') },
          { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], Effect: 'Allow', Resource: tableArn('partitions') },
        ],
      },
    });
  });

  it('lets the state machine run, watch and stop the copy task and pass its roles', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(stack.workflow.stateMachine.role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'ecs:RunTask', Effect: 'Allow', Resource: { Ref: logicalId(stack.copyTask.taskDefinition) } },
          // Merged with the logging and tracing actions on "*" (test/cdk/production.test.ts).
          Match.objectLike({ Action: Match.arrayWith(['ecs:DescribeTasks', 'ecs:StopTask']), Effect: 'Allow', Resource: '*' }),
          {
            Action: 'iam:PassRole',
            Effect: 'Allow',
            Resource: [
              { 'Fn::GetAtt': [logicalId(stack.copyTask.taskDefinition.executionRole!), 'Arn'] },
              { 'Fn::GetAtt': [logicalId(stack.copyTask.taskDefinition.taskRole), 'Arn'] },
            ],
          },
          // Each migration's own revision (the family named after it), only on the copy cluster.
          {
            Action: 'ecs:RunTask',
            Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [logicalId(stack.copyTask.cluster), 'Arn'] } } },
            Effect: 'Allow',
            Resource: migrationRevisionsArn(),
          },
        ]),
      },
    });
  });
});

describe('Stack: ShareMigrationStack context', () => {
  const adminTokenSha256 = sha256Hex('admin-token-for-tests');
  // The only kind of backend a deployment can serve (test/cdk/deploy-defaults.test.ts: local-folder ones fail synth).
  const backends = { backends: [{ kind: 'efs', backend: 'gold', mode: 'access-point', region: 'eu-west-1', file_system_id: 'fs-0123456789abcdef0', pools: [{ name: 'default' }] }] };

  it('takes the admin token hash and the backends from the context, as literals, with no parameter', () => {
    // Act
    const { stack: withContext, template: withContextTemplate } = synthesizeStack({ adminTokenSha256, backends: JSON.stringify(backends) });

    // Assess: the hash in the API's environment (the only function that checks it), the backend in its SSM parameter.
    expect(withContextTemplate.toJSON().Parameters?.[ADMIN_TOKEN_SHA256_PARAMETER]).toBeUndefined();
    expect(withContextTemplate.toJSON().Resources[logicalId(withContext.api.handler)].Properties.Environment.Variables).toMatchObject({
      [CompositionEnv.ADMIN_TOKEN_SHA256]: adminTokenSha256,
    });
    withContextTemplate.hasResourceProperties('AWS::SSM::Parameter', { Name: '/ShareMigration/backends/efs/gold', Value: JSON.stringify(backends.backends[0]) });
    Annotations.fromStack(withContext).hasNoWarning('*', Match.anyValue());
  });

  it('takes backends given as an object (cdk.json) as the same JSON', () => {
    // Act
    const { template: withContextTemplate } = synthesizeStack({ backends });

    // Assess
    withContextTemplate.hasResourceProperties('AWS::SSM::Parameter', { Name: '/ShareMigration/backends/efs/gold', Value: JSON.stringify(backends.backends[0]) });
  });

  it('warns, with no backends in the context, that the deployed API can migrate nothing', () => {
    // Assess
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('No context backends: no backend is deployed, so the deployed API lists no pools and can migrate nothing'));
  });

  it.each([
    ['an upper-case hash', { adminTokenSha256: adminTokenSha256.toUpperCase() }, /Context adminTokenSha256 must be the 64 lower-case hex digits/],
    ['the token instead of its hash', { adminTokenSha256: 'admin-token-for-tests' }, /Context adminTokenSha256 must be the 64 lower-case hex digits/],
    ['backends that are not JSON', { backends: '{backends:' }, /Context backends is not valid JSON/],
    ['an empty backends list', { backends: '{"backends":[]}' }, /context backends: "backends" must be a non-empty array/],
    ['a backend with no pools', { backends: { backends: [{ kind: 'efs', backend: 'a', mode: 'access-point', region: 'eu-west-1', file_system_id: 'fs-0123456789abcdef0', pools: [] }] } }, /context backends: backends\[0\]\.pools must be a non-empty array/],
  ])('fails at synth, saying what to give, on %s', (_, context, message) => {
    // Act & Assess
    expect(() => synthesizeStack(context)).toThrow(message);
  });

  // Every function builds its composition from the environment it is given: test/cdk/function-compositions.test.ts.
});
