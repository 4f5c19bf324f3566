/**
 * The stack's Lambda functions, each run from its bundle in cdk.out in an execution environment of its
 * own (a Node 22 process, rehearsal/lambda/runtime-child.ts) with the environment the template gives it
 * and the credentials of a session of its own execution role, as Lambda runs it. Calls to AWS go to the
 * rehearsal's IAM gate (AWS_ENDPOINT_URL).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assumeRole, type AwsClientConfig } from '../aws/admin.ts';
import type { RehearsalStack } from '../aws/rehearsal-stack.ts';
import type { DeployedRole } from '../aws/provision.ts';
import type { Caller } from '../iam/call-log.ts';
import type { IamGate } from '../iam/iam-gate.ts';
import { checkTrust } from '../iam/trust.ts';

const RUNTIME_CHILD = fileURLToPath(new URL('./runtime-child.ts', import.meta.url));

/** A function of the template. */
export interface StackFunction {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The bundle Lambda would run: `<cdk.out>/<asset>/index.mjs`. */
  readonly bundle: string;
  readonly handlerExport: string;
  readonly role: DeployedRole;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
  /** STEP_NAME of the function: a workflow step, `api`, or undefined (the authorizer). */
  readonly stepName?: string;
}

/** How a function invocation failed, as Lambda reports it. */
export class LambdaFunctionError extends Error {
  readonly errorType: string;
  readonly errorMessage: string;

  constructor(errorType: string, errorMessage: string, trace: readonly string[] = []) {
    // As Step Functions passes it on: the error type is the Error, the JSON report the Cause.
    super(JSON.stringify({ errorType, errorMessage, trace }));
    this.name = errorType;
    this.errorType = errorType;
    this.errorMessage = errorMessage;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface Environment {
  readonly child: ChildProcess;
  readonly pending: Map<number, Pending>;
  readonly ready: Promise<void>;
}

export interface LambdaFunctionsOptions {
  readonly stack: RehearsalStack;
  readonly cdkOut: string;
  readonly roles: ReadonlyMap<string, DeployedRole>;
  readonly admin: AwsClientConfig;
  readonly gate: IamGate;
  /** Each function's output goes to `<logDir>/<logical id>.log`. */
  readonly logDir: string;
}

export class LambdaFunctions {
  readonly functions: ReadonlyMap<string, StackFunction>;
  private readonly options: LambdaFunctionsOptions;
  private readonly environments = new Map<string, Environment>();
  private readonly logs = new Map<string, WriteStream>();
  private nextId = 1;

  constructor(options: LambdaFunctionsOptions) {
    this.options = options;
    this.functions = readFunctions(options);
    mkdirSync(options.logDir, { recursive: true });
  }

  byArn(arn: string): StackFunction | undefined {
    return [...this.functions.values()].find((fn) => fn.arn === arn || fn.name === arn || fn.logicalId === arn);
  }

  byStep(stepName: string): StackFunction {
    const fn = [...this.functions.values()].find((candidate) => candidate.stepName === stepName);
    if (!fn) throw new Error(`The template has no function with STEP_NAME ${stepName}`);
    return fn;
  }

  /** Invokes a function (RequestResponse) and returns its result, or throws its LambdaFunctionError. */
  async invoke(fn: StackFunction, event: unknown): Promise<unknown> {
    const environment = await this.environment(fn);
    const id = this.nextId++;
    const timeoutMs = fn.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        environment.pending.delete(id);
        // Lambda ends the environment of a timed-out invocation.
        this.discard(fn.logicalId);
        reject(new LambdaFunctionError('Sandbox.Timedout', `Task timed out after ${fn.timeoutSeconds}.00 seconds`));
      }, timeoutMs);
      environment.pending.set(id, { resolve, reject, timer });
      environment.child.send({ id, event, timeoutMs });
    });
  }

  async stop(): Promise<void> {
    for (const logicalId of [...this.environments.keys()]) this.discard(logicalId);
    await Promise.all([...this.logs.values()].map((log) => new Promise<void>((resolve) => log.end(resolve))));
  }

  private readonly starting = new Map<string, Promise<Environment>>();

  /** The function's execution environment, started once: concurrent first invocations share it. */
  private async environment(fn: StackFunction): Promise<Environment> {
    const existing = this.environments.get(fn.logicalId);
    if (existing) {
      await existing.ready;
      return existing;
    }
    let starting = this.starting.get(fn.logicalId);
    if (!starting) {
      starting = this.startEnvironment(fn).finally(() => this.starting.delete(fn.logicalId));
      this.starting.set(fn.logicalId, starting);
    }
    return starting;
  }

  private async startEnvironment(fn: StackFunction): Promise<Environment> {
    if (!(await checkTrust(this.options.gate, fn.role, 'lambda.amazonaws.com', { 'aws:SourceAccount': this.options.stack.environment.account, 'aws:SourceArn': fn.arn })).allowed) {
      throw new LambdaFunctionError('Lambda.AccessDeniedException', `The role defined for the function cannot be assumed by Lambda: ${fn.role.arn}`);
    }
    const credentials = await assumeRole(this.options.admin, fn.role.arn, fn.name);
    const caller: Caller = { kind: 'function', name: fn.logicalId, roleLogicalId: fn.role.logicalId, roleArn: fn.role.arn, sessionArn: sessionArn(fn.role.arn, fn.name) };
    this.options.gate.registerCaller(credentials.accessKeyId, caller);
    const { region, account } = this.options.stack.environment;
    const child = fork(RUNTIME_CHILD, [fn.bundle, fn.handlerExport], {
      cwd: path.dirname(fn.bundle),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        PATH: process.env['PATH'] ?? '',
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
        ...fn.environment,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_SESSION_TOKEN: credentials.sessionToken,
        AWS_ENDPOINT_URL: this.options.gate.endpoint,
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
        SMIG_REHEARSAL_ACCOUNT: account,
      },
    });
    const log = this.log(fn.logicalId);
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const pending = new Map<number, Pending>();
    const ready = new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`Function ${fn.logicalId} could not start (exit ${code}); see ${path.join(this.options.logDir, `${fn.logicalId}.log`)}`)));
      child.on('message', (message: { ready?: boolean; id?: number; ok?: boolean; result?: unknown; error?: { errorType: string; errorMessage: string; trace: string[] } }) => {
        if (message.ready) {
          resolve();
          return;
        }
        const waiting = pending.get(message.id!);
        if (!waiting) return;
        pending.delete(message.id!);
        clearTimeout(waiting.timer);
        if (message.ok) waiting.resolve(message.result);
        else waiting.reject(new LambdaFunctionError(message.error!.errorType, message.error!.errorMessage, message.error!.trace));
      });
    });
    child.on('exit', (code, signal) => {
      if (this.environments.get(fn.logicalId)?.child === child) log.write(`REHEARSAL: execution environment exited (${signal ?? `exit ${code}`}) with ${pending.size} invocation(s) in flight\n`);
      for (const [, waiting] of pending) {
        clearTimeout(waiting.timer);
        waiting.reject(new LambdaFunctionError('Runtime.ExitError', `RequestId: rehearsal Error: Runtime exited with error: ${signal ?? `exit status ${code}`}`));
      }
      pending.clear();
      if (this.environments.get(fn.logicalId)?.child === child) this.environments.delete(fn.logicalId);
    });
    const environment = { child, pending, ready };
    this.environments.set(fn.logicalId, environment);
    await ready;
    return environment;
  }

  private discard(logicalId: string): void {
    const environment = this.environments.get(logicalId);
    if (!environment) return;
    this.environments.delete(logicalId);
    environment.child.kill('SIGKILL');
  }

  private log(logicalId: string): WriteStream {
    let log = this.logs.get(logicalId);
    if (!log) {
      log = createWriteStream(path.join(this.options.logDir, `${logicalId}.log`), { flags: 'a' });
      this.logs.set(logicalId, log);
    }
    return log;
  }
}

