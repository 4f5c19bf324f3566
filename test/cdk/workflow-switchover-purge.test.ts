import { beforeAll, describe, expect, it } from 'vitest';
import { copyPassEntry } from '../../cdk/lib/workflow-copy-pass.ts';
import { DATA_PURGE_FAILED, RETRIED_STEP_ERRORS, StateName } from '../../cdk/lib/migration-workflow.ts';
import type { ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import { migrationFamilyPrefix, purgeFamily } from '../../lambdas/adapters/ecs/copy-task-family.ts';
import { PURGE_ENTRY, Step } from '../../lambdas/core/workflow.ts';
import { localLambdaArn, resolveDefinition, type CfnTemplate } from '../../local/synthesized-definition.ts';
import { logicalId, synthesizeStack } from './support.ts';

type State = Record<string, unknown>;

let stack: ShareMigrationStack;
let definition: { StartAt: string; States: Record<string, State> };

beforeAll(() => {
  const synthesized = synthesizeStack();
  stack = synthesized.stack;
  definition = resolveDefinition(synthesized.template.toJSON() as CfnTemplate) as typeof definition;
});

const state = (name: string): State => {
  const found = definition.States[name];
  if (found === undefined) throw new Error(`no state ${name}`);
  return found;
};
const stepArn = (step: Step): string => localLambdaArn(logicalId(stack.lambdas.forStep(step)));
const stepRetry = { ErrorEquals: [...RETRIED_STEP_ERRORS], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 };
const toCleanup = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: StateName.CLEANUP };
const present = (variable: string) => ({ Variable: variable, IsPresent: true });

describe('Construct: MigrationWorkflow (switchover proof)', () => {
  it('makes the source read-only, then checks who may still write, with two more tries of a failed read before cleanup', () => {
    // Assess
    expect(state(StateName.SOURCE_READ_ONLY)).toMatchObject({ Resource: stepArn(Step.SOURCE_READ_ONLY), Catch: [toCleanup], Next: StateName.SWITCHOVER_WRITERS });
    expect(state(StateName.SWITCHOVER_WRITERS)).toEqual({
      Type: 'Task',
      Resource: stepArn(Step.SWITCHOVER_WRITERS),
      TimeoutSeconds: 360,
      Retry: [stepRetry, { ErrorEquals: ['DriverError'], IntervalSeconds: 10, MaxAttempts: 2, BackoffRate: 2 }],
      Catch: [toCleanup],
      Next: StateName.WRITERS_GONE,
    });
  });

  it('goes on once clear or confirmed (the driver completes, or the final copy runs), back to migration_complete once given up, else waits and checks again', () => {
    // Assess
    const gone = { Or: [{ And: [present('$.switchover.outcome'), { Variable: '$.switchover.outcome', StringEquals: 'clear' }] }, { And: [present('$.switchover.outcome'), { Variable: '$.switchover.outcome', StringEquals: 'confirmed' }] }] };
    expect(state(StateName.WRITERS_GONE)).toEqual({
      Type: 'Choice',
      Choices: [
        { And: [gone, { And: [present('$.driver_assisted'), { Variable: '$.driver_assisted', BooleanEquals: true }] }], Next: StateName.DRIVER_COMPLETE },
        { ...gone, Next: copyPassEntry(StateName.FINAL_COPY) },
        { And: [present('$.switchover.outcome'), { Variable: '$.switchover.outcome', StringEquals: 'gave_up' }], Next: StateName.AWAIT_COMPLETION },
      ],
      Default: StateName.AWAIT_SWITCHOVER,
    });
    expect(state(StateName.AWAIT_COMPLETION).Next).toBe(StateName.SOURCE_READ_ONLY);
  });

  it('waits between two checks on a task token the confirmation answers, as long as the check said, then checks again either way', () => {
    // Assess: answered (migration_complete, or the step itself) or timed out, the next check runs; any other failure cleans up.
    expect(state(StateName.AWAIT_SWITCHOVER)).toEqual({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: stepArn(Step.AWAIT_SWITCHOVER),
        Payload: { 'migration_id.$': '$.migration_id', 'share_id.$': '$.share_id', 'task_token.$': '$$.Task.Token' },
      },
      ResultPath: null,
      // Top level: the local runtime's adaptation of TimeoutSecondsPath reads only top-level fields.
      TimeoutSecondsPath: '$.switchover_wait_seconds',
      Retry: [stepRetry],
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: StateName.SWITCHOVER_WRITERS }, toCleanup],
      Next: StateName.SWITCHOVER_WRITERS,
    });
  });
});

