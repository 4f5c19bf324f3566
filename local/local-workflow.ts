import type { ExecutionPath, ExecutionVisit } from '../lambdas/core/operator-insight.ts';
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ConflictError } from '../lambdas/core/errors.ts';
import type { WorkflowPort } from '../lambdas/core/ports.ts';
import type { SynthesizedWorkflow } from './synthesized-definition.ts';

/** What the task states do at home: Lambda steps run in-process, the ECS copy task as a child process. */
export interface LocalTaskRunners {
  runStep(step: string, input: unknown): Promise<unknown>;
  runCopyTask(runTaskParameters: unknown, executionName: string): Promise<unknown>;
}

interface PendingCallback {
  resolve(output: unknown): void;
  reject(error: Error): void;
}

type LocalTaskHandler = (input: unknown) => Promise<unknown>;

/**
 * The synthesized state machine definition run by aws-local-stepfunctions. Task states are mapped to
 * local handlers by what the template says they are; waitForTaskToken tasks get a real token that
 * sendTaskSuccess / sendTaskFailure answer, as Step Functions would.
 */
/** Executions whose path is kept, and states kept per execution (a weeks-long loop's last ones). */
const MAX_PATHS = 200;
const MAX_VISITS = 2000;
/** How long abortAll waits for the steps in flight (a step is a few store writes; a stuck one is not waited for). */
const STEP_DRAIN_MS = 10_000;

export class LocalWorkflow implements WorkflowPort {
  private readonly workflow: SynthesizedWorkflow;
  private readonly runners: LocalTaskRunners;
  private readonly logger: Logger;
  private readonly running = new Map<string, { abort: () => void; result: Promise<unknown> }>();
  private readonly callbacks = new Map<string, PendingCallback>();
  /** Step Lambdas running now (not the waits for their tokens, nor copy tasks): abortAll lets them finish. */
  private readonly stepsInFlight = new Set<Promise<unknown>>();
  /** The states each recent execution entered (the console draws the path taken), newest executions kept. */
  private readonly paths = new Map<string, { status: ExecutionPath['status']; visits: ExecutionVisit[] }>();

  constructor(workflow: SynthesizedWorkflow, runners: LocalTaskRunners, logger: Logger) {
    this.workflow = workflow;
    this.runners = runners;
    this.logger = logger;
  }

