import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StateName } from '../../cdk/lib/migration-workflow.ts';
import { COPY_FAULT_RETRY, HANDOVER_AFTER_CYCLES, Step } from '../../lambdas/core/workflow.ts';
import { causeMessage } from '../../lambdas/core/migrations/cleanup-input.ts';
import { resolveDefinition, type CfnTemplate } from '../../local/synthesized-definition.ts';
import type { ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import { COPY_FAULT_WAIT, EVENT_SOURCE } from '../../lambdas/core/events/migration-event.ts';
import { logicalId, synthesizeStack } from './support.ts';

type State = Record<string, any>;

/** The states CopyFaultRetry adds after a copy task, by what follows `<task>: `. */
const FAULT_STATES = ['task described?', 'faults counted?', 'first fault', 'read the stopped task', 'infrastructure fault?', 'count the fault', 'wait out the fault', 'copy error', 'fault persists'];

/** The first state of the loop where a pass past its retry ladder waits the fault out (CopyFaultParking). */
const PARKING = 'How long to wait out the copy fault';

let states: Record<string, State>;
let stack: ShareMigrationStack;
let resources: Record<string, { Type: string; Properties: Record<string, any> }>;
beforeAll(() => {
  const synthesized = synthesizeStack();
  const template = synthesized.template;
  stack = synthesized.stack;
  resources = template.toJSON()['Resources'];
  states = (resolveDefinition(template.toJSON() as CfnTemplate) as { States: Record<string, State> }).States;
});

/**
 * The copy states' fault handling (cdk/lib/workflow-copy-faults.ts), run as synthesized under
 * aws-local-stepfunctions: the states after a copy pass's Catch, with the pass itself, the wait and cleanup
 * replaced by markers (the loop that waits a fault out past the ladder too), fed the Cause a stopped ECS task
 * gives Step Functions (DescribeTasks' task, JSON).
 */
async function afterFailure(copy: string, task: Record<string, unknown> | string, faults: Record<string, unknown> = {}): Promise<{ outcome: string; state: any }> {
  const prefix = `${copy}: `;
  // The pass's own fault states (a partitioned pass's states share the prefix: `<pass>: plan partitions`...).
  const own = Object.fromEntries(Object.entries(states).filter(([name]) => name.startsWith(prefix) && FAULT_STATES.includes(name.slice(prefix.length))));
  const marker = (outcome: string): State => ({ Type: 'Pass', Parameters: { outcome, 'state.$': '$' }, End: true });
  const markers: Record<string, string> = { [copy]: 'RETRIED', [StateName.CLEANUP]: 'CLEANUP', [PARKING]: 'PARKED' };
  const rewired = JSON.parse(JSON.stringify(own), (key, value) => (key === 'Next' && typeof value === 'string' && markers[value] !== undefined ? markers[value] : value));
  for (const [name, state] of Object.entries(rewired) as [string, State][]) if (state['Type'] === 'Wait') rewired[name] = { Type: 'Pass', Next: state['Next'] };
  // The wait-out loop is only reachable from a pass that waits faults out (not a partition's).
  const parked = JSON.stringify(rewired).includes('"PARKED"') ? { PARKED: marker('parked') } : {};
  const machine = new StateMachine({ StartAt: `${prefix}task described?`, States: { ...rewired, RETRIED: marker('retried'), CLEANUP: marker('cleanup'), ...parked } } as never);
  const cause = typeof task === 'string' ? task : JSON.stringify(task);
  const input = { migration_id: 'm-1', copy_faults: { ...faults, error: { Error: 'States.TaskFailed', Cause: cause } } };
  return (await machine.run(input as never).result) as { outcome: string; state: any };
}

const stopped = (fields: Record<string, unknown>, exitCode: number | null = null) => ({
  TaskArn: 'arn:aws:ecs:eu-west-1:111122223333:task/copy/abc', LastStatus: 'STOPPED', ...fields,
  Containers: [{ Name: 'copy', LastStatus: 'STOPPED', ...(exitCode === null ? {} : { ExitCode: exitCode }) }],
});

describe('Construct: CopyFaultRetry (the synthesized fault states, run)', () => {
  it.each([
    ['a Spot interruption', stopped({ StopCode: 'SpotInterruption', StoppedReason: 'Your Spot Task was interrupted.' }, 143)],
    ['a task that failed to start (EFS mount)', stopped({ StopCode: 'TaskFailedToStart', StoppedReason: 'ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes' })],
    ['an EFS mount failure under another stop code', stopped({ StopCode: 'EssentialContainerExited', StoppedReason: 'ResourceInitializationError: mount.nfs4: Connection timed out' })],
    ['a retired host', stopped({ StopCode: 'ServiceSchedulerInitiated', StoppedReason: 'Host EC2 (instance i-0abc) stopped/terminated.' })],
    ['a killed container', stopped({ StopCode: 'EssentialContainerExited', StoppedReason: 'Essential container in task exited' }, 137)],
  ])('runs the bulk pass again after %s, counting the fault and waiting its turn', async (_what, task) => {
    const { outcome, state } = await afterFailure(StateName.BULK_COPY, task);
    expect(outcome).toBe('retried');
    expect(state.copy_faults).toMatchObject({ attempts: 1, wait_seconds: COPY_FAULT_RETRY.WAIT_SECONDS[1] });
    expect(state.error).toBeUndefined();
  });

  it.each([
    ['a copy error (the engine exits 1)', stopped({ StopCode: 'EssentialContainerExited', StoppedReason: 'Essential container in task exited' }, 1)],
    ['a cancel (the runtime stopped it)', stopped({ StopCode: 'UserInitiated', StoppedReason: 'Task stopped by user' }, 137)],
    ['a Cause that is no task description', 'Essential container in task exited'],
  ])('sends %s to cleanup with the error where cleanup reads it', async (_what, task) => {
    const { outcome, state } = await afterFailure(StateName.FINAL_COPY, task);
    expect(outcome).toBe('cleanup');
    expect(state.error).toMatchObject({ Error: 'States.TaskFailed' });
  });

  it('waits longer after each fault in a row, and past the last one waits the fault out instead of going to cleanup', async () => {
    // Prepare
    const spot = stopped({ StopCode: 'SpotInterruption', StoppedReason: 'Your Spot Task was interrupted.' });

    // Act
    const third = await afterFailure(StateName.REFRESH_COPY, spot, { attempts: 2 });
    const pastTheLadder = await afterFailure(StateName.SNAPSHOT_COPY, spot, { attempts: COPY_FAULT_RETRY.MAX_ATTEMPTS });
    const later = await afterFailure(StateName.FINAL_COPY, spot, { attempts: COPY_FAULT_RETRY.MAX_ATTEMPTS + 40, resume: StateName.FINAL_COPY });

    // Assess: the ladder, then the wait (never cleanup, which deletes the destination), naming the copy to run again
    expect(third.state.copy_faults).toMatchObject({ attempts: 3, wait_seconds: 120 });
    expect(pastTheLadder.outcome).toBe('parked');
    expect(pastTheLadder.state.copy_faults).toEqual({
      attempts: COPY_FAULT_RETRY.MAX_ATTEMPTS + 1, resume: StateName.SNAPSHOT_COPY, error: { Error: 'States.TaskFailed', Cause: JSON.stringify(spot) },
    });
    expect(pastTheLadder.state.error).toBeUndefined();
    expect(later).toMatchObject({ outcome: 'parked', state: { copy_faults: { attempts: COPY_FAULT_RETRY.MAX_ATTEMPTS + 41, resume: StateName.FINAL_COPY } } });
  });

  it('still sends a copy error to cleanup after many faults', async () => {
    const { outcome } = await afterFailure(StateName.BULK_COPY, stopped({ StopCode: 'EssentialContainerExited', StoppedReason: 'Essential container in task exited' }, 1), { attempts: 40 });
    expect(outcome).toBe('cleanup');
  });

  it('shows a stopped task\'s Cause as its reason, exit code and container reason', () => {
    expect(causeMessage(JSON.stringify(stopped({ StopCode: 'EssentialContainerExited', StoppedReason: 'Essential container in task exited' }, 1))))
      .toBe('Essential container in task exited (exit code 1)');
    expect(causeMessage(JSON.stringify({ ...stopped({ StoppedReason: 'Essential container in task exited' }), Containers: [{ ExitCode: 1, Reason: 'ENOSPC on the destination' }] })))
      .toBe('Essential container in task exited (exit code 1): ENOSPC on the destination');
  });
});

/**
 * Runs the synthesized states named `names` under aws-local-stepfunctions from the first; every state they
 * lead to outside them is a marker of the same name that ends the run with `{outcome: <its name>, state}`.
 */
async function runStates(names: readonly string[], input: unknown, handlers: Record<string, (input: any) => unknown>): Promise<{ outcome: string; state: any }> {
  const own: Record<string, State> = Object.fromEntries(names.map((name) => [name, states[name]!]));
  const targets = new Set<string>();
  JSON.stringify(own, (key, value) => {
    if ((key === 'Next' || key === 'Default') && typeof value === 'string') targets.add(value);
    return value;
  });
  const markers = Object.fromEntries([...targets].filter((t) => own[t] === undefined).map((t) => [t, { Type: 'Pass', Parameters: { outcome: t, 'state.$': '$' }, End: true }]));
  const machine = new StateMachine({ StartAt: names[0], States: { ...own, ...markers } } as never);
  const context = { Execution: { Id: 'arn:aws:states:local:000000000000:execution:m:e-1', Name: 'e-1' }, Task: { Token: 't' } };
  return (await machine.run(input as never, { overrides: { taskResourceLocalHandlers: handlers as never }, context: context as never }).result) as { outcome: string; state: any };
}

const failure = (name: string): Error => Object.assign(new Error(`${name} (simulated)`), { name });

describe('Construct: CopyFaultParking (the synthesized wait-out loop, run)', () => {
  const LOOP = [PARKING, StateName.COPY_FAULT, StateName.COUNT_COPY_FAULT, StateName.HAND_OVER_COPY_FAULT, StateName.RESUME_COPY];
  const parked = (cycles: number, resume: string = StateName.FINAL_COPY) => ({
    migration_id: 'm-1', share_id: 's-1', loop: { cycles },
    copy_faults: { attempts: COPY_FAULT_RETRY.MAX_ATTEMPTS + 1, resume, error: { Error: 'States.TaskFailed', Cause: '{"StopCode":"SpotInterruption"}' } },
  });

  it('waits PARK_SECONDS on a task token that records the fault, and cancel\'s failure of it goes to cleanup', () => {
    // Assess: the exact state
    expect(states[PARKING]).toEqual({ Type: 'Pass', Result: COPY_FAULT_RETRY.PARK_SECONDS, ResultPath: '$.copy_fault_wait_seconds', Next: StateName.COPY_FAULT });
    const wait = states[StateName.COPY_FAULT]!;
    expect(wait).toMatchObject({
      Type: 'Task',
      Resource: expect.stringMatching(/:::lambda:invoke\.waitForTaskToken$/),
      TimeoutSecondsPath: '$.copy_fault_wait_seconds',
      ResultPath: null,
      Next: StateName.COUNT_COPY_FAULT,
      Catch: [
        { ErrorEquals: ['States.Timeout'], ResultPath: null, Next: StateName.COUNT_COPY_FAULT },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: StateName.CLEANUP },
      ],
    });
    expect(wait['Parameters'].Payload).toEqual({
      'migration_id.$': '$.migration_id', 'share_id.$': '$.share_id',
      'attempts.$': '$.copy_faults.attempts', 'last_error.$': '$.copy_faults.error', 'wait_seconds.$': '$.copy_fault_wait_seconds',
      'task_token.$': '$$.Task.Token',
    });
  });

  it.each([StateName.BULK_COPY, StateName.FINAL_COPY, StateName.SNAPSHOT_COPY, `${StateName.REFRESH_COPY}: seal partitions`])(
    'runs %s again once the wait times out, one loop cycle counted', async (copy) => {
      // Act
      const { outcome, state } = await runStates(LOOP, parked(3, copy), { [StateName.COPY_FAULT]: () => { throw failure('States.Timeout'); } });

      // Assess
      expect(outcome).toBe(copy);
      expect(state).toMatchObject({ loop: { cycles: 4 }, copy_fault_wait_seconds: COPY_FAULT_RETRY.PARK_SECONDS, copy_faults: { resume: copy } });
    },
  );

  it('hands the waiting over to a new execution, resuming at copy-fault, every HANDOVER_AFTER_CYCLES waits', async () => {
    const { outcome, state } = await runStates(LOOP, parked(HANDOVER_AFTER_CYCLES - 1), { [StateName.COPY_FAULT]: () => { throw failure('States.Timeout'); } });
    expect(outcome).toBe(StateName.PREPARE_HANDOVER_COPY_FAULT);
    expect(states[StateName.PREPARE_HANDOVER_COPY_FAULT]!['Parameters'].input.resume).toEqual({ at: 'copy-fault', 'state.$': '$' });
    expect(state.copy_faults.resume).toBe(StateName.FINAL_COPY);
  });

  it('goes to cleanup at once when migration_cancel answers the wait', async () => {
    const { outcome, state } = await runStates(LOOP, parked(3), { [StateName.COPY_FAULT]: () => { throw failure('MigrationCancelledError'); } });
    expect(outcome).toBe(StateName.CLEANUP);
    expect(state.error).toMatchObject({ Error: 'MigrationCancelledError' });
  });

  it('clears the record of a wait after the pass ran, and only then', async () => {
    // Prepare
    const prefix = `${StateName.BULK_COPY}: `;
    const after = [`${prefix}copy fault recorded?`, `${prefix}clear the copy fault`, `${prefix}copy fault over`];
    const cleared: unknown[] = [];
    const clear = { [`${prefix}clear the copy fault`]: (input: unknown) => { cleared.push(input); return {}; } };

    // Act
    const recorded = await runStates(after, { ...parked(3), copy_faults: { attempts: 0 }, copy_fault_wait_seconds: COPY_FAULT_RETRY.PARK_SECONDS }, clear);
    const none = await runStates(after, { migration_id: 'm-1', share_id: 's-1', copy_faults: { attempts: 0 } }, clear);

    // Assess
    expect(cleared).toEqual([{ migration_id: 'm-1', share_id: 's-1', cleared: true }]);
    expect(recorded).toMatchObject({ outcome: `${StateName.BULK_COPY}: copied`, state: { copy_fault_wait_seconds: 0 } });
    expect(none.outcome).toBe(`${StateName.BULK_COPY}: copied`);
    expect(states[StateName.BULK_COPY]!['Next']).toBe(`${prefix}copy fault recorded?`);
  });
});

