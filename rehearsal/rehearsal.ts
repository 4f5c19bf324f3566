/**
 * The AWS rehearsal: what `cdk deploy` ships (the synthesized template and the bundles in cdk.out), run
 * against moto's server with IAM enforced, each function, the state machine, the copy task and the
 * scheduler acting under its own role. Brings every part up; the scenarios (rehearsal/scenarios) drive it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreatePolicyVersionCommand, GetPolicyCommand, GetPolicyVersionCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { DescribeAccessPointsCommand, DescribeFileSystemsCommand, DescribeMountTargetsCommand, EFSClient } from '@aws-sdk/client-efs';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { assumeRole, createRehearsalUser, type AwsClientConfig } from './aws/admin.ts';
import { createBackends, type RehearsalBackends } from './aws/backends.ts';
import { provision, type Deployment, type ProvisionOptions } from './aws/provision.ts';
import { RehearsalStack, type CfnTemplate } from './aws/rehearsal-stack.ts';
import { synthesize } from './aws/synth.ts';
import { ApiGateway } from './api-gateway/api-gateway.ts';
import { EcsStandIn } from './ecs/ecs-stand-in.ts';
import { prepareTaskImage } from './ecs/task-image.ts';
import { EfsFolders } from './efs/efs-folders.ts';
import { FileSystemPolicies } from './efs/file-system-policies.ts';
import { EfsReplication } from './efs/efs-replication.ts';
import { ClientConnections } from './efs/client-connections.ts';
import { CallLog, type Caller } from './iam/call-log.ts';
import type { NamedPolicy, PolicyDocument } from './iam/evaluator.ts';
import { IamGate } from './iam/iam-gate.ts';
import type { EmulatorState } from './iam/request-authorizations.ts';
import { checkTrust } from './iam/trust.ts';
import { LambdaFunctions, sessionArn } from './lambda/lambda-functions.ts';
import { startMoto, type MotoServer } from './moto/moto-server.ts';
import { StepFunctions } from './stepfunctions/executions.ts';
import { ScheduleFiring } from './scheduler/schedule-firing.ts';
import { ServiceModels } from './wire/service-models.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The account and region the rehearsal deploys into (moto's default account). */
export const REHEARSAL_ACCOUNT = '123456789012';
export const REHEARSAL_REGION = 'eu-west-1';
export const STACK_NAME = 'ShareMigration';

export interface RehearsalOptions {
  /** Where everything goes: cdk.out, the EFS folders, the logs. @default <repo>/.rehearsal/<time> */
  readonly workDir?: string;
  /** Edits role policies before they go into the emulator's IAM (the mutation test). */
  readonly editPolicy?: ProvisionOptions['editPolicy'];
}

export interface Rehearsal {
  readonly workDir: string;
  readonly cdkOut: string;
  readonly stack: RehearsalStack;
  readonly deployment: Deployment;
  readonly moto: MotoServer;
  readonly admin: AwsClientConfig;
  readonly backends: RehearsalBackends;
  readonly log: CallLog;
  readonly gate: IamGate;
  readonly functions: LambdaFunctions;
  readonly stepFunctions: StepFunctions;
  readonly ecs: EcsStandIn;
  readonly efs: EfsFolders;
  /** Who is connected to each file system (EFS's ClientConnections metric is answered from it). */
  readonly connections: ClientConnections;
  /** EFS file system policies (served by the rehearsal: moto has no DeleteFileSystemPolicy). */
  readonly fileSystemPolicies: FileSystemPolicies;
  readonly api: ApiGateway;
  readonly schedules: ScheduleFiring;
  /** The admin token (its SHA-256 is the stack's AdminTokenSha256 parameter). */
  readonly adminToken: string;
  /** The API's base URL without the trailing slash: `<ApiUrl>` as `manila --bypass-url <url>/v2` takes it. */
  readonly apiUrl: string;
  /**
   * Changes a role's inline policies in the emulator's IAM while the rehearsal runs (the mutation test
   * removes a statement this way); resolves with a function that puts them back.
   */
  editRolePolicies(roleLogicalId: string, edit: (policyName: string, document: PolicyDocument) => PolicyDocument): Promise<() => Promise<void>>;
  stop(): Promise<void>;
}

