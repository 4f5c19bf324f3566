/**
 * How many history events one execution of the synthesized state machine can reach, for a migration whose
 * driver replicates for 30 days and which then waits 30 days for migration_complete: Step Functions fails an
 * execution at 25,000 events, outside any Catch (no cleanup, the share left `migrating`).
 *
 * The definition runs under aws-local-stepfunctions with scripted steps on a simulated clock (waits take no
 * real time): every execution a handover starts runs too, until the migration ends. Each execution's events
 * are counted from the states it entered, as Step Functions records them:
 * - every state: <Type>StateEntered and <Type>StateExited (2);
 * - a Lambda task invoked by ARN: LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionSucceeded or
 *   Failed (3 an attempt);
 * - a service integration (waitForTaskToken, ecs:runTask.sync, states:startExecution): TaskScheduled,
 *   TaskStarted, TaskSubmitted, TaskSucceeded / Failed / TimedOut (4 an attempt);
 * - the execution: ExecutionStarted and ExecutionSucceeded / Failed (2).
 * The worst case adds, at every Task state entered, every retry its Retry allows (each retrier spent: errors
 * that alternate between retriers spend them all), as attempts of that task.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StateName } from '../../cdk/lib/migration-workflow.ts';
import { afterDriverPoll } from '../../lambdas/core/migrations/steps/driver-continue.ts';
import {
  COPY_FAULT_RETRY, HANDOVER_AFTER_CYCLES, MIN_REFRESH_INTERVAL_SECONDS, Step, SWITCHOVER_WAIT,
  type HandoverInput, type MigrationExecutionState, type ValidateStepInput,
} from '../../lambdas/core/workflow.ts';
import { allStates, loadSynthesizedWorkflow, type AslState, type SynthesizedWorkflow } from '../../local/synthesized-definition.ts';

/** Step Functions' limit on one execution's history. */
const HISTORY_LIMIT = 25_000;
const DAY = 86_400;
/** Far more executions than any scenario here hands over to (about 520 at most). */
const MAX_EXECUTIONS = 5_000;

let workflow: SynthesizedWorkflow;
let states: Map<string, AslState>;

beforeAll(async () => {
  workflow = await loadSynthesizedWorkflow();
  states = new Map(allStates(workflow.definition));
});

/** Events one attempt of a Task records besides entered/exited. */
function attemptEvents(state: AslState): number {
  return typeof state.Resource === 'string' && state.Resource.startsWith('arn:aws:lambda:') ? 3 : 4;
}

/** The events entering `name` once records: entered/exited, one attempt, and (worst case) every retry. */
function eventsOfState(name: string, worstCase: boolean): number {
  const state = states.get(name);
  if (state === undefined) throw new Error(`no state ${name}`);
  if (state.Type !== 'Task') return 2;
  const retries = worstCase ? ((state.Retry ?? []) as { MaxAttempts?: number }[]).reduce((sum, r) => sum + (r.MaxAttempts ?? 3), 0) : 0;
  return 2 + attemptEvents(state) * (1 + retries);
}

interface Scenario {
  readonly mechanism: 'driver' | 'host';
  /** Seconds the driver replicates before it reports phase 1 done (driver-assisted). */
  readonly replicationSeconds: number;
  /** Seconds after phase 1 done until the operator calls migration_complete. */
  readonly completionAfterSeconds: number;
  /** The migration's refresh_interval: how long one wait for migration_complete lasts. */
  readonly refreshInterval: number;
  /**
   * Seconds from the start during which the platform stops every copy task (an outage of Fargate in the
   * region, a quota taken away): each copy pass fails as a Spot interruption does. @default 0
   */
  readonly copyOutageSeconds?: number;
}

interface ExecutionCount {
  readonly states: number;
  readonly events: number;
  readonly worstCaseEvents: number;
}

interface Simulation {
  readonly executions: ExecutionCount[];
  readonly polls: number;
  readonly waits: number;
  /** Copy tasks the platform stopped, and the waits past the retry ladder among the waits before the next try. */
  readonly copyFaults: number;
  readonly faultWaits: number;
  /** Simulated seconds from the start to the end. */
  readonly seconds: number;
  readonly ended: string;
}

