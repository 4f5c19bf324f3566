import { SendTaskFailureCommand, SendTaskSuccessCommand, TaskTimedOut, InvalidToken, type SFNClient } from '@aws-sdk/client-sfn';

/**
 * Answers the task token of a waitForTaskToken state (SendTaskSuccess, SendTaskFailure) and nothing else,
 * so a function that only answers tokens (await-completion) holds no StartExecution in its bundle.
 */
export class StepFunctionsTaskTokens {
  private readonly client: SFNClient;

  constructor(client: SFNClient) {
    this.client = client;
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