export async function startRehearsal(options: RehearsalOptions = {}): Promise<Rehearsal> {
  const workDir = path.resolve(options.workDir ?? path.join(REPO_ROOT, '.rehearsal', new Date().toISOString().replace(/[:.]/g, '-')));
  await rm(workDir, { recursive: true, force: true });
  const logDir = path.join(workDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const fn of stops.reverse()) await fn().catch(() => undefined);
  };
  try {
    const moto = await startMoto({ logFile: path.join(logDir, 'moto.log') });
    stops.push(() => moto.stop());
    const { config: admin, arn: adminArn } = await createRehearsalUser(moto.endpoint, REHEARSAL_REGION, REHEARSAL_ACCOUNT);
    const backends = await createBackends(admin);
    // The backends' ids are the emulator's, so every rehearsal synthesizes its own cdk.out.
    const cdkOut = (await synthesize({ outdir: path.join(workDir, 'cdk.out'), context: backends.context, logFile: path.join(logDir, 'synth.log') }));
    const template = (await import(path.join(cdkOut, `${STACK_NAME}.template.json`), { with: { type: 'json' } })).default as CfnTemplate;
    const adminToken = randomBytes(32).toString('hex');
    const stack = new RehearsalStack(template, { account: REHEARSAL_ACCOUNT, region: REHEARSAL_REGION, partition: 'aws', stackName: STACK_NAME }, {
      AdminTokenSha256: createHash('sha256').update(adminToken).digest('hex'),
    });
    const deployment = await provision(stack, admin, { rehearsalPrincipalArn: adminArn, editPolicy: options.editPolicy });
    const rolePolicies = await rolePoliciesFromEmulator(admin, deployment);

    const log = new CallLog();
    const efs = new EfsFolders(path.join(workDir, 'efs'), admin);
    let stepFunctions: StepFunctions | undefined;
    const state = emulatorState(admin, stack, () => stepFunctions);
    const gate = new IamGate({ motoEndpoint: moto.endpoint, models: new ServiceModels(), state, log, policiesOf: (role) => rolePolicies.get(role) ?? [] });
    await gate.start();
    stops.push(() => gate.stop());
    // Set-up is done: from here moto authenticates and authorizes every request.
    await moto.enforceIam();

    const functions = new LambdaFunctions({ stack, cdkOut, roles: deployment.roles, admin, gate, logDir: path.join(logDir, 'functions') });
    stops.push(() => functions.stop());
    const taskDefinition = (await new ECSClient(admin).send(new DescribeTaskDefinitionCommand({ taskDefinition: String(stack.ref(stack.resourcesOf('AWS::ECS::TaskDefinition')[0]![0])) }))).taskDefinition!;
    const image = await prepareTaskImage(cdkOut, taskDefinition.containerDefinitions![0]!.image!, workDir, REPO_ROOT);
    const policies = new FileSystemPolicies(gate, admin);
    const replication = new EfsReplication({ gate, admin, folders: efs, environment: stack.environment });
    stops.push(async () => replication.stop());
    const connections = new ClientConnections();
    connections.serveMetrics(gate, admin);
    const ecs = new EcsStandIn({ gate, admin, environment: stack.environment, roles: deployment.roles, efs, policyOf: (id) => policies.policyOf(id), image, logDir: path.join(logDir, 'tasks'), connections });
    await ecs.start();
    stops.push(() => ecs.stop());

    const stateMachineRole = [...deployment.roles.values()].find((role) => role.arn === deployment.stateMachine.roleArn)!;
    if (!(await checkTrust(gate, stateMachineRole, 'states.amazonaws.com', { 'aws:SourceArn': deployment.stateMachine.arn, 'aws:SourceAccount': REHEARSAL_ACCOUNT })).allowed) throw new Error(`Step Functions cannot assume the state machine's role ${stateMachineRole.arn}`);
    const stateMachineCredentials = await assumeRole(admin, stateMachineRole.arn, 'step-functions');
    const stateMachineCaller: Caller = { kind: 'state-machine', name: deployment.stateMachine.logicalId, roleLogicalId: stateMachineRole.logicalId, roleArn: stateMachineRole.arn, sessionArn: sessionArn(stateMachineRole.arn, 'step-functions') };
    gate.registerCaller(stateMachineCredentials.accessKeyId, stateMachineCaller);
    stepFunctions = new StepFunctions({
      stateMachineArn: deployment.stateMachine.arn,
      definition: deployment.stateMachine.definition,
      functions,
      gate,
      stateMachineCaller,
      runEcsTask: (parameters, caller) => ecs.runSync(parameters, caller, stateMachineCredentials),
    });
    stops.push(() => stepFunctions!.stopAll());

    const api = new ApiGateway(stack, functions, gate);
    await api.start();
    stops.push(() => api.stop());
    const schedules = new ScheduleFiring({ admin, gate, roles: deployment.roles, stateMachineArn: deployment.stateMachine.arn, groupName: String(stack.ref(stack.resourcesOf('AWS::Scheduler::ScheduleGroup')[0]![0])) });

    return {
      workDir, cdkOut, stack, deployment, moto, admin, backends, log, gate, functions, stepFunctions, ecs, efs, connections, fileSystemPolicies: policies, api, schedules, adminToken,
      apiUrl: api.url.replace(/\/$/, ''),
      editRolePolicies: async (roleLogicalId, edit) => {
        const role = deployment.roles.get(roleLogicalId);
        if (!role) throw new Error(`The template has no role ${roleLogicalId}`);
        const original = rolePolicies.get(roleLogicalId) ?? [];
        const iam = new IAMClient(admin);
        const inline = new Set((await iam.send(new ListRolePoliciesCommand({ RoleName: role.name }))).PolicyNames ?? []);
        const attached = new Map(((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role.name }))).AttachedPolicies ?? []).map((policy) => [policy.PolicyName!, policy.PolicyArn!]));
        const put = async (policies: readonly NamedPolicy[]): Promise<void> => {
          for (const policy of policies) {
            const document = JSON.stringify(policy.document);
            if (inline.has(policy.name)) await iam.send(new PutRolePolicyCommand({ RoleName: role.name, PolicyName: policy.name, PolicyDocument: document }));
            else if (attached.has(policy.name)) await iam.send(new CreatePolicyVersionCommand({ PolicyArn: attached.get(policy.name), PolicyDocument: document, SetAsDefault: true }));
          }
          rolePolicies.set(roleLogicalId, (await rolePoliciesFromEmulator(admin, deployment)).get(roleLogicalId) ?? []);
        };
        await put(original.map((policy) => ({ name: policy.name, document: edit(policy.name, policy.document) })));
        return () => put(original);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The identity policies of every role as the emulator's IAM holds them (inline, and attached customer
 * managed policies): what the rehearsal evaluates. AWS managed policies are not known to the rehearsal;
 * a role relying on one for a call would be denied here, and the report would say so.
 */
