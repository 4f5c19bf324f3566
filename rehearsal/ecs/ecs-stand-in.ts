/**
 * ECS/Fargate as the rehearsal plays it (moto registers task definitions but cannot run a Fargate task).
 * RunTask, DescribeTasks and StopTask reach it through the IAM gate; it reads the task definition
 * revision the workflow registered in the emulator (container environment, EFS volumes, task and
 * execution roles), authorizes what ECS authorizes for a task (the execution role's image pull and logs,
 * the task role's EFS client mount, write and root access, against the role's policies and the file
 * system's policy), maps each EFS volume to its local folder, and runs the image's entry point as a
 * process with the container's environment and the task role's credentials served on a credentials
 * endpoint, as ECS serves them. Step Functions' `ecs:runTask.sync` runs through `runSync`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, RunTaskCommand, type TaskDefinition } from '@aws-sdk/client-ecs';
import { assumeRole, type AwsClientConfig, type AwsCredentials } from '../aws/admin.ts';
import type { DeployedRole } from '../aws/provision.ts';
import type { RehearsalEnvironment } from '../aws/rehearsal-stack.ts';
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import type { ClientConnections } from '../efs/client-connections.ts';
import { EfsMountError, type EfsFolders } from '../efs/efs-folders.ts';
import type { Caller } from '../iam/call-log.ts';
import type { PolicyDocument } from '../iam/evaluator.ts';
import type { IamGate } from '../iam/iam-gate.ts';
import { checkTrust } from '../iam/trust.ts';
import { errorResponse, jsonResponse, type WireResponse } from '../wire/aws-errors.ts';
import { containerCommand, type TaskImage } from './task-image.ts';

/** A task as ECS describes it (the fields the workflow and the rehearsal read). */
export interface EcsTask {
  readonly taskArn: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  lastStatus: 'PROVISIONING' | 'RUNNING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  stopCode?: 'TaskFailedToStart' | 'EssentialContainerExited' | 'UserInitiated';
  stoppedReason?: string;
  containers: { name: string; exitCode?: number; reason?: string; lastStatus: string }[];
  /** The migration's environment, for the report. */
  readonly environment: Readonly<Record<string, string>>;
  readonly stopped: Promise<void>;
}

/** A RunTask answer the rehearsal is told to give instead of starting the task. */
export type RunTaskFault =
  | { readonly kind: 'failure'; readonly reason: string }
  | { readonly kind: 'error'; readonly code: string; readonly message: string };

/** Which RunTask calls faults apply to: those of task definitions that mount one of these file systems. */
export interface FaultTarget {
  readonly fileSystems: readonly string[];
}

/** Injected faults still to give, and how many were given. */
export interface InjectedFaults {
  used(): number;
  /** Drops the faults not given yet. */
  clear(): void;
}

interface FaultQueue {
  readonly target: FaultTarget;
  readonly faults: RunTaskFault[];
  used: number;
}

export interface EcsStandInOptions {
  readonly gate: IamGate;
  readonly admin: AwsClientConfig;
  readonly environment: RehearsalEnvironment;
  readonly roles: ReadonlyMap<string, DeployedRole>;
  readonly efs: EfsFolders;
  /** The file system policies EFS evaluates at mount. */
  readonly policyOf: (fileSystemId: string) => PolicyDocument | undefined;
  readonly image: TaskImage;
  readonly logDir: string;
  /** Each EFS volume of a running task is a client connection of its file system. */
  readonly connections: ClientConnections;
}

export class EcsStandIn {
  private readonly options: EcsStandInOptions;
  private readonly tasks = new Map<string, EcsTask>();
  private readonly processes = new Map<string, ChildProcess>();
  private readonly credentials = new Map<string, AwsCredentials>();
  private readonly faultQueues = new Set<FaultQueue>();
  private readonly ecs: ECSClient;
  private server: Server | undefined;
  private endpoint = '';

  constructor(options: EcsStandInOptions) {
    this.options = options;
    this.ecs = new ECSClient(options.admin);
    mkdirSync(options.logDir, { recursive: true });
    options.gate.intercept('ecs:RunTask', async ({ parsed, caller }) => this.runTaskCall(parsed.input, caller));
    options.gate.intercept('ecs:DescribeTasks', async ({ parsed }) => this.describeTasksCall(parsed.input));
    options.gate.intercept('ecs:StopTask', async ({ parsed }) => this.stopTaskCall(parsed.input));
  }

