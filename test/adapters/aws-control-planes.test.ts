import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, StartExecutionCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { StepFunctionsWorkflow } from '../../lambdas/adapters/stepfunctions/step-functions-workflow.ts';
import { EcsCopyTaskControl } from '../../lambdas/adapters/ecs/ecs-copy-task-control.ts';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ShareMigration-migration';

describe('Class: StepFunctionsWorkflow', () => {
  const sfn = mockClient(SFNClient);
  beforeEach(() => sfn.reset());

  it('starts an execution named after the migration, with the documented input as JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE}:m-1`, startDate: new Date() });
    const workflow = new StepFunctionsWorkflow(new SFNClient({ region: 'eu-west-1' }), STATE_MACHINE);

    const { executionId } = await workflow.startExecution('m-1', { share_id: 's-1', host: 'a@b#c' });

    expect(executionId).toBe(`${STATE_MACHINE}:m-1`);
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE, name: 'm-1', input: '{"share_id":"s-1","host":"a@b#c"}',
    });
  });

  it('answers a task token, and treats an already answered (timed out) token as done', async () => {
    sfn.on(SendTaskSuccessCommand).rejectsOnce(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })).resolves({});
    sfn.on(SendTaskFailureCommand).resolves({});
    const workflow = new StepFunctionsWorkflow(new SFNClient({ region: 'eu-west-1' }), STATE_MACHINE);

    await expect(workflow.sendTaskSuccess('spent', {})).resolves.toBeUndefined();
    await workflow.sendTaskSuccess('t-1', { ok: true });
    await workflow.sendTaskFailure('t-2', 'MigrationCancelledError', 'cancelled by the operator');

    expect(sfn.commandCalls(SendTaskSuccessCommand)[1]!.args[0].input).toEqual({ taskToken: 't-1', output: '{"ok":true}' });
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toEqual({ taskToken: 't-2', error: 'MigrationCancelledError', cause: 'cancelled by the operator' });
  });

  it('passes other Step Functions errors on', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new Error('AccessDenied'));
    const workflow = new StepFunctionsWorkflow(new SFNClient({ region: 'eu-west-1' }), STATE_MACHINE);
    await expect(workflow.sendTaskSuccess('t', {})).rejects.toThrow('AccessDenied');
  });
});

describe('Class: EcsCopyTaskControl', () => {
  const ecs = mockClient(ECSClient);
  beforeEach(() => ecs.reset());

  it('stops the copy task the migration recorded, on its cluster, with a reason ECS accepts', async () => {
    ecs.on(StopTaskCommand).resolves({});
    const control = new EcsCopyTaskControl(new ECSClient({ region: 'eu-west-1' }), 'copy-cluster');

    await control.stopCopyTask('arn:aws:ecs:eu-west-1:123456789012:task/copy-cluster/abc', `Migration m-1 was cancelled ${'x'.repeat(300)}`);

    const input = ecs.commandCalls(StopTaskCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ cluster: 'copy-cluster', task: 'arn:aws:ecs:eu-west-1:123456789012:task/copy-cluster/abc' });
    expect(input.reason!.length).toBe(255);
  });

  it('surfaces a StopTask that fails (the migration service tolerates it: the copy task also stops itself on cancel_requested)', async () => {
    ecs.on(StopTaskCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const control = new EcsCopyTaskControl(new ECSClient({ region: 'eu-west-1' }), 'copy-cluster');
    await expect(control.stopCopyTask('arn:aws:ecs:eu-west-1:123456789012:task/copy-cluster/abc', 'cancelled')).rejects.toThrow('Rate exceeded');
  });
});

