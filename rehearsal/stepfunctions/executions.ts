/**
 * Step Functions as the rehearsal plays it: the state machine definition from the deployed template,
 * run by aws-local-stepfunctions. StartExecution, SendTaskSuccess and SendTaskFailure reach it through
 * the IAM gate (so the caller's grants are checked first); its Lambda tasks invoke the functions'
 * bundles after checking that the state machine's role may invoke them, and its ECS `.sync` tasks call
 * RunTask with the role's credentials, which the ECS stand-in serves.
 */
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { DRIVER_POLL } from '../../lambdas/core/workflow.ts';
import { adaptForLocalRuntime, allStates } from '../../local/synthesized-definition.ts';
import { errorResponse, jsonResponse, type WireResponse } from '../wire/aws-errors.ts';
import type { Caller } from '../iam/call-log.ts';
import type { IamGate } from '../iam/iam-gate.ts';
import { LambdaFunctionError, type LambdaFunctions } from '../lambda/lambda-functions.ts';

const CALLBACK_RESOURCE = ':states:::lambda:invoke.waitForTaskToken';
const ECS_SYNC_RESOURCE = ':states:::ecs:runTask.sync';
const START_EXECUTION_RESOURCE = ':states:::states:startExecution';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface ExecutionRecord {
  readonly name: string;
  readonly arn: string;
  readonly input: unknown;
  readonly startedBy: string;
  status: ExecutionStatus;
  output?: unknown;
  error?: { readonly Error: string; readonly Cause: string };
  /** The states entered, in order. */
  readonly path: string[];
  readonly done: Promise<void>;
}

/** Runs an ECS RunTask `.sync` task state's parameters as the state machine's role; resolves when the task stops with exit 0. */
export type EcsSyncRunner = (parameters: Record<string, unknown>, stateMachine: Caller, executionName: string) => Promise<unknown>;

export interface StepFunctionsOptions {
  readonly stateMachineArn: string;
  readonly definition: Record<string, unknown>;
  readonly functions: LambdaFunctions;
  readonly gate: IamGate;
  /** The state machine's role session (its credentials are registered with the gate). */
  readonly stateMachineCaller: Caller;
  readonly runEcsTask: EcsSyncRunner;
  /**
   * Wait states and retry intervals last this fraction of the definition's seconds (their order, count
   * and every other field unchanged), so that a minute-long backoff takes a second of rehearsal.
   * @default 1 / 60
   */
  readonly timeScale?: number;
}

interface PendingToken {
  readonly executionArn: string;
  resolve(output: unknown): void;
  reject(error: Error): void;
}

export class StepFunctions {
  private readonly options: StepFunctionsOptions;
  private readonly definition: Record<string, unknown>;
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly aborts = new Map<string, () => void>();
  private readonly tokens = new Map<string, PendingToken>();

  constructor(options: StepFunctionsOptions) {
    this.options = options;
    this.definition = structuredClone(options.definition);
    // The same adaptations the embedded runtime makes (timeouts Node can wait, ResultPath "$").
    adaptForLocalRuntime(this.definition);
    options.gate.intercept('states:StartExecution', async ({ parsed, caller }) => this.startExecutionCall(parsed.input, caller.name));
    options.gate.intercept('states:SendTaskSuccess', async ({ parsed }) => this.answerToken(parsed.input, true));
    options.gate.intercept('states:SendTaskFailure', async ({ parsed }) => this.answerToken(parsed.input, false));
    options.gate.intercept('states:StopExecution', async ({ parsed }) => this.stopExecutionCall(parsed.input));
  }

  /** The state machine of a task token the rehearsal issued (AWS authorizes SendTask* on it). */
  stateMachineOfToken(token: string): string | undefined {
    return this.tokens.has(token) ? this.options.stateMachineArn : undefined;
  }

  execution(name: string): ExecutionRecord | undefined {
    return this.executions.get(name);
  }

  all(): readonly ExecutionRecord[] {
    return [...this.executions.values()];
  }

