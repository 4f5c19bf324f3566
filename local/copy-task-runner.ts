import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { CopyTaskControl } from '../lambdas/core/ports.ts';
import { MIGRATIONS_TABLE, PARTITIONS_TABLE } from '../lambdas/adapters/dynamodb/table-schema.ts';
import { localTaskEnvironment } from './local-copy-task-definitions.ts';

const CONTAINER_ENTRY = fileURLToPath(new URL('../copy-task/bin/smig-copy-container.ts', import.meta.url));
/** The image's working folder (the Dockerfile's WORKDIR holds the repository's layout). */
const IMAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The slice of an ECS RunTask request the local runner reads. */
interface RunTaskParameters {
  /** The migration's revision: its container environment (localTaskEnvironment) comes first, as on ECS. */
  readonly TaskDefinition?: string;
  readonly Overrides?: {
    readonly ContainerOverrides?: readonly {
      readonly Name?: string;
      /** The program, run by node (the purge task definition's entry point): a script of the image, then its arguments. */
      readonly Command?: readonly string[];
      readonly Environment?: readonly { Name: string; Value: string }[];
    }[];
  };
}

export interface CopyTaskRunnerOptions {
  /** Environment every copy task gets, as the task definition would give it (table names, endpoints, credentials). */
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly logger: Logger;
  /** Where the copy task's own JSON lines go. @default the runtime's stdout/stderr */
  readonly output?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * Step Functions' runTask.sync failure when the essential container exits non-zero: States.TaskFailed with
 * the stopped task's description as its Cause (JSON, as ECS DescribeTasks gives it and Step Functions
 * passes it on), so the workflow reads a local copy task's end as it reads a Fargate one's
 * (cdk/lib/workflow-copy-faults.ts): StopCode `UserInitiated` when the runtime stopped it (a cancel),
 * else `EssentialContainerExited`; a container killed by a signal exits 128 + the signal's number.
 */
export class CopyTaskFailedError extends Error {
  override readonly name = 'States.TaskFailed';
  readonly exitCode: number | null;

  constructor(task: { taskArn: string; exitCode: number | null; stoppedByUs: boolean; reason: string }) {
    super(JSON.stringify({
      TaskArn: task.taskArn,
      LastStatus: 'STOPPED',
      StopCode: task.stoppedByUs ? 'UserInitiated' : 'EssentialContainerExited',
      StoppedReason: task.stoppedByUs ? 'Task stopped by the runtime' : 'Essential container in task exited',
      Containers: [{ Name: 'copy', LastStatus: 'STOPPED', ExitCode: task.exitCode, Reason: task.reason }],
    }));
    this.exitCode = task.exitCode;
  }
}

/**
 * ECS runTask.sync at home: the copy task's container entry as a child process, with the container
 * overrides' environment, waited for like Step Functions waits for the task to stop. A container override
 * with a Command (the purge task) runs that script of the image instead, as the purge task definition's
 * entry point (node) does on ECS.
 */
export class LocalCopyTaskRunner implements CopyTaskControl {
  private readonly options: CopyTaskRunnerOptions;
  private readonly children = new Map<string, ChildProcess>();
  /** The tasks this runtime asked to stop (ECS: StopTask, stop code UserInitiated). */
  private readonly stopped = new Set<string>();

  constructor(options: CopyTaskRunnerOptions) {
    this.options = options;
  }

  async run(parameters: unknown): Promise<{ TaskArn: string; ExitCode: number }> {
    const overrides = (parameters as RunTaskParameters).Overrides?.ContainerOverrides ?? [];
    const containerEnv = Object.fromEntries(overrides.flatMap((o) => o.Environment ?? []).map((e) => [e.Name, e.Value]));
    const command = overrides.find((o) => o.Command !== undefined && o.Command.length > 0)?.Command;
    const taskId = `local-${command ? 'task' : 'copy'}-${randomUUID()}`;
    const definitionEnv = localTaskEnvironment((parameters as RunTaskParameters).TaskDefinition);
    const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/', ...this.options.baseEnv, ...definitionEnv, ...containerEnv, SMIG_TASK_ID: taskId };
    const [script, ...args] = command ? [path.resolve(IMAGE_ROOT, command[0]!), ...command.slice(1)] : [CONTAINER_ENTRY];
    const child = spawn(process.execPath, [script!, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: command ? IMAGE_ROOT : path.dirname(CONTAINER_ENTRY) });
    this.children.set(taskId, child);
    const stderrTail: string[] = [];
    forwardLines(child.stdout!, (line) => this.emit(line, 'stdout'));
    forwardLines(child.stderr!, (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 5) stderrTail.shift();
      this.emit(line, 'stderr');
    });
    this.options.logger.info('copy task started', { task_id: taskId, pid: child.pid, entry: path.relative(IMAGE_ROOT, script!), migration_id: containerEnv['SMIG_MIGRATION_ID'], pass: containerEnv['SMIG_PASS'] });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 + signalNumber(signal) : null)));
    }).finally(() => this.children.delete(taskId));
    this.options.logger.info('copy task stopped', { task_id: taskId, exit_code: code });
    if (code === 0) this.stopped.delete(taskId);
    if (code !== 0) {
      throw new CopyTaskFailedError({ taskArn: taskId, exitCode: code, stoppedByUs: this.stopped.delete(taskId), reason: stderrTail.join(' | ') || 'no output' });
    }
    return { TaskArn: taskId, ExitCode: 0 };
  }

  async stopCopyTask(taskId: string): Promise<void> {
    const child = this.children.get(taskId);
    if (!child) return;
    this.stopped.add(taskId);
    child.kill('SIGTERM');
  }

  /** Stops every running copy task (runtime shutdown); each exits as cancelled and resumes at next start. */
  async stopAll(): Promise<void> {
    for (const taskId of this.children.keys()) this.stopped.add(taskId);
    const exits = [...this.children.values()].map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('close', () => resolve());
      child.kill('SIGTERM');
    }));
    await Promise.all(exits);
  }

  private emit(line: string, stream: 'stdout' | 'stderr'): void {
    if (this.options.output) this.options.output(line, stream);
  }
}

/** The tables the copy task reports to (a partitioned copy: also its plan), named as the task definition's environment names them. */
export function copyTaskTableEnv(tables: { migrations: string; partitions: string }): Record<string, string> {
  return { [MIGRATIONS_TABLE.envVar]: tables.migrations, [PARTITIONS_TABLE.envVar]: tables.partitions };
}

function forwardLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  stream.on('end', () => {
    if (buffered) onLine(buffered);
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 1;
}
