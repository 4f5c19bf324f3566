import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import aslValidator from 'asl-validator';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_NAME_ENV } from '../../cdk/lib/migration-function.ts';
import { COPY_TASK_START_ERRORS, DATA_PURGE_FAILED, DRIVER_NOT_READY_ERRORS, STEP_STATE, StateName } from '../../cdk/lib/migration-workflow.ts';
import {
  ALL_STEPS, COPY_PASS_TIMEOUT, MAX_COMPLETION_WAIT_SECONDS, PURGE_ENTRY, REFUSAL_ERRORS, Step, SWITCHOVER_WAIT,
  type CleanupInput, type MigrationExecutionInput, type MigrationExecutionState, type PurgeExecutionInput, type SwitchoverState, type ValidateStepInput,
} from '../../lambdas/core/workflow.ts';
import {
  allStates,
  loadSynthesizedWorkflow,
  localLambdaArn,
  MAX_LOCAL_TIMEOUT_SECONDS,
  workflowFromTemplate,
  type CfnTemplate,
  type SynthesizedWorkflow,
} from '../../local/synthesized-definition.ts';

type State = Record<string, unknown>;
type Definition = { StartAt: string; States: Record<string, State> };

// One synth for the whole file.
let workflow: SynthesizedWorkflow;
let cacheDir: string;

beforeAll(async () => {
  workflow = await loadSynthesizedWorkflow();
  cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'smig-synth-cache-'));
});

afterAll(async () => {
  await fs.rm(cacheDir, { recursive: true, force: true });
});

const definition = (): Definition => workflow.definition as Definition;
/** The steps that wait on a task token (lambda:invoke.waitForTaskToken). */
const TOKEN_STEPS: readonly Step[] = [Step.AWAIT_COMPLETION, Step.AWAIT_SWITCHOVER, Step.COPY_FAULT];

describe('Function: loadSynthesizedWorkflow', () => {
  // How long a start takes is measured by `npm run measure:start` (local/measure-start.ts), not asserted here.

  it('maps every Lambda Task state to its step and the copy states to the ECS run task', () => {
    // Prepare
    const expected: SynthesizedWorkflow['tasks'] = {
      ...Object.fromEntries(
        ALL_STEPS.map((step) => [STEP_STATE[step], TOKEN_STEPS.includes(step) ? { kind: 'lambda-callback', step } : { kind: 'lambda', step }]),
      ),
      [StateName.BULK_COPY]: { kind: 'ecs-run-task' },
      [StateName.SNAPSHOT_COPY]: { kind: 'ecs-run-task' },
      [StateName.REFRESH_COPY]: { kind: 'ecs-run-task' },
      [StateName.FINAL_COPY]: { kind: 'ecs-run-task' },
      [StateName.PURGE]: { kind: 'ecs-run-task' },
      [StateName.HAND_OVER]: { kind: 'start-execution' },
      // A partitioned pass (workflow-copy-pass.ts): the bulk pass plans; every pass copies each partition (in
      // the Distributed Map's processor) and seals.
      [`${StateName.BULK_COPY}: plan partitions`]: { kind: 'ecs-run-task' },
      ...Object.fromEntries([StateName.BULK_COPY, StateName.REFRESH_COPY, StateName.FINAL_COPY].flatMap((pass) => [
        [`${pass}: copy partition`, { kind: 'ecs-run-task' }],
        [`${pass}: seal partitions`, { kind: 'ecs-run-task' }],
      ])),
      // Each copy task of the execution (not a partition's) clears the record of a copy fault it waited out.
      ...Object.fromEntries([
        StateName.BULK_COPY, StateName.SNAPSHOT_COPY, StateName.REFRESH_COPY, StateName.FINAL_COPY, `${StateName.BULK_COPY}: plan partitions`,
        ...[StateName.BULK_COPY, StateName.REFRESH_COPY, StateName.FINAL_COPY].map((pass) => `${pass}: seal partitions`),
      ].map((copy) => [`${copy}: clear the copy fault`, { kind: 'lambda', step: Step.COPY_FAULT }])),
    };

    // Assess
    expect(workflow.tasks).toEqual(expected);
    const taskNames = [...allStates(definition() as never)].filter(([, state]) => state.Type === 'Task').map(([name]) => name);
    expect(taskNames.sort()).toEqual(Object.keys(workflow.tasks).sort());
  });

  it('resolves every CloudFormation intrinsic', () => {
    // Assess
    expect(JSON.stringify(workflow.definition)).not.toMatch(/Fn::|"Ref"|\$\{Token/);
    expect(definition().States[StateName.VALIDATE]?.Resource).toMatch(/^arn:aws:lambda:local:000000000000:function:StepsValidate[0-9A-F]{8}$/);
  });

  it('waits for migration_complete no longer than Node timers can wait, and copies within the limit', () => {
    // Assess: the wait is set per execution (phase 1 done), never above what the local runtime can time.
    expect(definition().States[StateName.AWAIT_COMPLETION]?.TimeoutSecondsPath).toBe('$.wait_seconds');
    // The switchover's wait between two checks: as long as the check said (at most MAX_SECONDS), read from
    // the top of the state, which the adaptation also puts where aws-local-stepfunctions reads it.
    expect(definition().States[StateName.AWAIT_SWITCHOVER]).toMatchObject({
      TimeoutSecondsPath: '$.switchover_wait_seconds',
      Parameters: { 'switchover_wait_seconds.$': '$.switchover_wait_seconds' },
    });
    expect(MAX_COMPLETION_WAIT_SECONDS).toBeLessThanOrEqual(MAX_LOCAL_TIMEOUT_SECONDS);
    // A copy pass: as long as prepare destination allowed for the share's size, at most COPY_PASS_TIMEOUT's ceiling.
    expect(definition().States[StateName.BULK_COPY]).toMatchObject({ TimeoutSecondsPath: '$.copy_timeout_seconds', Parameters: { 'copy_timeout_seconds.$': '$.copy_timeout_seconds' } });
    expect(COPY_PASS_TIMEOUT.CEILING_SECONDS).toBeLessThanOrEqual(MAX_LOCAL_TIMEOUT_SECONDS);
    expect(MAX_LOCAL_TIMEOUT_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('passes asl-validator with ARN and path checks, as aws-local-stepfunctions runs it', () => {
    // Act (the validator adds QueryLanguage to the states it checks: give it a copy)
    const result = aslValidator(structuredClone(workflow.definition), { checkArn: true, checkPaths: true });

    // Assess
    expect(result.errorsText()).toBe('');
  });

  it('reuses a cached result while the sources are unchanged', async () => {
    // Act
    const first = await loadSynthesizedWorkflow({ cacheDir });
    const started = performance.now();
    const second = await loadSynthesizedWorkflow({ cacheDir });
    const hitMs = performance.now() - started;

    // Assess
    expect(first).toEqual(workflow);
    expect(second).toEqual(workflow);
    expect(await fs.readdir(cacheDir)).toEqual([expect.stringMatching(/^synthesized-workflow-[0-9a-f]{16}\.json$/)]);
    expect(hitMs).toBeLessThan(1_000);
  });
});

describe('Function: workflowFromTemplate', () => {
  const template = (resource: unknown, extra: Record<string, unknown> = {}, fields = '"TimeoutSeconds":5'): CfnTemplate => ({
    Resources: {
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: {
          DefinitionString: {
            'Fn::Join': ['', [`{"StartAt":"A","States":{"A":{"Type":"Task","End":true,${fields},"Resource":"`, resource, '"}}}']],
          },
        },
      },
      ...extra,
    },
  });
  const validateFn = { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { [STEP_NAME_ENV]: 'validate' } } } };

  it('adapts what aws-local-stepfunctions 3 gets wrong without changing the meaning', () => {
    // Act
    const result = workflowFromTemplate(template({ 'Fn::GetAtt': ['Fn', 'Arn'] }, { Fn: validateFn }, '"TimeoutSeconds":31536000,"ResultPath":"$"'));

    // Assess
    expect(result.definition).toEqual({
      StartAt: 'A',
      States: { A: { Type: 'Task', End: true, TimeoutSeconds: MAX_LOCAL_TIMEOUT_SECONDS, Resource: localLambdaArn('Fn') } },
    });
  });

  it('takes the step from the STEP_NAME of the Lambda resource', () => {
    // Act
    const result = workflowFromTemplate(template({ 'Fn::GetAtt': ['Fn', 'Arn'] }, { Fn: validateFn }));

    // Assess
    expect(result.tasks).toEqual({ A: { kind: 'lambda', step: 'validate' } });
  });

  it('fails on a Lambda resource without STEP_NAME', () => {
    // Prepare
    const fn = { Type: 'AWS::Lambda::Function', Properties: {} };

    // Act & Assess
    expect(() => workflowFromTemplate(template({ 'Fn::GetAtt': ['Fn', 'Arn'] }, { Fn: fn }))).toThrow(/Fn has no STEP_NAME/);
  });

  it('fails on a Task the local runtime cannot run', () => {
    // Act & Assess
    expect(() => workflowFromTemplate(template({ 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'states::', 'sqs:sendMessage']] }))).toThrow(
      /cannot run Resource "arn:aws:states:::sqs:sendMessage"/,
    );
  });
});