describe('Construct: MigrationMonitoring (migrations waiting out copy faults)', () => {
  it('matches the copy fault wait events on the migrations\' bus, and alarms while any come (a period of two waits)', () => {
    // Assess
    const rule = stack.monitoring.copyFaultWaitRule!;
    expect(resources[logicalId(rule)]!.Properties).toEqual({
      Description: expect.any(String),
      EventBusName: { Ref: logicalId(stack.events.bus) },
      EventPattern: { source: [EVENT_SOURCE], 'detail-type': [COPY_FAULT_WAIT] },
      State: 'ENABLED',
    });
    expect(resources[logicalId(stack.monitoring.copyFaultWaitsAlarm!)]!.Properties).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'TriggeredRules',
      Dimensions: [{ Name: 'EventBusName', Value: { Ref: logicalId(stack.events.bus) } }, { Name: 'RuleName', Value: { Ref: logicalId(rule) } }],
      Statistic: 'Sum',
      Period: 2 * COPY_FAULT_RETRY.PARK_SECONDS,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
      OKActions: [{ Ref: logicalId(stack.monitoring.topic) }],
    });
  });

  it('lets the copy-fault function answer tokens of this state machine only, and put events on the bus', () => {
    const role = stack.lambdas.forStep(Step.COPY_FAULT).role!;
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties['Roles']).includes(logicalId(role)));
    const statements = policies.flatMap((p) => p.Properties['PolicyDocument'].Statement as Record<string, any>[]);
    expect(statements).toContainEqual({
      Action: ['states:SendTaskFailure', 'states:SendTaskSuccess'],
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:stateMachine:${stack.stackName}-migration`]] },
    });
    expect(statements).toContainEqual({ Action: 'events:PutEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalId(stack.events.bus), 'Arn'] } });
    expect(statements).toContainEqual({
      Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalId(stack.tables.byId.migrations), 'Arn'] },
    });
    // Besides its own logs and X-Ray: nothing else (no driver, no other table).
    expect(statements.flatMap((st) => [st['Action']].flat() as string[]).filter((a) => !/^(logs|xray):/.test(a)).sort()).toEqual([
      'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'events:PutEvents', 'states:SendTaskFailure', 'states:SendTaskSuccess',
    ]);
  });
});