const timeout = (): Error => Object.assign(new Error('the wait timed out (simulated)'), { name: 'States.Timeout' });

/** runTask.sync's failure for a copy task the platform stopped: States.TaskFailed, the stopped task as its Cause. */
const platformStopped = (): Error => Object.assign(new Error(JSON.stringify({
  TaskArn: 'arn:aws:ecs:local:000000000000:task/copy/1', LastStatus: 'STOPPED', StopCode: 'SpotInterruption',
  StoppedReason: 'Your Spot Task was interrupted.', Containers: [{ Name: 'copy', ExitCode: 143 }],
})), { name: 'States.TaskFailed' });

/**
 * Runs the migration through as many executions as it takes, on a simulated clock: the Wait before a driver
 * poll and every wait for migration_complete advance it by their length.
 */
async function simulate(scenario: Scenario): Promise<Simulation> {
  let clock = 0;
  let phase1DoneAt: number | undefined;
  let polls = 0;
  let waits = 0;
  let writerChecks = 0;
  let purges = 0;
  let resumedPoll = false;
  let copyFaults = 0;
  let faultsInARow = 0;
  let faultWaits = 0;
  let next: { input: unknown; name: string } | undefined = { input: { share_id: 's-1', host: 'efs@b#p' }, name: 'm-1' };
  const executions: ExecutionCount[] = [];
  const copyPlan = { source: '/src', destination: '/dst', source_modes: '', preserve_metadata: 'true' as const, task_definition: 'arn:aws:ecs:local:000000000000:task-definition/copy:1' };

  const steps: Record<Step, (input: never) => unknown> = {
    [Step.VALIDATE]: (input: ValidateStepInput) => {
      const request = input.request as { share_id: string; resume?: HandoverInput['resume'] };
      const state: MigrationExecutionState = { migration_id: 'm-1', share_id: request.share_id, auto_complete: false, loop: { cycles: 0 } };
      if (!request.resume) return state;
      resumedPoll = request.resume.at === 'driver-poll';
      const { error: _e, handover: _h, resume_at: _r, ...carried } = request.resume.state;
      return { ...carried, ...state, resume_at: request.resume.at };
    },
    [Step.DRIVER_COMPATIBILITY]: (state: MigrationExecutionState) => ({ ...state, driver_assisted: scenario.mechanism === 'driver' }),
    [Step.DRIVER_START]: (state: MigrationExecutionState) => state,
    [Step.DRIVER_CONTINUE]: (state: MigrationExecutionState) => {
      // The Wait before this poll (none before the first, nor at once after a handover).
      if (!resumedPoll) clock += state.driver_wait_seconds ?? 0;
      resumedPoll = false;
      polls += 1;
      return afterDriverPoll(state, clock >= scenario.replicationSeconds);
    },
    [Step.DRIVER_CANCEL]: () => { throw new Error('not in this scenario'); },
    [Step.DRIVER_COMPLETE]: (state: MigrationExecutionState) => state,
    [Step.PREPARE_DESTINATION]: (state: MigrationExecutionState) => ({
      ...state, copy: copyPlan, snapshot_replay: { more: false, index: 0, count: 0 }, copy_timeout_seconds: 6 * 3600,
    }),
    [Step.SNAPSHOT_DESTINATION]: () => { throw new Error('not in this scenario'); },
    [Step.PHASE1_DONE]: (state: MigrationExecutionState) => {
      phase1DoneAt = clock;
      return { ...state, wait_seconds: scenario.refreshInterval, loop: state.loop ?? { cycles: 0 } };
    },
    [Step.AWAIT_COMPLETION]: (parameters: { wait_seconds: number }) => {
      if (phase1DoneAt !== undefined && clock >= phase1DoneAt + scenario.completionAfterSeconds) return {};
      clock += parameters.wait_seconds;
      waits += 1;
      throw timeout();
    },
    [Step.SOURCE_READ_ONLY]: (state: MigrationExecutionState) => state,
    // The longest switchover: a client may still write at every check but the last the wait allows.
    [Step.SWITCHOVER_WRITERS]: (state: MigrationExecutionState) => {
      writerChecks += 1;
      const waiting = writerChecks < SWITCHOVER_WAIT.MAX_POLLS;
      return { ...state, switchover: { outcome: waiting ? 'waiting' : 'clear', polls: writerChecks, wait_seconds: 60 }, switchover_wait_seconds: 60 };
    },
    [Step.AWAIT_SWITCHOVER]: () => { throw timeout(); },
    [Step.CUTOVER]: (state: MigrationExecutionState) => state,
    [Step.CLEANUP]: () => { throw new Error('cleanup is not in this scenario'); },
    [Step.RELEASE_SHARE]: () => { throw new Error('release is not in this scenario'); },
    // The wait past the retry ladder times out after its TimeoutSecondsPath (no cancel). As a callback task its
    // handler gets the state's Parameters (the payload under Payload), with the timeout copied to the top by the
    // local adaptation, as the wait for migration_complete gets `wait_seconds`; the direct call with `cleared`
    // after a pass ran has none.
    [Step.COPY_FAULT]: (input: { copy_fault_wait_seconds?: number }) => {
      if (input.copy_fault_wait_seconds === undefined) return {};
      clock += input.copy_fault_wait_seconds;
      faultWaits += 1;
      throw timeout();
    },
    [Step.PLAN_PURGE]: (state: MigrationExecutionState) => {
      purges += 1;
      if (purges > 1) return { ...state, purge: { more: false, failed: 0 } };
      return { ...state, purge: { more: true, failed: 0, current: { instance_id: 'i-1', location: 'fs:/shares/share-i-1' }, job: { task_definition: copyPlan.task_definition, root: '/mnt', folder: 'shares/share-i-1' } } };
    },
  };

  // One StateMachine for every execution: it validates the definition once.
  const machine = new StateMachine(structuredClone(workflow.definition) as never, { validationOptions: { checkArn: true, checkPaths: true } });
  const waitStates = [...states].filter(([, state]) => state.Type === 'Wait').map(([name]) => name);
  const retryable = [...states].filter(([, state]) => state.Retry !== undefined).map(([name]) => name);
  let ended = '';
  while (next !== undefined) {
    // A simulated clock that stops advancing hands over forever, and never yields to vitest's timeout: fail instead.
    if (executions.length >= MAX_EXECUTIONS) throw new Error(`over ${MAX_EXECUTIONS} executions at ${clock} s: the simulated clock no longer advances`);
    const { input, name } = next;
    next = undefined;
    const handlers = Object.fromEntries(Object.entries(workflow.tasks).map(([stateName, task]) => [stateName, (taskInput: unknown) => {
      if (task.kind === 'ecs-run-task') {
        if (clock >= (scenario.copyOutageSeconds ?? 0)) { faultsInARow = 0; return {}; }
        copyFaults += 1;
        faultsInARow += 1;
        // The retry ladder's Wait before the next try (the waits past it advance the clock in the copy-fault step).
        clock += COPY_FAULT_RETRY.WAIT_SECONDS[faultsInARow] ?? 0;
        throw platformStopped();
      }
      if (task.kind === 'start-execution') {
        const parameters = taskInput as { Name: string; Input: unknown };
        next = { input: parameters.Input, name: parameters.Name };
        return { ExecutionArn: `arn:aws:states:local:000000000000:execution:share-migration:${parameters.Name}` };
      }
      return steps[task.step as Step](taskInput as never);
    }]));
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: Object.fromEntries(waitStates.map((s) => [s, 0])),
        retryIntervalOverrides: Object.fromEntries(retryable.map((s) => [s, 0])),
      },
      context: { Execution: { Id: `arn:aws:states:local:000000000000:execution:share-migration:${name}`, Name: name }, Task: { Token: 't' } } as never,
    });
    const entered: string[] = [];
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') entered.push(event.state.name);
    }
    await execution.result;
    ended = entered.at(-1) ?? '';
    const count = (worstCase: boolean) => 2 + entered.reduce((sum, state) => sum + eventsOfState(state, worstCase), 0);
    executions.push({ states: entered.length, events: count(false), worstCaseEvents: count(true) });
  }
  return { executions, polls, waits, copyFaults, faultWaits, seconds: clock, ended };
}

