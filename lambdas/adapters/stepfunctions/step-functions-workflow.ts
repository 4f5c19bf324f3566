import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { WorkflowPort } from '../../core/ports.ts';
import { StepFunctionsTaskTokens } from './step-functions-task-tokens.ts';

/** The state machine on AWS Step Functions: starting executions, and answering task tokens (StepFunctionsTaskTokens). */
export class StepFunctionsWorkflow implements WorkflowPort {
  private readonly client: SFNClient;
  private readonly stateMachineArn: string;
  private readonly taskTokens: StepFunctionsTaskTokens;

  constructor(client: SFNClient, stateMachineArn: string) {
    this.client = client;
    this.stateMachineArn = stateMachineArn;
    this.taskTokens = new StepFunctionsTaskTokens(client);
  }

  async startExecution(name: string, input: unknown): Promise<{ executionId: string }> {
    const out = await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
    return { executionId: out.executionArn ?? name };
  }

  sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    return this.taskTokens.sendTaskSuccess(taskToken, output);
  }

  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    return this.taskTokens.sendTaskFailure(taskToken, error, cause);
  }
}