async function rolePoliciesFromEmulator(admin: AwsClientConfig, deployment: Deployment): Promise<Map<string, NamedPolicy[]>> {
  const iam = new IAMClient(admin);
  const policies = new Map<string, NamedPolicy[]>();
  for (const role of deployment.roles.values()) {
    const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: role.name }))).PolicyNames ?? [];
    const documents: NamedPolicy[] = [];
    for (const name of names) {
      const out = await iam.send(new GetRolePolicyCommand({ RoleName: role.name, PolicyName: name }));
      documents.push({ name, document: JSON.parse(decodeURIComponent(out.PolicyDocument!)) as PolicyDocument });
    }
    for (const attached of (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role.name }))).AttachedPolicies ?? []) {
      if (attached.PolicyArn?.startsWith('arn:aws:iam::aws:')) continue;
      const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: attached.PolicyArn }))).Policy!;
      const version = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: attached.PolicyArn, VersionId: policy.DefaultVersionId }))).PolicyVersion!;
      documents.push({ name: attached.PolicyName!, document: JSON.parse(decodeURIComponent(version.Document!)) as PolicyDocument });
    }
    policies.set(role.logicalId, documents);
  }
  return policies;
}

function emulatorState(admin: AwsClientConfig, stack: RehearsalStack, stepFunctions: () => StepFunctions | undefined): EmulatorState {
  const efs = new EFSClient(admin);
  const ecs = new ECSClient(admin);
  const secrets = new Map(stack.resourcesOf('AWS::SecretsManager::Secret').map(([logicalId]) => String(stack.ref(logicalId))).map((arn) => [arn.split(':secret:')[1]!.replace(/-[A-Za-z0-9]{6}$/, ''), arn]));
  return {
    account: REHEARSAL_ACCOUNT,
    region: REHEARSAL_REGION,
    partition: 'aws',
    efsTags: async (id) => {
      const tags = id.startsWith('fsap-')
        ? (await efs.send(new DescribeAccessPointsCommand({ AccessPointId: id })).catch(() => ({ AccessPoints: [] }))).AccessPoints?.[0]?.Tags
        : (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: id })).catch(() => ({ FileSystems: [] }))).FileSystems?.[0]?.Tags;
      return Object.fromEntries((tags ?? []).map((tag) => [tag.Key!, tag.Value!]));
    },
    mountTargetFileSystem: async (mountTargetId) =>
      (await efs.send(new DescribeMountTargetsCommand({ MountTargetId: mountTargetId })).catch(() => ({ MountTargets: [] }))).MountTargets?.[0]?.FileSystemId,
    taskDefinitionRoles: async (taskDefinition) => {
      const described = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })).catch(() => ({ taskDefinition: undefined }))).taskDefinition;
      return [described?.taskRoleArn, described?.executionRoleArn].filter((arn): arn is string => arn !== undefined);
    },
    secretArn: (id) => (id.startsWith('arn:') ? id : secrets.get(id) ?? `arn:aws:secretsmanager:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:secret:${id}`),
    stateMachineOfToken: (token) => stepFunctions()?.stateMachineOfToken(token),
  };
}