  /** Starts an execution as AWS would for an authorized StartExecution (also what a schedule's target does). */
  start(name: string, input: unknown, startedBy: string): ExecutionRecord {
    const arn = `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const path: string[] = [];
    const machine = new StateMachine(this.definition as never, { validationOptions: { checkArn: false, checkPaths: false } as never });
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(name) as never, ...this.timeOverrides() },
      context: { Execution: { Id: arn, Name: name }, Task: { Token: 'replaced-per-task' } } as never,
    });
    let record!: ExecutionRecord;
    const done = (async () => {
      const iterate = async (): Promise<void> => {
        for await (const event of execution.eventLogs as AsyncIterable<{ type: string; state?: { name: string } }>) {
          if (event.type === 'StateEntered' && event.state) path.push(event.state.name);
        }
      };
      const logging = iterate().catch(() => undefined);
      try {
        record.output = await execution.result;
        record.status = 'SUCCEEDED';
      } catch (error) {
        const err = error as Error & { cause?: unknown };
        record.status = err.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
        // aws-local-stepfunctions wraps what failed the execution (a Fail state's error, a task's) in its cause.
        const failed = err.cause instanceof Error ? (err.cause as Error & { cause?: unknown }) : err;
        record.error = { Error: failed.name, Cause: typeof failed.cause === 'string' ? failed.cause : failed.message };
      } finally {
        this.aborts.delete(name);
        await logging;
      }
    })();
    record = { name, arn, input, startedBy, status: 'RUNNING', path, done };
    this.executions.set(name, record);
    this.aborts.set(name, execution.abort);
    return record;
  }

  async stopAll(): Promise<void> {
    for (const abort of this.aborts.values()) abort();
    await Promise.allSettled([...this.executions.values()].map((execution) => execution.done));
  }

  private startExecutionCall(input: Readonly<Record<string, unknown>>, startedBy: string): WireResponse {
    if (input['stateMachineArn'] !== this.options.stateMachineArn) {
      return errorResponse('json', 400, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(input['stateMachineArn'])}'`);
    }
    const name = typeof input['name'] === 'string' ? input['name'] : randomUUID();
    const executionInput: unknown = typeof input['input'] === 'string' ? JSON.parse(input['input']) : {};
    const existing = this.executions.get(name);
    if (existing) {
      // Step Functions: the same name and input as a running execution answers that execution; else it is refused.
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(executionInput)) {
        return jsonResponse({ executionArn: existing.arn, startDate: Date.now() / 1000 });
      }
      return errorResponse('json', 400, 'ExecutionAlreadyExists', `Execution Already Exists: '${existing.arn}'`);
    }
    const record = this.start(name, executionInput, startedBy);
    return jsonResponse({ executionArn: record.arn, startDate: Date.now() / 1000 });
  }

  private answerToken(input: Readonly<Record<string, unknown>>, success: boolean): WireResponse {
    const token = String(input['taskToken'] ?? '');
    const pending = this.tokens.get(token);
    if (!pending) return errorResponse('json', 400, 'TaskTimedOut', 'Task Timed Out: the task token is not (or no longer) awaited');
    this.tokens.delete(token);
    if (success) {
      pending.resolve(typeof input['output'] === 'string' ? JSON.parse(input['output']) : {});
    } else {
      const failure = new Error(String(input['cause'] ?? ''));
      failure.name = String(input['error'] ?? 'States.TaskFailed');
      pending.reject(failure);
    }
    return jsonResponse({});
  }

  private stopExecutionCall(input: Readonly<Record<string, unknown>>): WireResponse {
    const arn = String(input['executionArn'] ?? '');
    const execution = [...this.executions.values()].find((candidate) => candidate.arn === arn);
    if (!execution) return errorResponse('json', 400, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    this.aborts.get(execution.name)?.();
    return jsonResponse({ stopDate: Date.now() / 1000 });
  }

  /** aws-local-stepfunctions' overrides of Wait states and retry intervals, in ms, scaled by timeScale. */
  private timeOverrides(): { waitTimeOverrides: Record<string, number>; retryIntervalOverrides: Record<string, number[]> } {
    const scale = this.options.timeScale ?? 1 / 60;
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number[]> = {};
    for (const [stateName, state] of allStates(this.definition)) {
      if (state.Type === 'Wait' && typeof state['Seconds'] === 'number') waitTimeOverrides[stateName] = Math.round(state['Seconds'] * 1000 * scale);
      // A wait the state sets (the driver poll's, backing off from DRIVER_POLL.FIRST_SECONDS): scaled from its first length.
      if (state.Type === 'Wait' && typeof state['SecondsPath'] === 'string') waitTimeOverrides[stateName] = Math.round(DRIVER_POLL.FIRST_SECONDS * 1000 * scale);
      const retry = state['Retry'] as { IntervalSeconds?: number }[] | undefined;
      if (retry) retryIntervalOverrides[stateName] = retry.map((retrier) => Math.round((retrier.IntervalSeconds ?? 1) * 1000 * scale));
    }
    return { waitTimeOverrides, retryIntervalOverrides };
  }

  private taskHandlers(executionName: string): Record<string, (input: unknown) => Promise<unknown>> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, state] of allStates(this.definition)) {
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource);
      if (resource.endsWith(CALLBACK_RESOURCE)) {
        const functionName = String((state.Parameters as Record<string, unknown> | undefined)?.['FunctionName']);
        handlers[stateName] = (input) => this.invokeWithToken(functionName, input, executionName);
      } else if (resource.endsWith(ECS_SYNC_RESOURCE)) {
        handlers[stateName] = (input) => this.options.runEcsTask(input as Record<string, unknown>, this.options.stateMachineCaller, executionName);
      } else if (resource.endsWith(START_EXECUTION_RESOURCE)) {
        handlers[stateName] = (input) => this.startFromTask(input as Record<string, unknown>);
      } else if (resource.includes(':lambda:') && resource.includes(':function:')) {
        handlers[stateName] = (input) => this.invokeFunction(resource, input);
      } else {
        throw new Error(`Task "${stateName}": the rehearsal cannot run Resource ${resource}`);
      }
    }
    return handlers;
  }

  /**
   * `states:startExecution` (request-response, a handover): StartExecution as the state machine's role,
   * answered as the optimized integration answers (ExecutionArn, StartDate).
   */
  private async startFromTask(parameters: Readonly<Record<string, unknown>>): Promise<unknown> {
    const stateMachineArn = String(parameters['StateMachineArn']);
    const caller = this.options.stateMachineCaller;
    const record = await this.options.gate.authorizeOnBehalf(caller, 'states:StartExecution', [{ action: 'states:StartExecution', resource: stateMachineArn, context: {} }], 'step-functions');
    if (!record.allowed) {
      throw Object.assign(new Error(`User: ${caller.sessionArn} is not authorized to perform: states:StartExecution on resource: ${stateMachineArn}`), { name: 'StepFunctions.AWSStepFunctionsException' });
    }
    const input = parameters['Input'];
    const answer = this.startExecutionCall({ stateMachineArn, name: parameters['Name'], input: typeof input === 'string' ? input : JSON.stringify(input ?? {}) }, caller.name);
    const body = JSON.parse(String(answer.body ?? '{}')) as { executionArn?: string; startDate?: number; __type?: string; message?: string };
    if (answer.status !== 200) throw Object.assign(new Error(body.message ?? 'StartExecution failed'), { name: `StepFunctions.${body.__type ?? 'AWSStepFunctionsException'}` });
    return { ExecutionArn: body.executionArn, StartDate: body.startDate };
  }

  /** lambda:InvokeFunction as the state machine's role, then the function's bundle. */
  private async invokeFunction(functionArn: string, payload: unknown): Promise<unknown> {
    const fn = this.options.functions.byArn(functionArn);
    if (!fn) throw new LambdaFunctionError('Lambda.ResourceNotFoundException', `Function not found: ${functionArn}`);
    const record = await this.options.gate.authorizeOnBehalf(this.options.stateMachineCaller, 'lambda:Invoke', [{ action: 'lambda:InvokeFunction', resource: fn.arn, context: {} }], 'step-functions');
    if (!record.allowed) {
      throw new LambdaFunctionError('Lambda.AWSLambdaException', `User: ${this.options.stateMachineCaller.sessionArn} is not authorized to perform: lambda:InvokeFunction on resource: ${fn.arn}`);
    }
    return this.options.functions.invoke(fn, payload);
  }

  /** `lambda:invoke.waitForTaskToken`: a token of its own, the function invoked with the Parameters' Payload, then the wait. */
  private async invokeWithToken(functionArn: string, parameters: unknown, executionName: string): Promise<unknown> {
    const token = `rehearsal-${randomUUID()}`;
    const execution = this.executions.get(executionName);
    const answered = new Promise<unknown>((resolve, reject) => this.tokens.set(token, { executionArn: execution?.arn ?? executionName, resolve, reject }));
    // The function may answer its own token before it returns (a cancel already requested): the answer
    // waits here until the invocation is done.
    answered.catch(() => undefined);
    try {
      const payload = (parameters as { Payload?: Record<string, unknown> }).Payload ?? {};
      await this.invokeFunction(functionArn, { ...payload, task_token: token });
      return await answered;
    } finally {
      this.tokens.delete(token);
    }
  }
}
