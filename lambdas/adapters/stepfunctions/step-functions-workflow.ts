import { SFNClient, SendTaskFailureCommand, SendTaskSuccessCommand, StartExecutionCommand, TaskTimedOut, InvalidToken } from '@aws-sdk/client-sfn';
import type { WorkflowPort } from '../../core/ports.ts';

/** The state machine on AWS Step Functions. */
export class StepFunctionsWorkflow implements WorkflowPort {
  private readonly client: SFNClient;
  private readonly stateMachineArn: string;

  constructor(client: SFNClient, stateMachineArn: string) {
    this.client = client;
    this.stateMachineArn = stateMachineArn;
  }

  async startExecution(name: string, input: unknown): Promise<{ executionId: string }> {
    const out = await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
    return { executionId: out.executionArn ?? name };
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    await ignoreSpentToken(() => this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })));
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    await ignoreSpentToken(() => this.client.send(new SendTaskFailureCommand({ taskToken, error, cause })));
  }
}

/** migration_complete and the waiting step may both answer one token; the second answer is moot. */
async function ignoreSpentToken(send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (err) {
    if (err instanceof TaskTimedOut || err instanceof InvalidToken) return;
    throw err;
  }
}