/** The session ARN of a role session: what AWS names as the caller. */
export function sessionArn(roleArn: string, sessionName: string): string {
  const [prefix, rolePath] = roleArn.split(':role/') as [string, string];
  const roleName = rolePath.split('/').at(-1)!;
  return `${prefix.replace(':iam:', ':sts:')}:assumed-role/${roleName}/${sessionName.replace(/[^\w+=,.@-]/g, '-').slice(0, 64)}`;
}

function readFunctions(options: LambdaFunctionsOptions): Map<string, StackFunction> {
  const { stack, cdkOut, roles } = options;
  const functions = new Map<string, StackFunction>();
  for (const [logicalId, resource] of stack.resourcesOf('AWS::Lambda::Function')) {
    const metadata = (resource as { Metadata?: Record<string, unknown> }).Metadata ?? {};
    const asset = metadata['aws:asset:path'];
    const properties = stack.resolve<Record<string, unknown>>(resource.Properties ?? {});
    const [file, handlerExport] = String(properties['Handler'] ?? 'index.handler').split('.') as [string, string];
    if (typeof asset !== 'string') throw new Error(`Function ${logicalId} has no asset in cdk.out (aws:asset:path): synth with bundling`);
    const bundle = ['.mjs', '.js', '.cjs'].map((ext) => path.join(cdkOut, asset, `${file}${ext}`)).find((candidate) => existsSync(candidate));
    if (!bundle) throw new Error(`Function ${logicalId}: no ${file}.mjs/.js in ${path.join(cdkOut, asset)}`);
    const roleArn = String(properties['Role']);
    const role = [...roles.values()].find((candidate) => candidate.arn === roleArn);
    if (!role) throw new Error(`Function ${logicalId} runs as ${roleArn}, which is not a role of the template`);
    const variables = ((properties['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
    const environment = Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)]));
    functions.set(logicalId, {
      logicalId,
      name: String(stack.ref(logicalId)),
      arn: stack.arn(logicalId),
      bundle,
      handlerExport,
      role,
      timeoutSeconds: Number(properties['Timeout'] ?? 3),
      environment,
      stepName: environment['STEP_NAME'],
    });
  }
  return functions;
}