describe('Construct: MigrationWorkflow (data purge)', () => {
  it('starts with the purge of a purge-only input, and purges after a cutover, a driver completion and a cleanup', () => {
    // Assess
    expect(definition.StartAt).toBe(StateName.PURGE_ONLY);
    for (const name of [StateName.CUTOVER, StateName.DRIVER_COMPLETE, StateName.CLEANUP]) expect(state(name).Next, name).toBe(StateName.PLAN_PURGE);
    expect(state(StateName.RELEASE_SHARE).Next).toBe(StateName.FAILED);
  });

  it('plans each purge with the step retries, the driver wait and any-error retries; a planner that gives up fails the execution', () => {
    // Assess
    expect(state(StateName.PLAN_PURGE)).toEqual({
      Type: 'Task',
      Resource: stepArn(Step.PLAN_PURGE),
      TimeoutSeconds: 360,
      Retry: [
        stepRetry,
        { ErrorEquals: ['EfsNotReadyError'], IntervalSeconds: 60, MaxAttempts: 30, BackoffRate: 1 },
        { ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.purge_error', Next: StateName.PURGE_FAILED }],
      Next: StateName.MORE_TO_PURGE,
    });
    expect(state(StateName.MORE_TO_PURGE)).toEqual({
      Type: 'Choice',
      Choices: [
        { And: [present('$.purge.more'), { Variable: '$.purge.more', BooleanEquals: true }], Next: StateName.PURGE },
        { And: [present('$.purge.failed'), { Variable: '$.purge.failed', NumericGreaterThan: 0 }], Next: StateName.PURGE_FAILED },
      ],
      Default: StateName.HOW_ENDED,
    });
    expect(state(StateName.PURGE_FAILED)).toMatchObject({ Type: 'Fail', Error: DATA_PURGE_FAILED });
    expect(state(StateName.HOW_ENDED)).toEqual({
      Type: 'Choice',
      Choices: [{ ...present('$.outcome'), Next: StateName.CANCELLED_OR_FAILED }],
      Default: StateName.SUCCEEDED,
    });
  });

  it("runs the purge on Fargate from the file system's purge revision, the purge entry as the command and its job in the environment; a failure goes back to the planner", () => {
    // Assess
    // A purge takes a fixed day; a copy pass as long as the share's size needs. A copy pass also resets
    // its infrastructure-fault count when it succeeds (workflow-copy-faults.ts); a purge keeps nothing.
    const { TimeoutSecondsPath: _copyPassTimeout, ResultSelector: _faultsReset, ...bulk } = state(StateName.BULK_COPY);
    expect(state(StateName.PURGE)).toEqual({
      ...bulk,
      ResultPath: null,
      Parameters: {
        ...(bulk.Parameters as object),
        'TaskDefinition.$': '$.purge.job.task_definition',
        Overrides: {
          ContainerOverrides: [
            {
              Name: 'copy',
              Command: [PURGE_ENTRY],
              Environment: [
                { Name: 'SMIG_PURGE_ROOT', 'Value.$': '$.purge.job.root' },
                { Name: 'SMIG_PURGE_FOLDER', 'Value.$': '$.purge.job.folder' },
                { Name: 'SMIG_PURGE_INSTANCE_ID', 'Value.$': '$.purge.current.instance_id' },
              ],
            },
          ],
        },
      },
      TimeoutSeconds: 24 * 3600,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.purge.error', Next: StateName.PLAN_PURGE }],
      Next: StateName.PLAN_PURGE,
    });
  });

  it("names purge revisions within the copy task's families the state machine may run (RunTask on <family>-*:*)", () => {
    // Assess
    const family = stack.copyTask.taskDefinition.family;
    expect(purgeFamily(family, 'fs-0123456789abcdef0').startsWith(migrationFamilyPrefix(family))).toBe(true);
    expect(() => purgeFamily(family, '../x')).toThrow(/not an EFS file system id/);
  });
});