describe('Workflow: history of one execution', () => {
  it.each([
    ['driver-assisted, waiting at the shortest refresh_interval', { mechanism: 'driver', refreshInterval: MIN_REFRESH_INTERVAL_SECONDS }],
    ['host-assisted, refreshing at the shortest refresh_interval', { mechanism: 'host', refreshInterval: MIN_REFRESH_INTERVAL_SECONDS }],
  ] as const)('%s: a 30-day replication and a 30-day wait stay far under 25,000 events in every execution', async (_name, partial) => {
    // Prepare
    const scenario: Scenario = { replicationSeconds: 30 * DAY, completionAfterSeconds: 30 * DAY, ...partial };

    // Act
    const simulation = await simulate(scenario);

    // Assess
    const largest = Math.max(...simulation.executions.map((e) => e.worstCaseEvents));
    expect(simulation.ended).toBe(StateName.SUCCEEDED);
    // 30 days at the shortest refresh_interval: every wait counted, handed over every HANDOVER_AFTER_CYCLES.
    expect(simulation.waits).toBeGreaterThanOrEqual(30 * DAY / MIN_REFRESH_INTERVAL_SECONDS);
    expect(simulation.executions.length).toBeGreaterThan((simulation.polls + simulation.waits) / HANDOVER_AFTER_CYCLES - 1);
    expect(largest).toBeLessThan(HISTORY_LIMIT / 2);
    console.info(`${_name}: ${simulation.executions.length} executions, ${simulation.polls} polls, ${simulation.waits} waits; `
      + `largest execution ${Math.max(...simulation.executions.map((e) => e.events))} events, ${largest} with every retry spent`);
  }, 300_000);

  it('host-assisted: a 30-day outage of the copy task (every attempt stopped by the platform) is waited out, handed over, and stays far under 25,000 events', async () => {
    // Prepare: the bulk copy's every task stopped for 30 days, then the platform lets a task run
    const scenario: Scenario = { mechanism: 'host', replicationSeconds: 0, completionAfterSeconds: 0, refreshInterval: MIN_REFRESH_INTERVAL_SECONDS, copyOutageSeconds: 30 * DAY };

    // Act
    const simulation = await simulate(scenario);

    // Assess: never cleanup (the destination kept), one wait every PARK_SECONDS past the ladder, handed over
    const largest = Math.max(...simulation.executions.map((e) => e.worstCaseEvents));
    expect(simulation.ended).toBe(StateName.SUCCEEDED);
    expect(simulation.seconds).toBeGreaterThanOrEqual(30 * DAY);
    expect(simulation.faultWaits).toBeGreaterThanOrEqual((30 * DAY - 3 * 3600) / COPY_FAULT_RETRY.PARK_SECONDS);
    expect(simulation.copyFaults).toBe(simulation.faultWaits + COPY_FAULT_RETRY.MAX_ATTEMPTS);
    expect(simulation.executions.length).toBeGreaterThan(simulation.faultWaits / HANDOVER_AFTER_CYCLES - 1);
    expect(largest).toBeLessThan(HISTORY_LIMIT / 2);
    console.info(`30-day copy outage: ${simulation.executions.length} executions, ${simulation.copyFaults} copy faults, ${simulation.faultWaits} waits past the ladder; `
      + `largest execution ${Math.max(...simulation.executions.map((e) => e.events))} events, ${largest} with every retry spent`);
  }, 300_000);

  it('driver-assisted: backs off to one poll every few minutes, so 30 days of replication take under 9,000 polls (8,640 and one more at each handover)', async () => {
    // Act
    const simulation = await simulate({ mechanism: 'driver', replicationSeconds: 30 * DAY, completionAfterSeconds: 0, refreshInterval: MIN_REFRESH_INTERVAL_SECONDS });

    // Assess: 5 s, 10 s, ... 300 s: 8,640 polls at the longest interval, not 518,400 at 5 s.
    expect(simulation.polls).toBeGreaterThan(8_600);
    expect(simulation.polls).toBeLessThan(8_800);
    expect(simulation.ended).toBe(StateName.SUCCEEDED);
  }, 300_000);
});