  async startExecution(name: string, input: unknown): Promise<{ executionId: string }> {
    // Imported at the first execution: a runtime with no migration running need not load it (and its
    // validators). Before the check below, so nothing awaits between the check and `running.set`.
    const { StateMachine } = await import('aws-local-stepfunctions');
    if (this.running.has(name)) throw new ConflictError(`Execution ${name} is already running`);
    const executionId = executionArnOf(name);
    const machine = new StateMachine(this.workflow.definition as never, {
      validationOptions: { checkArn: false },
    });
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.taskHandlers(name) as never },
      // $$.Task.Token must resolve; each callback task swaps in a fresh token of its own.
      context: { Execution: { Id: executionId, Name: name }, Task: { Token: 'replaced-per-task' } } as never,
    });
    void this.follow(executionId, name, execution.eventLogs as AsyncIterable<unknown>);
    const result = execution.result.then(
      (output) => this.logger.info('execution succeeded', { execution: name, output: output as never }),
      (err: unknown) => this.logger.warn('execution failed', { execution: name, error: err as Error }),
    ).finally(() => this.running.delete(name));
    this.running.set(name, { abort: execution.abort, result });
    return { executionId };
  }

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    this.callbacks.get(taskToken)?.resolve(output);
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    const failure = new Error(cause);
    failure.name = error;
    this.callbacks.get(taskToken)?.reject(failure);
  }

  /** The states an execution of this runtime entered, in order (the last MAX_PATHS executions). */
  executionPath(executionId: string): ExecutionPath | undefined {
    const path = this.paths.get(executionId);
    return path ? { name: executionId.split(':').at(-1)!, status: path.status, visits: [...path.visits] } : undefined;
  }

  /**
   * Reads the execution's event log as it goes. aws-local-stepfunctions queues every event (with each
   * state's whole input and output) until it is read: read, only the top-level states' names and times
   * are kept, a bounded number per execution, and the rest is let go.
   */
  private async follow(executionId: string, name: string, events: AsyncIterable<unknown>): Promise<void> {
    const path = { status: 'RUNNING' as ExecutionPath['status'], visits: [] as ExecutionVisit[] };
    this.paths.set(executionId, path);
    while (this.paths.size > MAX_PATHS) this.paths.delete(this.paths.keys().next().value!);
    try {
      for await (const raw of events) {
        const event = raw as { type: string; timestamp: number; index?: number; state?: { name: string } };
        if (event.index !== undefined) continue; // a Map iteration's own states: drawn as the Map
        const at = new Date(event.timestamp).toISOString();
        if (event.type === 'StateEntered' && event.state) {
          path.visits.push({ state: event.state.name, entered_at: at });
          if (path.visits.length > MAX_VISITS) path.visits.splice(0, path.visits.length - MAX_VISITS);
        } else if ((event.type === 'StateExited' || event.type === 'StateFailed') && event.state) {
          const open = path.visits.findLast((v) => v.state === event.state!.name && v.exited_at === undefined);
          if (open) Object.assign(open, { exited_at: at, ...(event.type === 'StateFailed' ? { failed: true } : {}) });
        } else if (event.type === 'ExecutionSucceeded') path.status = 'SUCCEEDED';
        else if (event.type === 'ExecutionFailed') path.status = 'FAILED';
        else if (event.type === 'ExecutionTerminated') path.status = 'ABORTED';
      }
    } catch (error) {
      this.logger.warn('execution events not followed', { execution: name, error: error as Error });
    }
  }

  /** Names of executions still running. */
  runningExecutions(): string[] {
    return [...this.running.keys()];
  }

  /** Resolves when the named execution has ended (at once if it is not running). */
  async whenDone(name: string): Promise<void> {
    await this.running.get(name)?.result;
  }

  /** Stops every execution where it stands; their migrations are resumed at the next start. */
  async abortAll(): Promise<void> {
    const pending = [...this.running.values()];
    for (const { abort } of pending) abort();
    await Promise.allSettled(pending.map((p) => p.result));
    // An aborted execution stops waiting for its step, but the step runs on and writes its records: let
    // the steps in flight finish (briefly) so that none writes after the store has closed.
    const steps = [...this.stepsInFlight];
    if (steps.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise((resolve) => (timer = setTimeout(resolve, STEP_DRAIN_MS)));
      await Promise.race([Promise.allSettled(steps), bound]);
      clearTimeout(timer);
    }
  }

  /** A step's call, counted among those in flight until it settles. */
  private tracked(step: string, input: unknown): Promise<unknown> {
    const call = this.runners.runStep(step, input);
    this.stepsInFlight.add(call);
    void call.then(() => this.stepsInFlight.delete(call), () => this.stepsInFlight.delete(call));
    return call;
  }

  private taskHandlers(executionName: string): Record<string, LocalTaskHandler> {
    const handlers: Record<string, LocalTaskHandler> = {};
    for (const [stateName, task] of Object.entries(this.workflow.tasks)) {
      switch (task.kind) {
        case 'lambda':
          handlers[stateName] = (input) => this.tracked(task.step, input);
          break;
        case 'lambda-callback':
          handlers[stateName] = (input) => this.runCallbackTask(task.step, input);
          break;
        case 'ecs-run-task':
          handlers[stateName] = (input) => this.runners.runCopyTask(input, executionName);
          break;
        case 'start-execution':
          handlers[stateName] = (input) => this.startNextExecution(input);
          break;
      }
    }
    return handlers;
  }

  /**
   * A handover (states:startExecution, request-response): a new local execution of the same definition,
   * answered as Step Functions answers. A name already running is the same handover retried: nothing new starts.
   */
  private async startNextExecution(parameters: unknown): Promise<unknown> {
    const { Name, Input } = parameters as { Name?: unknown; Input?: unknown };
    const name = typeof Name === 'string' && Name !== '' ? Name : randomUUID();
    // A copy: aws-local-stepfunctions' States.JsonMerge may return its first argument, this execution's input.
    const input = typeof Input === 'string' ? (JSON.parse(Input) as unknown) : structuredClone(Input);
    const executionArn = this.running.has(name) ? executionArnOf(name) : (await this.startExecution(name, input)).executionId;
    this.logger.info('execution handed over', { execution: name });
    return { ExecutionArn: executionArn, StartDate: new Date().toISOString() };
  }

  private async runCallbackTask(step: string, parameters: unknown): Promise<unknown> {
    const token = randomUUID();
    const answered = new Promise<unknown>((resolve, reject) => this.callbacks.set(token, { resolve, reject }));
    try {
      const payload = (parameters as { Payload?: Record<string, unknown> }).Payload ?? {};
      await this.tracked(step, { ...payload, task_token: token });
      return await answered;
    } finally {
      this.callbacks.delete(token);
    }
  }
}

/** The local ARN of the execution with this name. */
function executionArnOf(name: string): string {
  return `arn:aws:states:local:000000000000:execution:share-migration:${name}`;
}
