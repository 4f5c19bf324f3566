import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StateName } from '../../cdk/lib/migration-workflow.ts';
import { COPY_FAULT_RETRY } from '../../lambdas/core/workflow.ts';
import { causeMessage } from '../../lambdas/core/migrations/cleanup-input.ts';
import { resolveDefinition, type CfnTemplate } from '../../local/synthesized-definition.ts';
import { synthesizeStack } from './support.ts';

type State = Record<string, any>;

/** The states CopyFaultRetry adds after a copy task, by what follows `<task>: `. */
const FAULT_STATES = ['task described?', 'faults counted?', 'first fault', 'read the stopped task', 'infrastructure fault?', 'count the fault', 'wait out the fault', 'copy error'];

let states: Record<string, State>;
beforeAll(() => {
  const { template } = synthesizeStack();
  states = (resolveDefinition(template.toJSON() as CfnTemplate) as { States: Record<string, State> }).States;
});

/**
 * The copy states' fault handling (cdk/lib/workflow-copy-faults.ts), run as synthesized under
 * aws-local-stepfunctions: the states after a copy pass's Catch, with the pass itself, the wait and cleanup
 * replaced by markers, fed the Cause a stopped ECS task gives Step Functions (DescribeTasks' task, JSON).
 */
async function afterFailure(copy: string, task: Record<string, unknown> | string, faults: Record<string, unknown> = {}): Promise<{ outcome: string; state: any }> {
  const prefix = `${copy}: `;
  // The pass's own fault states (a partitioned pass's states share the prefix: `<pass>: plan partitions`...).
  const own = Object.fromEntries(Object.entries(states).filter(([name]) => name.startsWith(prefix) && FAULT_STATES.includes(name.slice(prefix.length))));
  const marker = (outcome: string): State => ({ Type: 'Pass', Parameters: { outcome, 'state.$': '$' }, End: true });
  const rewired = JSON.parse(JSON.stringify(own), (key, value) => (key === 'Next' && value === copy ? 'RETRIED' : key === 'Next' && value === StateName.CLEANUP ? 'CLEANUP' : value));
  for (const [name, state] of Object.entries(rewired) as [string, State][]) if (state['Type'] === 'Wait') rewired[name] = { Type: 'Pass', Next: state['Next'] };
  const machine = new StateMachine({ StartAt: `${prefix}task described?`, States: { ...rewired, RETRIED: marker('retried'), CLEANUP: marker('cleanup') } } as never);
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

  it('waits longer after each fault in a row, and after the last allowed one goes to cleanup', async () => {
    const spot = stopped({ StopCode: 'SpotInterruption', StoppedReason: 'Your Spot Task was interrupted.' });
    const third = await afterFailure(StateName.REFRESH_COPY, spot, { attempts: 2 });
    expect(third.state.copy_faults).toMatchObject({ attempts: 3, wait_seconds: 120 });
    const last = await afterFailure(StateName.SNAPSHOT_COPY, spot, { attempts: COPY_FAULT_RETRY.MAX_ATTEMPTS });
    expect(last.outcome).toBe('cleanup');
  });

  it('shows a stopped task\'s Cause as its reason, exit code and container reason', () => {
    expect(causeMessage(JSON.stringify(stopped({ StopCode: 'EssentialContainerExited', StoppedReason: 'Essential container in task exited' }, 1))))
      .toBe('Essential container in task exited (exit code 1)');
    expect(causeMessage(JSON.stringify({ ...stopped({ StoppedReason: 'Essential container in task exited' }), Containers: [{ ExitCode: 1, Reason: 'ENOSPC on the destination' }] })))
      .toBe('Essential container in task exited (exit code 1): ENOSPC on the destination');
  });
});