  /**
   * The next RunTask calls of task definitions that mount one of the target's file systems get these
   * answers, in order, instead of a task (other calls run as usual: scenarios run at the same time).
   */
  injectRunTaskFaults(target: FaultTarget, ...faults: RunTaskFault[]): InjectedFaults {
    const queue: FaultQueue = { target, faults: [...faults], used: 0 };
    this.faultQueues.add(queue);
    return { used: () => queue.used, clear: () => this.faultQueues.delete(queue) };
  }

  allTasks(): readonly EcsTask[] {
    return [...this.tasks.values()];
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const [, kind, taskId, rest] = /^\/(creds|meta)\/([^/]+)(\/.*)?$/.exec(req.url ?? '') ?? [];
      const task = taskId ? [...this.tasks.values()].find((candidate) => candidate.taskArn.endsWith(`/${taskId}`)) : undefined;
      if (kind === 'creds' && task && this.credentials.has(task.taskArn)) {
        const credentials = this.credentials.get(task.taskArn)!;
        res.end(JSON.stringify({ AccessKeyId: credentials.accessKeyId, SecretAccessKey: credentials.secretAccessKey, Token: credentials.sessionToken, Expiration: new Date(Date.now() + 3_600_000).toISOString() }));
        return;
      }
      if (kind === 'meta' && task && (rest === '/task' || rest === undefined)) {
        res.end(JSON.stringify({ TaskARN: task.taskArn, Cluster: task.clusterArn, Family: task.taskDefinitionArn.split('/').at(-1)!.split(':')[0], Revision: task.taskDefinitionArn.split(':').at(-1), LaunchType: 'FARGATE' }));
        return;
      }
      res.statusCode = 404;
      res.end('{}');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const child of this.processes.values()) child.kill('SIGKILL');
    await Promise.allSettled([...this.tasks.values()].map((task) => task.stopped));
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * `arn:aws:states:::ecs:runTask.sync`: what Step Functions does with the state's parameters as the
   * state machine's role: its managed EventBridge rule for ECS task events, RunTask, and the wait for
   * the task to stop. Resolves with the stopped task if its essential container exited 0.
   */
  async runSync(parameters: Record<string, unknown>, stateMachine: Caller, credentials: AwsCredentials): Promise<unknown> {
    const { partition, region, account } = this.options.environment;
    const rule = `arn:${partition}:events:${region}:${account}:rule/StepFunctionsGetEventsForECSTaskRule`;
    await this.options.gate.authorizeOnBehalf(stateMachine, 'states:ecs.sync (managed rule)', ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'].map((action) => ({ action, resource: rule, context: {} })), 'step-functions');
    const ecs = new ECSClient({ endpoint: this.options.gate.endpoint, region, credentials, maxAttempts: 1 });
    let started;
    try {
      started = await ecs.send(new RunTaskCommand(camelCaseKeys(parameters) as never));
    } catch (error) {
      const err = error as Error;
      throw stepFunctionsError(`ECS.${err.name}`, err.message);
    }
    const failure = started.failures?.[0];
    // The Step Functions ECS integration fails a RunTask answered with `failures` as AmazonECS.Unknown.
    if (!started.tasks?.length || failure) throw stepFunctionsError('AmazonECS.Unknown', `Tasks provisioning failed: ${failure?.reason ?? 'no task started'} (${failure?.arn ?? 'no arn'})`);
    const task = this.tasks.get(started.tasks[0]!.taskArn!)!;
    await task.stopped;
    // Step Functions learns the outcome from ECS's task events and reads the task once more.
    await ecs.send(new DescribeTasksCommand({ cluster: task.clusterArn, tasks: [task.taskArn] }));
    const description = describeTask(task);
    const exitCode = task.containers[0]?.exitCode;
    if (task.stopCode === 'EssentialContainerExited' && exitCode === 0) return description;
    throw stepFunctionsError('States.TaskFailed', JSON.stringify(description));
  }

  private async runTaskCall(input: Readonly<Record<string, unknown>>, caller: Caller): Promise<WireResponse> {
    const { partition, region, account } = this.options.environment;
    const clusterName = String(input['cluster'] ?? 'default').split('/').at(-1)!;
    const clusterArn = `arn:${partition}:ecs:${region}:${account}:cluster/${clusterName}`;
    const definition = (await this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: String(input['taskDefinition']) })).catch(() => ({ taskDefinition: undefined }))).taskDefinition;
    if (!definition) return errorResponse('json', 400, 'ClientException', `Unable to describe task definition ${String(input['taskDefinition'])}`);
    const fault = this.faultFor(definition);
    if (fault?.kind === 'error') return errorResponse('json', 400, fault.code, fault.message);
    if (fault?.kind === 'failure') return jsonResponse({ tasks: [], failures: [{ arn: clusterArn, reason: fault.reason }] });
    const taskId = randomUUID().replace(/-/g, '');
    const taskArn = `arn:${partition}:ecs:${region}:${account}:task/${clusterName}/${taskId}`;
    const overrides = ((input['overrides'] as { containerOverrides?: { name?: string; command?: string[]; environment?: { name: string; value: string }[] }[] } | undefined)?.containerOverrides ?? []);
    const container = definition.containerDefinitions?.[0];
    const environment: Record<string, string> = {};
    for (const entry of container?.environment ?? []) environment[entry.name!] = entry.value ?? '';
    let commandOverride: string[] | undefined;
    for (const override of overrides.filter((candidate) => candidate.name === container?.name)) {
      for (const entry of override.environment ?? []) environment[entry.name] = entry.value;
      if (override.command) commandOverride = override.command;
    }
    const argv = containerCommand(this.options.image, container?.entryPoint, commandOverride ?? container?.command);
    let markStopped!: () => void;
    const task: EcsTask = {
      taskArn,
      clusterArn,
      taskDefinitionArn: definition.taskDefinitionArn!,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      containers: [{ name: container?.name ?? 'container', lastStatus: 'PENDING' }],
      environment,
      stopped: new Promise<void>((resolve) => (markStopped = resolve)),
    };
    this.tasks.set(taskArn, task);
    void this.launch(task, definition, environment, argv, caller).then(
      (child) => this.watch(task, child, markStopped),
      (error: unknown) => {
        task.lastStatus = 'STOPPED';
        task.desiredStatus = 'STOPPED';
        task.stopCode = 'TaskFailedToStart';
        task.stoppedReason = error instanceof EfsMountError || error instanceof TaskStartError
          ? `ResourceInitializationError: ${(error as Error).message}`
          : `rehearsal could not start the task: ${(error as Error).stack ?? String(error)}`;
        task.containers[0]!.lastStatus = 'STOPPED';
        markStopped();
      },
    );
    return jsonResponse({ tasks: [describeTask(task)], failures: [] });
  }

  private faultFor(definition: TaskDefinition): RunTaskFault | undefined {
    const mounted = (definition.volumes ?? []).map((volume) => volume.efsVolumeConfiguration?.fileSystemId).filter((id): id is string => id !== undefined);
    for (const queue of this.faultQueues) {
      if (queue.faults.length === 0 || !queue.target.fileSystems.some((id) => mounted.includes(id))) continue;
      queue.used++;
      return queue.faults.shift();
    }
    return undefined;
  }

  private describeTasksCall(input: Readonly<Record<string, unknown>>): WireResponse {
    const arns = (input['tasks'] as string[] | undefined) ?? [];
    const found = arns.map((arn) => this.tasks.get(arn) ?? [...this.tasks.values()].find((task) => task.taskArn.endsWith(`/${arn}`)));
    return jsonResponse({
      tasks: found.filter((task): task is EcsTask => task !== undefined).map(describeTask),
      failures: arns.filter((_, index) => !found[index]).map((arn) => ({ arn, reason: 'MISSING' })),
    });
  }

  private stopTaskCall(input: Readonly<Record<string, unknown>>): WireResponse {
    const id = String(input['task'] ?? '');
    const task = this.tasks.get(id) ?? [...this.tasks.values()].find((candidate) => candidate.taskArn.endsWith(`/${id}`));
    if (!task) return errorResponse('json', 400, 'InvalidParameterException', `The referenced task was not found.`);
    if (task.lastStatus !== 'STOPPED') {
      task.desiredStatus = 'STOPPED';
      task.stopCode = 'UserInitiated';
      task.stoppedReason = String(input['reason'] ?? 'Task stopped by user');
      const child = this.processes.get(task.taskArn);
      if (child) {
        // ECS sends SIGTERM, then SIGKILL after the container's stopTimeout (60 s for the copy container).
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.once('exit', () => clearTimeout(kill));
      }
    }
    return jsonResponse({ task: describeTask(task) });
  }

  /** What ECS does before the container starts; throws what would stop the task at provisioning. */
  private async launch(task: EcsTask, definition: TaskDefinition, environment: Record<string, string>, argv: readonly string[], runBy: Caller): Promise<ChildProcess> {
    const { gate } = this.options;
    const taskRole = this.roleByArn(definition.taskRoleArn);
    const executionRole = this.roleByArn(definition.executionRoleArn);
    for (const role of [taskRole, executionRole]) {
      if (role && !(await checkTrust(gate, role, 'ecs-tasks.amazonaws.com', { 'aws:SourceArn': task.taskArn, 'aws:SourceAccount': this.options.environment.account })).allowed) throw new TaskStartError(`ECS was unable to assume role ${role.arn}: its trust policy does not let ecs-tasks.amazonaws.com assume it`);
    }
    const container = definition.containerDefinitions?.[0];
    if (executionRole && container) await this.authorizeExecutionRole(executionRole, container.image ?? '', container.logConfiguration?.options ?? {});
    if (!taskRole) throw new TaskStartError(`task definition ${definition.taskDefinitionArn} has no task role: the copy task needs one`);
    const taskCaller: Caller = { kind: 'copy-task', name: definition.family ?? 'task', roleLogicalId: taskRole.logicalId, roleArn: taskRole.arn, sessionArn: `arn:${this.options.environment.partition}:sts::${this.options.environment.account}:assumed-role/${taskRole.name}/${task.taskArn.split('/').at(-1)}` };
    const mounts = await this.mountVolumes(definition, taskCaller);
    const credentials = await assumeRole(this.options.admin, taskRole.arn, task.taskArn.split('/').at(-1)!);
    this.credentials.set(task.taskArn, credentials);
    gate.registerCaller(credentials.accessKeyId, taskCaller);
    const log = createWriteStream(path.join(this.options.logDir, `${task.taskArn.split('/').at(-1)}.log`), { flags: 'a' });
    log.write(`${JSON.stringify({ task: task.taskArn, runBy: runBy.name, environment, mounts })}\n`);
    const { region } = this.options.environment;
    const connected = mounts.map((mount) => this.options.connections.open(mount.fileSystemId, task.taskArn));
    const child = runInMountNamespace(this.options.image.workdir, argv, mounts, {
      PATH: process.env['PATH'] ?? '',
      HOME: '/root',
      NODE_ENV: 'production',
      ...environment,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
      AWS_ENDPOINT_URL: gate.endpoint,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${this.endpoint}/creds/${task.taskArn.split('/').at(-1)}`,
      ECS_CONTAINER_METADATA_URI_V4: `${this.endpoint}/meta/${task.taskArn.split('/').at(-1)}`,
    });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.once('exit', () => {
      for (const connection of connected) connection.close();
      log.end();
    });
    this.processes.set(task.taskArn, child);
    task.lastStatus = 'RUNNING';
    task.containers[0]!.lastStatus = 'RUNNING';
    return child;
  }

  private watch(task: EcsTask, child: ChildProcess, markStopped: () => void): void {
    child.once('exit', (code, signal) => {
      this.processes.delete(task.taskArn);
      this.credentials.delete(task.taskArn);
      task.lastStatus = 'STOPPED';
      task.desiredStatus = 'STOPPED';
      task.stopCode ??= 'EssentialContainerExited';
      task.stoppedReason ??= 'Essential container in task exited';
      task.containers[0]!.lastStatus = 'STOPPED';
      task.containers[0]!.exitCode = code ?? (signal === 'SIGKILL' ? 137 : 143);
      markStopped();
    });
  }

  /** The execution role pulls the image from ECR and writes the container's logs. */
  private async authorizeExecutionRole(role: DeployedRole, image: string, logOptions: Record<string, string>): Promise<void> {
    const { partition, region, account } = this.options.environment;
    const caller: Caller = { kind: 'copy-task', name: `${role.logicalId} (execution role)`, roleLogicalId: role.logicalId, roleArn: role.arn, sessionArn: `arn:${partition}:sts::${account}:assumed-role/${role.name}/ecs-execution` };
    const requests = [];
    const ecr = /^(\d+)\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/.exec(image);
    if (ecr) {
      const repository = `arn:${partition}:ecr:${ecr[2]}:${ecr[1]}:repository/${ecr[3]}`;
      requests.push({ action: 'ecr:GetAuthorizationToken', resource: '*', context: {} });
      for (const action of ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage']) requests.push({ action, resource: repository, context: {} });
    }
    const group = logOptions['awslogs-group'];
    if (group) {
      const stream = `arn:${partition}:logs:${region}:${account}:log-group:${group}:log-stream:*`;
      requests.push({ action: 'logs:CreateLogStream', resource: stream, context: {} }, { action: 'logs:PutLogEvents', resource: stream, context: {} });
    }
    const record = await this.options.gate.authorizeOnBehalf(caller, 'ecs:start task (image pull, logs)', requests, 'ecs');
    if (!record.allowed) throw new TaskStartError(`the task execution role ${role.arn} may not pull the image or write its logs`);
  }

  /**
   * EFS volumes with IAM authorization: EFS decides ClientMount (and ClientWrite for a writable mount,
   * ClientRootAccess for the container's root user) on the task role, from its identity policies and the
   * file system policy, with the access point and TLS as condition keys. Returns container path -> folder.
   */
  private async mountVolumes(definition: TaskDefinition, task: Caller): Promise<VolumeMount[]> {
    const mounts: VolumeMount[] = [];
    const container = definition.containerDefinitions?.[0];
    const { partition, region, account } = this.options.environment;
    for (const mountPoint of container?.mountPoints ?? []) {
      const volume = definition.volumes?.find((candidate) => candidate.name === mountPoint.sourceVolume);
      const efs = volume?.efsVolumeConfiguration;
      if (!efs) continue;
      const fileSystemArn = `arn:${partition}:elasticfilesystem:${region}:${account}:file-system/${efs.fileSystemId}`;
      const accessPointId = efs.authorizationConfig?.accessPointId;
      let readOnly = mountPoint.readOnly === true;
      let rootSquashed = false;
      if (efs.authorizationConfig?.iam === 'ENABLED') {
        const context: Record<string, string> = {
          // EFS authorizes a mount on the file system, tags included (ABAC grants such as the copy task's).
          ...(await this.resourceTags(efs.fileSystemId!)),
          'aws:SecureTransport': String(efs.transitEncryption === 'ENABLED'),
          'elasticfilesystem:AccessedViaMountTarget': 'true',
          ...(accessPointId ? { 'elasticfilesystem:AccessPointArn': `arn:${partition}:elasticfilesystem:${region}:${account}:access-point/${accessPointId}` } : {}),
        };
        // EFS grants a connection what the policies allow: ClientMount is needed to mount at all (read-only
        // access); without ClientWrite the mount is read-only, without ClientRootAccess root is squashed.
        const resourcePolicy = await this.fileSystemPolicy(efs.fileSystemId!);
        const decide = async (action: string, required: boolean) =>
          this.options.gate.authorizeOnBehalf(task, `efs:mount ${efs.fileSystemId}${accessPointId ? ` via ${accessPointId}` : ''} (${action.split(':')[1]})`, [{ action, resource: fileSystemArn, context, resourcePolicy }], 'efs', undefined, required);
        if (!(await decide('elasticfilesystem:ClientMount', true)).allowed) {
          throw new TaskStartError(`failed to invoke EFS utils commands to set up EFS volumes: mount of ${efs.fileSystemId} refused: access denied by server (elasticfilesystem:ClientMount not allowed for ${task.roleArn})`);
        }
        if (!readOnly) readOnly = !(await decide('elasticfilesystem:ClientWrite', false)).allowed;
        rootSquashed = !(await decide('elasticfilesystem:ClientRootAccess', false)).allowed;
      }
      const folder = await this.options.efs.mount({ fileSystemId: efs.fileSystemId!, rootDirectory: efs.rootDirectory, accessPointId });
      mounts.push({ fileSystemId: efs.fileSystemId!, containerPath: mountPoint.containerPath!, folder, readOnly, rootSquashed });
    }
    return mounts;
  }

  private async resourceTags(fileSystemId: string): Promise<Record<string, string>> {
    const described = await new EFSClient(this.options.admin).send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId })).catch(() => undefined);
    return Object.fromEntries((described?.FileSystems?.[0]?.Tags ?? []).map((tag) => [`aws:ResourceTag/${tag.Key}`, tag.Value ?? '']));
  }

  /** The file system policy EFS evaluates at mount: the one set, else EFS's default policy. */
  private async fileSystemPolicy(fileSystemId: string): Promise<PolicyDocument> {
    return this.options.policyOf(fileSystemId) ?? defaultFileSystemPolicy(this.options.environment, fileSystemId);
  }

  private roleByArn(arn: string | undefined): DeployedRole | undefined {
    if (!arn) return undefined;
    return [...this.options.roles.values()].find((role) => role.arn === arn);
  }
}

/** Why ECS stopped a task before its container ran. */
class TaskStartError extends Error {
  override readonly name = 'TaskStartError';
}

/** EFS's default file system policy: full access for any client that can reach a mount target. */
function defaultFileSystemPolicy(environment: RehearsalEnvironment, fileSystemId: string): PolicyDocument {
  const { partition, region, account } = environment;
  return {
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
      Resource: `arn:${partition}:elasticfilesystem:${region}:${account}:file-system/${fileSystemId}`,
      Condition: { Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' } },
    }],
  };
}

/** An EFS volume as the task sees it. */
interface VolumeMount {
  readonly fileSystemId: string;
  readonly containerPath: string;
  readonly folder: string;
  /** The mount point asked for read-only, or EFS granted no ClientWrite. */
  readonly readOnly: boolean;
  /** EFS granted no ClientRootAccess: root is squashed to 65534. */
  readonly rootSquashed: boolean;
}

/**
 * The container's process, in a mount namespace of its own (unshare; the rehearsal runs as root, as CI
 * does): each volume's folder bind-mounted at its container path (read-only where EFS would only allow
 * reading), under a tmpfs that hides the host's folder of the same name. Root is squashed (the process
 * runs as 65534) when EFS would squash it on any volume.
 */
function runInMountNamespace(workdir: string, argv: readonly string[], mounts: readonly VolumeMount[], env: NodeJS.ProcessEnv): ChildProcess {
  const lines = ['set -e'];
  for (const top of new Set(mounts.map((mount) => `/${mount.containerPath.split('/')[1]}`))) lines.push(`mount -t tmpfs -o mode=0755 rehearsal-volumes ${shellQuote(top)}`);
  for (const mount of mounts) {
    lines.push(`mkdir -p ${shellQuote(mount.containerPath)}`, `mount --bind ${shellQuote(mount.folder)} ${shellQuote(mount.containerPath)}`);
    if (mount.readOnly) lines.push(`mount -o remount,bind,ro ${shellQuote(mount.containerPath)}`);
  }
  lines.push(`cd ${shellQuote(workdir)}`);
  const squash = mounts.some((mount) => mount.rootSquashed) ? 'setpriv --reuid=65534 --regid=65534 --clear-groups ' : '';
  lines.push(`exec ${squash}${argv.map(shellQuote).join(' ')}`);
  return spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', lines.join('\n')], { cwd: workdir, stdio: ['ignore', 'pipe', 'pipe'], env });
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function describeTask(task: EcsTask): Record<string, unknown> {
  return {
    taskArn: task.taskArn,
    clusterArn: task.clusterArn,
    taskDefinitionArn: task.taskDefinitionArn,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    launchType: 'FARGATE',
    ...(task.stopCode ? { stopCode: task.stopCode, stoppedReason: task.stoppedReason } : {}),
    containers: task.containers.map((container) => ({ ...container })),
  };
}

function stepFunctionsError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** Amazon States Language parameters (PascalCase, as the ECS integration takes them) to the SDK's input. */
function camelCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.charAt(0).toLowerCase() + key.slice(1), camelCaseKeys(item)]));
}