/**
 * The definition run by aws-local-stepfunctions with scripted steps: checks the paths through the
 * workflow, not the steps themselves.
 */
describe('Workflow: paths through the synthesized definition', () => {
  interface Script {
    /** What validate finds in the migration record: a switchover that had begun (a resumed migration). */
    readonly resumeAt?: MigrationExecutionState['resume_at'];
    readonly driverAssisted?: boolean;
    readonly autoComplete?: boolean;
    /** Snapshots the share has: prepare destination plans their replay, each snapshot step the next. */
    readonly snapshots?: number;
    /** Errors thrown by state name (an `Error` whose `name` is the value). */
    readonly failures?: Readonly<Record<string, string>>;
    /** Errors thrown by state name, on the first call only. */
    readonly failOnce?: Readonly<Record<string, string>>;
    /** Errors thrown by state name, on the first `times` calls. */
    readonly failFirst?: Readonly<Record<string, { readonly error: string; readonly times: number }>>;
    /** The execution input, when not the default one. */
    readonly input?: MigrationExecutionInput | PurgeExecutionInput;
    /** What each check of who may still write answers, in turn; then `clear`. */
    readonly writers?: readonly SwitchoverState['outcome'][];
    /** How long each check's wait lasts when it answers `waiting`. @default 15 */
    readonly writersWaitSeconds?: number;
    /** The wait between two checks is never answered (no confirmation): only its timeout ends it. @default - answered at once */
    readonly unanswered?: boolean;
    /** Purge tasks the planner plans, one after the other (each deleted instance's data). */
    readonly purges?: number;
    /** A partitioned copy: prepare destination sets copy.partitions and copy.max_copy_tasks. */
    readonly partitions?: { readonly count: number; readonly atOnce: number };
  }
  interface Outcome {
    readonly visited: string[];
    /** What each Task state received, in order, by state name. */
    readonly inputs: Record<string, unknown[]>;
    /** What each validate invocation received. */
    readonly validateInputs: ValidateStepInput[];
    readonly copyJobs: Record<string, string>[];
    readonly output?: unknown;
    readonly error?: { readonly name: string; readonly message: string };
  }

  const failWith = (name: string): Error => Object.assign(new Error(`${name} (scripted)`), { name });
  const executionInput = { share_id: 's-1', host: 'local@b#p' } satisfies MigrationExecutionInput;
  /** The execution's name, as a console start would give it; validate makes it the migration id. */
  const executionName = 'm-1';

  /** What the replay steps return: the `index`-th snapshot's copy job, or none left. */
  const replayOf = (index: number, count: number): MigrationExecutionState['snapshot_replay'] => (index < count
    ? { more: true, index, count, snapshot_id: `snap-${index}`, copy: { source: `/exports/src-snapshots/${index}`, destination: '/exports/dst', source_modes: `/exports/src-snapshots/${index}.modes`, preserve_metadata: 'true', task_definition: 'arn:aws:ecs:local:000000000000:task-definition/copy:7' } }
    : { more: false, index, count });

  async function run(script: Script): Promise<Outcome> {
    const visited: string[] = [];
    const inputs: Record<string, unknown[]> = {};
    const validateInputs: ValidateStepInput[] = [];
    const copyJobs: Record<string, string>[] = [];
    let polls = 0;
    let writerChecks = 0;
    let purgesPlanned = 0;
    const validate = (input: ValidateStepInput): MigrationExecutionState => {
      validateInputs.push(input);
      const request = input.request as MigrationExecutionInput;
      const state = { migration_id: input.execution_name, share_id: request.share_id, auto_complete: script.autoComplete ?? false, loop: { cycles: 0 } };
      if (script.resumeAt === undefined) return state;
      return { ...state, driver_assisted: script.resumeAt === 'driver-complete', resume_at: script.resumeAt };
    };
    const stepBehaviour: Record<Step, (input: never) => unknown> = {
      [Step.VALIDATE]: validate,
      [Step.DRIVER_COMPATIBILITY]: (state: MigrationExecutionState) => ({ ...state, driver_assisted: script.driverAssisted ?? false }),
      [Step.DRIVER_START]: (state: MigrationExecutionState) => state,
      [Step.DRIVER_CONTINUE]: (state: MigrationExecutionState) => ({ ...state, phase1_done: ++polls >= 2, driver_wait_seconds: 5, loop: { cycles: polls } }),
      [Step.DRIVER_CANCEL]: (state: MigrationExecutionState) => ({ ...state, driver_assisted: false }),
      [Step.DRIVER_COMPLETE]: (state: MigrationExecutionState) => state,
      [Step.PREPARE_DESTINATION]: (state: MigrationExecutionState) => ({
        ...state,
        copy: {
          source: '/exports/src', destination: '/exports/dst', source_modes: '/exports/src.modes', preserve_metadata: 'false', task_definition: 'arn:aws:ecs:local:000000000000:task-definition/copy:7',
          ...(script.partitions ? { partitions: script.partitions.count, max_copy_tasks: script.partitions.atOnce } : {}),
        },
        ...(script.snapshots ? { snapshot_replay: replayOf(0, script.snapshots) } : {}),
        copy_timeout_seconds: 21_600,
      }),
      [Step.SNAPSHOT_DESTINATION]: (state: MigrationExecutionState) => ({ ...state, snapshot_replay: replayOf(state.snapshot_replay!.index + 1, script.snapshots ?? 0) }),
      [Step.PHASE1_DONE]: (state: MigrationExecutionState) => ({ ...state, wait_seconds: 60 }),
      [Step.AWAIT_COMPLETION]: () => ({ ignored: true }),
      [Step.AWAIT_SWITCHOVER]: () => (script.unanswered ? new Promise(() => undefined) : { ignored: true }),
      [Step.SOURCE_READ_ONLY]: (state: MigrationExecutionState) => state,
      [Step.CUTOVER]: (state: MigrationExecutionState) => state,
      [Step.CLEANUP]: (state: CleanupInput) => ({ ...state, outcome: state.error?.Error === 'MigrationCancelledError' ? 'cancelled' : 'error' }),
      [Step.RELEASE_SHARE]: (state: CleanupInput) => ({ ...state, outcome: 'error' }),
      [Step.SWITCHOVER_WRITERS]: (state: MigrationExecutionState) => {
        const outcome = script.writers?.[writerChecks] ?? 'clear';
        writerChecks += 1;
        const waitSeconds = outcome === 'waiting' ? (script.writersWaitSeconds ?? 15) : 0;
        const { switchover_wait_seconds: _previous, ...rest } = state;
        return { ...rest, switchover: { outcome, polls: writerChecks, wait_seconds: waitSeconds }, ...(waitSeconds > 0 ? { switchover_wait_seconds: waitSeconds } : {}) };
      },
      [Step.COPY_FAULT]: () => { throw new Error('no copy fault in these scripts'); },
      [Step.PLAN_PURGE]: (state: MigrationExecutionState) => {
        const failed = (state.purge?.failed ?? 0) + (state.purge?.error ? 1 : 0);
        const { error: _recorded, ...previous } = state.purge ?? {};
        if (purgesPlanned >= (script.purges ?? 0)) return { ...state, purge: { ...previous, more: false, failed } };
        purgesPlanned += 1;
        return {
          ...state,
          purge: {
            ...previous, more: true, failed,
            current: { instance_id: `i-${purgesPlanned}`, location: `fs-0123456789abcdef0:/shares/share-i-${purgesPlanned}` },
            job: { task_definition: 'arn:aws:ecs:local:000000000000:task-definition/copy-purge-fs-0123456789abcdef0:1', root: '/mnt/efs-root/fs-0123456789abcdef0', folder: `shares/share-i-${purgesPlanned}` },
          },
        };
      },
    };
    const handlers = Object.fromEntries(
      Object.entries(workflow.tasks).map(([name, task]) => [
        name,
        (input: unknown) => {
          const firstCall = !visited.includes(name);
          visited.push(name);
          (inputs[name] ??= []).push(structuredClone(input));
          const early = script.failFirst?.[name];
          const failure = script.failures?.[name] ?? (firstCall ? script.failOnce?.[name] : undefined)
            ?? (early && inputs[name]!.length <= early.times ? early.error : undefined);
          if (failure !== undefined) throw failWith(failure);
          if (task.kind === 'ecs-run-task') {
            const parameters = input as { Overrides: { ContainerOverrides: { Command?: string[]; Environment: { Name: string; Value: string }[] }[] } };
            const override = parameters.Overrides.ContainerOverrides[0]!;
            copyJobs.push({
              ...Object.fromEntries(override.Environment.map((e) => [e.Name, e.Value])),
              ...(override.Command ? { command: override.Command.join(' ') } : {}),
            });
            return { stopped: true };
          }
          if (task.kind === 'start-execution') return { ExecutionArn: 'arn:aws:states:local:000000000000:execution:share-migration:next' };
          return stepBehaviour[task.step as Step](input as never);
        },
      ]),
    );
    const retryable = Object.entries(definition().States).filter(([, state]) => state.Retry !== undefined);
    // aws-local-stepfunctions validates, and so edits, the definition it is given: give it a copy.
    const machine = new StateMachine(structuredClone(workflow.definition) as never, { validationOptions: { checkArn: true, checkPaths: true } });
    const execution = machine.run((script.input ?? executionInput) as typeof executionInput, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: { [StateName.WAIT_FOR_DRIVER]: 0 },
        retryIntervalOverrides: Object.fromEntries(retryable.map(([name]) => [name, 0])),
      },
      // What the local runtime passes (local/local-workflow.ts).
      context: { Execution: { Id: `local:${executionName}`, Name: executionName }, Task: { Token: 'token-1' } } as never,
    });
    try {
      return { visited, inputs, validateInputs, copyJobs, output: await execution.result };
    } catch (error) {
      if (!(error instanceof ExecutionError)) throw error;
      const cause = error.cause as Error;
      return { visited, inputs, validateInputs, copyJobs, error: { name: cause.name, message: cause.message } };
    }
  }

  it('host-assisted with auto_complete: bulk copy, read-only, final copy, cutover', async () => {
    // Act
    const outcome = await run({ autoComplete: true });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited).toEqual([
      StateName.VALIDATE,
      StateName.DRIVER_COMPATIBILITY,
      StateName.PREPARE_DESTINATION,
      StateName.BULK_COPY,
      StateName.PHASE1_DONE,
      StateName.SOURCE_READ_ONLY,
      StateName.SWITCHOVER_WRITERS,
      StateName.FINAL_COPY,
      StateName.CUTOVER,
      StateName.PLAN_PURGE,
    ]);
    const job = {
      SMIG_MIGRATION_ID: 'm-1',
      SMIG_SOURCE: '/exports/src',
      SMIG_DESTINATION: '/exports/dst',
      SMIG_VERIFY: 'true',
      SMIG_SOURCE_MODES: '/exports/src.modes',
      SMIG_PRESERVE_METADATA: 'false',
    };
    expect(outcome.copyJobs).toEqual([
      { ...job, SMIG_PASS: 'bulk' },
      { ...job, SMIG_PASS: 'final' },
    ]);
    expect(outcome.output).toMatchObject({ migration_id: 'm-1', copy: { source: '/exports/src' } });
  });

  it('with partitions: the bulk pass plans, then copies each partition as a Map item and seals; the final pass copies the partitions again and seals', async () => {
    // Act
    const outcome = await run({ autoComplete: true, partitions: { count: 3, atOnce: 2 } });

    // Assess
    expect(outcome.error).toBeUndefined();
    const bulk = StateName.BULK_COPY;
    const final = StateName.FINAL_COPY;
    expect(outcome.visited).toEqual([
      StateName.VALIDATE, StateName.DRIVER_COMPATIBILITY, StateName.PREPARE_DESTINATION,
      `${bulk}: plan partitions`, `${bulk}: copy partition`, `${bulk}: copy partition`, `${bulk}: copy partition`, `${bulk}: seal partitions`,
      StateName.PHASE1_DONE, StateName.SOURCE_READ_ONLY, StateName.SWITCHOVER_WRITERS,
      `${final}: copy partition`, `${final}: copy partition`, `${final}: copy partition`, `${final}: seal partitions`,
      StateName.CUTOVER, StateName.PLAN_PURGE,
    ]);
    const job = {
      SMIG_MIGRATION_ID: 'm-1', SMIG_SOURCE: '/exports/src', SMIG_DESTINATION: '/exports/dst', SMIG_VERIFY: 'true', SMIG_SOURCE_MODES: '/exports/src.modes', SMIG_PRESERVE_METADATA: 'false',
    };
    const byIndex = (a: Record<string, string>, b: Record<string, string>) => (a['SMIG_PARTITION_INDEX'] ?? '').localeCompare(b['SMIG_PARTITION_INDEX'] ?? '');
    expect(outcome.copyJobs.slice(0, 1)).toEqual([{ ...job, SMIG_PASS: 'bulk', SMIG_PARTITION_STEP: 'plan', SMIG_PARTITIONS: '3' }]);
    expect(outcome.copyJobs.slice(1, 4).sort(byIndex)).toEqual(['0', '1', '2'].map((index) => ({ ...job, SMIG_PASS: 'bulk', SMIG_PARTITION_INDEX: index })));
    expect(outcome.copyJobs[4]).toEqual({ ...job, SMIG_PASS: 'bulk', SMIG_PARTITION_STEP: 'seal' });
    expect(outcome.copyJobs.slice(5, 8).sort(byIndex)).toEqual(['0', '1', '2'].map((index) => ({ ...job, SMIG_PASS: 'final', SMIG_PARTITION_INDEX: index })));
    expect(outcome.copyJobs[8]).toEqual({ ...job, SMIG_PASS: 'final', SMIG_PARTITION_STEP: 'seal' });
    // Each partition's task runs with the pass's time limit, on the item's state (index, ids, the job).
    expect(outcome.inputs[`${bulk}: copy partition`]![0]).toMatchObject({ TaskDefinition: 'arn:aws:ecs:local:000000000000:task-definition/copy:7' });
    // The Map's items leave nothing behind in the state but the indexes.
    expect(outcome.output).toMatchObject({ migration_id: 'm-1', partitioned: { indexes: [0, 1, 2] } });
  });

  it('with partitions: a partition whose copy fails sends the migration to cleanup with that error', async () => {
    // Act
    const outcome = await run({ autoComplete: true, partitions: { count: 3, atOnce: 3 }, failures: { [`${StateName.BULK_COPY}: copy partition`]: 'CopyFailed' } });

    // Assess
    expect(outcome.error).toEqual({ name: 'MigrationFailed', message: 'see the migration record' });
    expect(outcome.visited).toContain(StateName.CLEANUP);
    expect(outcome.visited).not.toContain(`${StateName.BULK_COPY}: seal partitions`);
    expect(outcome.visited).not.toContain(StateName.PHASE1_DONE);
    expect((outcome.inputs[StateName.CLEANUP]![0] as { error: { Error: string } }).error.Error).toBe('CopyFailed');
  });

  it('replays each snapshot, oldest first (copy it onto the destination, snapshot the destination), before the bulk copy', async () => {
    // Act
    const outcome = await run({ autoComplete: true, snapshots: 2 });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited).toEqual([
      StateName.VALIDATE,
      StateName.DRIVER_COMPATIBILITY,
      StateName.PREPARE_DESTINATION,
      StateName.SNAPSHOT_COPY,
      StateName.SNAPSHOT_DESTINATION,
      StateName.SNAPSHOT_COPY,
      StateName.SNAPSHOT_DESTINATION,
      StateName.BULK_COPY,
      StateName.PHASE1_DONE,
      StateName.SOURCE_READ_ONLY,
      StateName.SWITCHOVER_WRITERS,
      StateName.FINAL_COPY,
      StateName.CUTOVER,
      StateName.PLAN_PURGE,
    ]);
    const snapshotJob = (index: number) => ({
      SMIG_MIGRATION_ID: 'm-1',
      SMIG_SOURCE: `/exports/src-snapshots/${index}`,
      SMIG_DESTINATION: '/exports/dst',
      SMIG_PASS: 'bulk',
      SMIG_VERIFY: 'true',
      SMIG_SOURCE_MODES: `/exports/src-snapshots/${index}.modes`,
      SMIG_PRESERVE_METADATA: 'true',
    });
    expect(outcome.copyJobs.slice(0, 3)).toEqual([snapshotJob(0), snapshotJob(1), expect.objectContaining({ SMIG_SOURCE: '/exports/src', SMIG_PASS: 'bulk' })]);
    expect(outcome.output).toMatchObject({ snapshot_replay: { more: false, index: 2, count: 2 } });
  });

  it.each([StateName.SNAPSHOT_COPY, StateName.SNAPSHOT_DESTINATION])('a failure in "%s" cleans up and fails the execution', async (failing) => {
    // Act
    const outcome = await run({ snapshots: 2, failures: { [failing]: 'States.TaskFailed' } });

    // Assess
    expect(outcome.visited.slice(-3)).toEqual([failing, StateName.CLEANUP, StateName.PLAN_PURGE]);
    expect(outcome.visited).not.toContain(StateName.BULK_COPY);
    expect(outcome.error?.name).toBe('MigrationFailed');
  });

  it('refreshes the bulk copy when a wait for migration_complete times out, then waits again', async () => {
    // Act
    const outcome = await run({ failOnce: { [StateName.AWAIT_COMPLETION]: 'States.Timeout' } });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited).toEqual([
      StateName.VALIDATE,
      StateName.DRIVER_COMPATIBILITY,
      StateName.PREPARE_DESTINATION,
      StateName.BULK_COPY,
      StateName.PHASE1_DONE,
      StateName.AWAIT_COMPLETION,
      StateName.REFRESH_COPY,
      StateName.AWAIT_COMPLETION,
      StateName.SOURCE_READ_ONLY,
      StateName.SWITCHOVER_WRITERS,
      StateName.FINAL_COPY,
      StateName.CUTOVER,
      StateName.PLAN_PURGE,
    ]);
    expect(outcome.copyJobs.map((job) => job['SMIG_PASS'])).toEqual(['bulk', 'bulk', 'final']);
  });

  it('only waits again when a driver-assisted wait times out', async () => {
    const outcome = await run({ driverAssisted: true, failOnce: { [StateName.AWAIT_COMPLETION]: 'States.Timeout' } });
    expect(outcome.error).toBeUndefined();
    const waits = outcome.visited.filter((name) => name === StateName.AWAIT_COMPLETION);
    expect(waits).toHaveLength(2);
    expect(outcome.visited).not.toContain(StateName.REFRESH_COPY);
  });

  it('gives validate the execution input as `request` and the execution name', async () => {
    // Act
    const outcome = await run({ autoComplete: true });

    // Assess
    expect(outcome.validateInputs).toEqual([{ request: executionInput, execution_name: executionName, execution_id: `local:${executionName}` }]);
  });

  it('resumed at cutover: visits only the cutover, then succeeds', async () => {
    // Act
    const outcome = await run({ resumeAt: 'cutover' });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited).toEqual([StateName.VALIDATE, StateName.CUTOVER, StateName.PLAN_PURGE]);
    expect(outcome.copyJobs).toEqual([]);
    expect(outcome.output).toEqual({
      migration_id: 'm-1', share_id: 's-1', auto_complete: false, driver_assisted: false, resume_at: 'cutover', purge: { more: false, failed: 0 }, loop: { cycles: 0 },
    });
  });

  it('resumed at driver-complete: visits only the driver completion, then succeeds', async () => {
    // Act
    const outcome = await run({ resumeAt: 'driver-complete' });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited).toEqual([StateName.VALIDATE, StateName.DRIVER_COMPLETE, StateName.PLAN_PURGE]);
    expect(outcome.copyJobs).toEqual([]);
    expect(outcome.output).toMatchObject({ migration_id: 'm-1', driver_assisted: true, resume_at: 'driver-complete' });
  });

  it('driver-assisted without auto_complete: polls the driver, waits for migration_complete, lets the driver complete', async () => {
    // Act
    const outcome = await run({ driverAssisted: true });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited).toEqual([
      StateName.VALIDATE,
      StateName.DRIVER_COMPATIBILITY,
      StateName.DRIVER_START,
      StateName.DRIVER_CONTINUE,
      StateName.DRIVER_CONTINUE,
      StateName.PHASE1_DONE,
      StateName.AWAIT_COMPLETION,
      StateName.SOURCE_READ_ONLY,
      StateName.SWITCHOVER_WRITERS,
      StateName.DRIVER_COMPLETE,
      StateName.PLAN_PURGE,
    ]);
    expect(outcome.output).toMatchObject({ driver_assisted: true, phase1_done: true });
  });

  it('a failing driver is undone and the host-assisted path takes over', async () => {
    // Act
    const outcome = await run({ driverAssisted: true, autoComplete: true, failures: { [StateName.DRIVER_START]: 'DriverError' } });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited).toEqual([
      StateName.VALIDATE,
      StateName.DRIVER_COMPATIBILITY,
      StateName.DRIVER_START,
      StateName.DRIVER_CANCEL,
      StateName.PREPARE_DESTINATION,
      StateName.BULK_COPY,
      StateName.PHASE1_DONE,
      StateName.SOURCE_READ_ONLY,
      StateName.SWITCHOVER_WRITERS,
      StateName.FINAL_COPY,
      StateName.CUTOVER,
      StateName.PLAN_PURGE,
    ]);
  });

  it('a cancel during the driver phase cleans up and ends as cancelled', async () => {
    // Act
    const outcome = await run({ driverAssisted: true, failures: { [StateName.DRIVER_CONTINUE]: 'MigrationCancelledError' } });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited.slice(-3)).toEqual([StateName.DRIVER_CONTINUE, StateName.CLEANUP, StateName.PLAN_PURGE]);
    expect(outcome.output).toMatchObject({ outcome: 'cancelled', error: { Error: 'MigrationCancelledError' } });
  });

  it('a failed copy (the task ran and exited non-zero) is not retried: it cleans up and fails the execution', async () => {
    // Act
    const outcome = await run({ failures: { [StateName.BULK_COPY]: 'States.TaskFailed' } });

    // Assess
    expect(outcome.visited.slice(-3)).toEqual([StateName.BULK_COPY, StateName.CLEANUP, StateName.PLAN_PURGE]);
    expect(outcome.visited.filter((name) => name === StateName.BULK_COPY)).toHaveLength(1);
    expect(outcome.error?.name).toBe('MigrationFailed');
  });

  it.each(REFUSAL_ERRORS)('a request refused with %s fails with the refusal and touches nothing else', async (refusal) => {
    // Act
    const outcome = await run({ failures: { [StateName.VALIDATE]: refusal } });

    // Assess
    expect(outcome.visited).toEqual([StateName.VALIDATE]);
    expect(outcome.error?.name).toBe(refusal);
  });

  it.each(['States.Timeout', 'Lambda.Unknown', 'ProvisionedThroughputExceededException', 'EventBridgeError', 'ConcurrentUpdateError'])(
    'a first state failing with %s (not a refusal) goes to cleanup with the execution input and name, then fails',
    async (failure) => {
      // Act
      const outcome = await run({ failures: { [StateName.VALIDATE]: failure } });

      // Assess: cleanup finds the migration the first state may have locked (FailedStartState)
      expect(outcome.visited.filter((name) => name !== StateName.VALIDATE)).toEqual([StateName.CLEANUP, StateName.PLAN_PURGE]);
      expect(outcome.inputs[StateName.CLEANUP]).toEqual([
        { request: executionInput, execution_name: executionName, error: { Error: failure, Cause: expect.stringContaining(failure) } },
      ]);
      expect(outcome.error?.name).toBe('MigrationFailed');
    },
  );

  it('after a failed first state, cleanup gets the migration id the input named (an API start, a resume)', async () => {
    // Prepare
    const input = { ...executionInput, migration_id: 'api-7' };

    // Act
    const outcome = await run({ input, failures: { [StateName.VALIDATE]: 'States.Timeout' } });

    // Assess
    expect(outcome.inputs[StateName.CLEANUP]).toEqual([{ request: input, execution_name: executionName, error: expect.objectContaining({ Error: 'States.Timeout' }) }]);
  });

  it('a cleanup that gives up hands over to the release step, with both errors, and the execution fails', async () => {
    // Act
    const outcome = await run({ failures: { [StateName.BULK_COPY]: 'States.TaskFailed', [StateName.CLEANUP]: 'DriverError' } });

    // Assess: cleanup's own retries first (any error, three times), then the release step, once
    const afterCopy = outcome.visited.slice(outcome.visited.indexOf(StateName.BULK_COPY) + 1);
    expect(afterCopy).toEqual([StateName.CLEANUP, StateName.CLEANUP, StateName.CLEANUP, StateName.CLEANUP, StateName.RELEASE_SHARE]);
    expect(outcome.inputs[StateName.RELEASE_SHARE]).toEqual([
      expect.objectContaining({
        migration_id: executionName,
        error: expect.objectContaining({ Error: 'States.TaskFailed' }),
        cleanup_error: expect.objectContaining({ Error: 'DriverError' }),
      }),
    ]);
    expect(outcome.error?.name).toBe('MigrationFailed');
  });

  it('a release step that cannot reach the state store keeps trying (hours on AWS), so the share is released once it answers', async () => {
    // Act: cleanup gives up, then the release step's writes fail twenty times (DynamoDB unreachable)
    const outcome = await run({
      failures: { [StateName.BULK_COPY]: 'States.TaskFailed', [StateName.CLEANUP]: 'DriverError' },
      failFirst: { [StateName.RELEASE_SHARE]: { error: 'TimeoutError', times: 20 } },
    });

    // Assess: the twenty-first try releases the share, and the execution ends as a failed migration
    expect(outcome.visited.filter((name) => name === StateName.RELEASE_SHARE)).toHaveLength(21);
    expect(outcome.error?.name).toBe('MigrationFailed');
  });

  it.each(DRIVER_NOT_READY_ERRORS.flatMap((error) => [[StateName.PREPARE_DESTINATION, error], [StateName.CLEANUP, error]]))(
    '"%s" waits out %s (mount targets still being created) well past the other retries, without giving up',
    async (state, error) => {
      // Act: ten refusals, more than any retry but the driver's allows
      const outcome = await run({ failures: state === StateName.CLEANUP ? { [StateName.BULK_COPY]: 'States.TaskFailed' } : {}, failFirst: { [state]: { error, times: 10 } } });

      // Assess
      expect(outcome.visited.filter((name) => name === state)).toHaveLength(11);
      if (state === StateName.CLEANUP) {
        expect(outcome.visited).not.toContain(StateName.RELEASE_SHARE);
        expect(outcome.error?.name).toBe('MigrationFailed');
      } else {
        expect(outcome.visited).not.toContain(StateName.CLEANUP);
        expect(outcome.error).toBeUndefined();
      }
    },
  );

  it.each([StateName.BULK_COPY, StateName.SNAPSHOT_COPY, StateName.REFRESH_COPY, StateName.FINAL_COPY].flatMap((state) => COPY_TASK_START_ERRORS.map((error) => [state, error])))(
    '"%s" starts its copy task again after %s (the task did not start), and the migration goes on',
    async (state, error) => {
      // Act: four failures to start, within the five retries
      const outcome = await run({
        snapshots: state === StateName.SNAPSHOT_COPY ? 1 : 0,
        failOnce: state === StateName.REFRESH_COPY ? { [StateName.AWAIT_COMPLETION]: 'States.Timeout' } : {},
        failFirst: { [state]: { error, times: 4 } },
      });

      // Assess
      expect(outcome.error).toBeUndefined();
      expect(outcome.visited.filter((name) => name === state)).toHaveLength(5);
      expect(outcome.visited).not.toContain(StateName.CLEANUP);
    },
  );

  it('waits while clients may still write to the read-only source, checking again after each wait, then copies the final delta', async () => {
    // Act
    const outcome = await run({ autoComplete: true, writers: ['waiting', 'waiting'] });

    // Assess
    expect(outcome.error).toBeUndefined();
    const switchover = outcome.visited.slice(outcome.visited.indexOf(StateName.SOURCE_READ_ONLY));
    expect(switchover).toEqual([
      StateName.SOURCE_READ_ONLY,
      StateName.SWITCHOVER_WRITERS,
      StateName.AWAIT_SWITCHOVER,
      StateName.SWITCHOVER_WRITERS,
      StateName.AWAIT_SWITCHOVER,
      StateName.SWITCHOVER_WRITERS,
      StateName.FINAL_COPY,
      StateName.CUTOVER,
      StateName.PLAN_PURGE,
    ]);
    // Each wait gets the migration's ids and the task token, nothing else of the state; its length as the check said.
    expect(outcome.inputs[StateName.AWAIT_SWITCHOVER]).toEqual([1, 2].map(() => ({
      FunctionName: expect.stringMatching(/:function:StepsAwaitSwitchover[0-9A-F]{8}$/),
      Payload: { migration_id: 'm-1', share_id: 's-1', task_token: 'token-1' },
      switchover_wait_seconds: 15,
    })));
    expect(outcome.copyJobs.map((job) => job['SMIG_PASS'])).toEqual(['bulk', 'final']);
  });

  it('ends a wait between two checks at its timeout when nobody confirms, and checks again', async () => {
    // Act: two waits of one second, never answered
    const started = performance.now();
    const outcome = await run({ autoComplete: true, writers: ['waiting', 'waiting'], writersWaitSeconds: 1, unanswered: true });
    const took = performance.now() - started;

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited.filter((name) => name === StateName.SWITCHOVER_WRITERS)).toHaveLength(3);
    expect(outcome.visited.slice(-3)).toEqual([StateName.FINAL_COPY, StateName.CUTOVER, StateName.PLAN_PURGE]);
    expect(outcome.visited).not.toContain(StateName.CLEANUP);
    expect(took).toBeGreaterThanOrEqual(2_000);
  });

  it('a failing wait between two checks (not its timeout) goes to cleanup, which restores the source', async () => {
    // Act
    const outcome = await run({ autoComplete: true, writers: ['waiting'], failures: { [StateName.AWAIT_SWITCHOVER]: 'Lambda.Unknown' } });

    // Assess
    expect(outcome.visited.slice(-3)).toEqual([StateName.AWAIT_SWITCHOVER, StateName.CLEANUP, StateName.PLAN_PURGE]);
    expect(outcome.visited).not.toContain(StateName.FINAL_COPY);
    expect(outcome.error?.name).toBe('MigrationFailed');
  });

  it('goes back to waiting for migration_complete when the switchover gave up, and starts it again from read-only', async () => {
    // Act
    const outcome = await run({ autoComplete: true, writers: ['waiting', 'gave_up'] });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited.slice(outcome.visited.indexOf(StateName.SOURCE_READ_ONLY))).toEqual([
      StateName.SOURCE_READ_ONLY,
      StateName.SWITCHOVER_WRITERS,
      StateName.AWAIT_SWITCHOVER,
      StateName.SWITCHOVER_WRITERS,
      StateName.AWAIT_COMPLETION,
      StateName.SOURCE_READ_ONLY,
      StateName.SWITCHOVER_WRITERS,
      StateName.FINAL_COPY,
      StateName.CUTOVER,
      StateName.PLAN_PURGE,
    ]);
    expect(outcome.copyJobs.map((job) => job['SMIG_PASS'])).toEqual(['bulk', 'final']);
  });

  it('lets the driver complete once the operator confirmed what the driver could not prove', async () => {
    // Act
    const outcome = await run({ driverAssisted: true, autoComplete: true, writers: ['waiting', 'confirmed'] });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited.slice(-6)).toEqual([
      StateName.SOURCE_READ_ONLY, StateName.SWITCHOVER_WRITERS, StateName.AWAIT_SWITCHOVER, StateName.SWITCHOVER_WRITERS, StateName.DRIVER_COMPLETE, StateName.PLAN_PURGE,
    ]);
  });

  it('a failing check of who may still write goes to cleanup, which restores the source', async () => {
    // Act
    const outcome = await run({ autoComplete: true, failures: { [StateName.SWITCHOVER_WRITERS]: 'DriverError' } });

    // Assess: the check's own retries (a Lambda error of a read: three tries in all), then cleanup.
    expect(outcome.visited.filter((name) => name === StateName.SWITCHOVER_WRITERS)).toHaveLength(3);
    expect(outcome.visited.slice(-2)).toEqual([StateName.CLEANUP, StateName.PLAN_PURGE]);
    expect(outcome.visited).not.toContain(StateName.FINAL_COPY);
    expect(outcome.error?.name).toBe('MigrationFailed');
  });

  it("purges what the deleted source left, one task per instance, with the purge entry as the container's command", async () => {
    // Act
    const outcome = await run({ autoComplete: true, purges: 2 });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited.slice(-6)).toEqual([StateName.CUTOVER, StateName.PLAN_PURGE, StateName.PURGE, StateName.PLAN_PURGE, StateName.PURGE, StateName.PLAN_PURGE]);
    expect(outcome.copyJobs.slice(-2)).toEqual([1, 2].map((n) => ({
      SMIG_PURGE_ROOT: '/mnt/efs-root/fs-0123456789abcdef0',
      SMIG_PURGE_FOLDER: `shares/share-i-${n}`,
      SMIG_PURGE_INSTANCE_ID: `i-${n}`,
      command: PURGE_ENTRY,
    })));
    expect(definition().States[StateName.PURGE]).toMatchObject({ 'Parameters': { 'TaskDefinition.$': '$.purge.job.task_definition' } });
    expect(outcome.output).toMatchObject({ migration_id: 'm-1', purge: { more: false, failed: 0 } });
  });

  it('records a purge task that failed, goes on, and then fails the execution with DataPurgeFailed', async () => {
    // Act
    const outcome = await run({ autoComplete: true, purges: 2, failOnce: { [StateName.PURGE]: 'States.TaskFailed' } });

    // Assess: the planner got the failure to record, then planned the next one
    const plans = outcome.inputs[StateName.PLAN_PURGE] as MigrationExecutionState[];
    expect(plans[1]?.purge).toMatchObject({ current: { instance_id: 'i-1' }, error: { Error: 'States.TaskFailed' } });
    expect(outcome.visited.filter((name) => name === StateName.PURGE)).toHaveLength(2);
    expect(outcome.error?.name).toBe(DATA_PURGE_FAILED);
  });

  it('after a cleanup, purges what the deleted destination left, then ends by the outcome', async () => {
    // Act
    const outcome = await run({ purges: 1, failures: { [StateName.BULK_COPY]: 'States.TaskFailed' } });

    // Assess
    expect(outcome.visited.slice(-4)).toEqual([StateName.CLEANUP, StateName.PLAN_PURGE, StateName.PURGE, StateName.PLAN_PURGE]);
    expect(outcome.error?.name).toBe('MigrationFailed');
  });

  it('an execution whose input is a purge only purges: no validation, no migration', async () => {
    // Act
    const outcome = await run({ input: { purge: { share_id: 's-9' } }, purges: 1 });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited).toEqual([StateName.PLAN_PURGE, StateName.PURGE, StateName.PLAN_PURGE]);
    expect(outcome.inputs[StateName.PLAN_PURGE]![0]).toEqual({ purge: { share_id: 's-9' } });
    expect(outcome.output).toMatchObject({ purge: { share_id: 's-9', more: false, failed: 0 } });
  });

  it('keeps a switchover that waits as long as it may far under the 25,000-event history limit', () => {
    // Assess: a check (Task: 5 events), the Choice (2) and the wait (a callback Task: 6, with TaskSubmitted)
    // per round, at most MAX_POLLS rounds.
    expect(definition().States[StateName.WRITERS_GONE]?.Type).toBe('Choice');
    expect(definition().States[StateName.AWAIT_SWITCHOVER]?.Next).toBe(StateName.SWITCHOVER_WRITERS);
    expect(SWITCHOVER_WAIT.MAX_POLLS * (5 + 2 + 6)).toBeLessThan(1_000);
  });

  it('a conflicting write is retried before anything is cleaned up', async () => {
    // Act
    const outcome = await run({ autoComplete: true, failOnce: { [StateName.CUTOVER]: 'ConcurrentUpdateError' } });

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.visited.slice(-3)).toEqual([StateName.CUTOVER, StateName.CUTOVER, StateName.PLAN_PURGE]);
  });
});
