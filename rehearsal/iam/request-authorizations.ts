/**
 * What AWS authorizes when it receives a call: for each operation the code under test makes, the
 * action, the resource ARN and the condition keys of the request, plus the authorizations AWS makes on
 * the caller for what the call does underneath (iam:PassRole of a role handed to a service, the EC2
 * network interfaces of an EFS mount target, tagging on create). This is the rehearsal's model of AWS,
 * written from the service authorization reference and the services' API documentation, and kept apart
 * from the stack's own grants on purpose: it is what the grants are checked against.
 *
 * An operation not described here is still authorized (action on "*"), and the report lists it, so a new
 * call in the code is never silently unchecked.
 */
import type { AuthorizationRequest } from './evaluator.ts';

/** What the rehearsal can look up in the emulator while it authorizes a call. */
export interface EmulatorState {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  /** Tags of an EFS file system or access point (by id), {} if it has none or does not exist. */
  efsTags(resourceId: string): Promise<Record<string, string>>;
  /** The file system of an EFS mount target, if it exists. */
  mountTargetFileSystem(mountTargetId: string): Promise<string | undefined>;
  /** The roles of an ECS task definition (ARN or family[:revision]). */
  taskDefinitionRoles(taskDefinition: string): Promise<readonly string[]>;
  /** The ARN of a secret given by name or ARN. */
  secretArn(secretId: string): string;
  /** The state machine ARN of an execution's task token, if the rehearsal issued it. */
  stateMachineOfToken(token: string): string | undefined;
}

export interface CallAuthorizations {
  readonly requests: readonly AuthorizationRequest[];
  /** False when the rehearsal has no model of this operation (authorized on "*" only). */
  readonly modelled: boolean;
}

type Input = Readonly<Record<string, unknown>>;
type Describe = (input: Input, state: EmulatorState) => Promise<AuthorizationRequest[]> | AuthorizationRequest[];

export async function authorizationsFor(iamPrefix: string, operation: string, input: Input, state: EmulatorState): Promise<CallAuthorizations> {
  const describe = MODEL[`${iamPrefix}:${operation}`];
  if (!describe) return { requests: [{ action: `${iamPrefix}:${operation}`, resource: '*', context: {} }], modelled: false };
  return { requests: await describe(input, state), modelled: true };
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function arn(state: EmulatorState, service: string, resource: string, region: string = state.region): string {
  return `arn:${state.partition}:${service}:${region}:${state.account}:${resource}`;
}

// ---- DynamoDB ----

function tableArn(state: EmulatorState, table: string): string {
  return table.startsWith('arn:') ? table : arn(state, 'dynamodb', `table/${table}`);
}

const onTable = (action: string): Describe => (input, state) => {
  const table = tableArn(state, str(input['TableName']) ?? '');
  const index = str(input['IndexName']);
  return [{ action: `dynamodb:${action}`, resource: index ? `${table}/index/${index}` : table, context: {} }];
};

const onTables = (action: string): Describe => (input, state) =>
  Object.keys((input['RequestItems'] as Record<string, unknown> | undefined) ?? {}).map((table) => ({ action: `dynamodb:${action}`, resource: tableArn(state, table), context: {} }));

// ---- EFS ----

function fileSystemArn(state: EmulatorState, id: string): string {
  return id.startsWith('arn:') ? id : arn(state, 'elasticfilesystem', `file-system/${id}`);
}

function accessPointArn(state: EmulatorState, id: string): string {
  return id.startsWith('arn:') ? id : arn(state, 'elasticfilesystem', `access-point/${id}`);
}

async function efsResource(state: EmulatorState, id: string): Promise<{ resource: string; context: Record<string, string> }> {
  const resourceId = id.startsWith('arn:') ? id.slice(id.lastIndexOf('/') + 1) : id;
  const resource = resourceId.startsWith('fsap-') ? accessPointArn(state, id) : fileSystemArn(state, id);
  return { resource, context: resourceTagContext(await state.efsTags(resourceId)) };
}

function resourceTagContext(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:ResourceTag/${key}`, value]));
}

function requestTagContext(tags: readonly { Key?: string; Value?: string; key?: string; value?: string }[] | undefined): Record<string, string | string[]> {
  const list = (tags ?? []).map((tag) => [tag.Key ?? tag.key ?? '', tag.Value ?? tag.value ?? ''] as const).filter(([key]) => key !== '');
  if (list.length === 0) return {};
  return { ...Object.fromEntries(list.map(([key, value]) => [`aws:RequestTag/${key}`, value])), 'aws:TagKeys': list.map(([key]) => key) };
}

/** An EFS call on the file system or access point its input names (FileSystemId, AccessPointId, ResourceId). */
const onEfsResource = (action: string, member = 'FileSystemId'): Describe => async (input, state) => {
  const id = str(input[member]);
  if (!id) return [{ action: `elasticfilesystem:${action}`, resource: '*', context: {} }];
  const { resource, context } = await efsResource(state, id);
  return [{ action: `elasticfilesystem:${action}`, resource, context }];
};

/** An EFS call naming a mount target (MountTargetId): authorized on the mount target's file system. */
const onMountTargetsFileSystem = (action: string): Describe => async (input, state) => {
  const fileSystem = await state.mountTargetFileSystem(str(input['MountTargetId']) ?? '');
  if (!fileSystem) return [{ action: `elasticfilesystem:${action}`, resource: '*', context: {} }];
  const { resource, context } = await efsResource(state, fileSystem);
  return [{ action: `elasticfilesystem:${action}`, resource, context }];
};

/**
 * Creating with tags: EFS authorizes the create with aws:RequestTag/aws:TagKeys and, because tags are
 * applied as part of it, elasticfilesystem:TagResource with elasticfilesystem:CreateAction (EFS user
 * guide, "Tagging resources during creation").
 */
function withTagOnCreate(action: string, createAction: string, resource: string, tags: unknown, extra: Record<string, string | string[]> = {}): AuthorizationRequest[] {
  const requestTags = requestTagContext(tags as { Key: string; Value: string }[] | undefined);
  const requests: AuthorizationRequest[] = [{ action, resource, context: { ...requestTags, ...extra } }];
  if (Object.keys(requestTags).length > 0) {
    requests.push({ action: 'elasticfilesystem:TagResource', resource, context: { ...requestTags, 'elasticfilesystem:CreateAction': createAction } });
  }
  return requests;
}

// ---- ECS ----

function clusterArn(state: EmulatorState, cluster: string | undefined): string {
  const name = cluster ?? 'default';
  return name.startsWith('arn:') ? name : arn(state, 'ecs', `cluster/${name}`);
}

function taskDefinitionArn(state: EmulatorState, taskDefinition: string): string {
  return taskDefinition.startsWith('arn:') ? taskDefinition : arn(state, 'ecs', `task-definition/${taskDefinition.includes(':') ? taskDefinition : `${taskDefinition}:*`}`);
}

function passRole(roleArn: string, service: string): AuthorizationRequest {
  return { action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': service } };
}

// ---- the model ----

const MODEL: Readonly<Record<string, Describe>> = {
  'dynamodb:GetItem': onTable('GetItem'),
  'dynamodb:PutItem': onTable('PutItem'),
  'dynamodb:UpdateItem': onTable('UpdateItem'),
  'dynamodb:DeleteItem': onTable('DeleteItem'),
  'dynamodb:Query': onTable('Query'),
  'dynamodb:Scan': onTable('Scan'),
  'dynamodb:DescribeTable': onTable('DescribeTable'),
  'dynamodb:ConditionCheckItem': onTable('ConditionCheckItem'),
  'dynamodb:BatchGetItem': onTables('BatchGetItem'),
  'dynamodb:BatchWriteItem': onTables('BatchWriteItem'),
  'dynamodb:TransactWriteItems': (input, state) =>
    ((input['TransactItems'] as Record<string, { TableName?: string }>[] | undefined) ?? []).flatMap((item) =>
      Object.entries(item).map(([kind, op]) => ({
        action: `dynamodb:${kind === 'Put' ? 'PutItem' : kind === 'Update' ? 'UpdateItem' : kind === 'Delete' ? 'DeleteItem' : 'ConditionCheckItem'}`,
        resource: tableArn(state, op.TableName ?? ''),
        context: {},
      })),
    ),

  'elasticfilesystem:DescribeFileSystems': onEfsResource('DescribeFileSystems'),
  'elasticfilesystem:DescribeAccessPoints': async (input, state) => {
    const accessPoint = str(input['AccessPointId']);
    if (accessPoint) return onEfsResource('DescribeAccessPoints', 'AccessPointId')(input, state);
    return onEfsResource('DescribeAccessPoints')(input, state);
  },
  'elasticfilesystem:DescribeMountTargets': async (input, state) => {
    if (str(input['AccessPointId'])) return onEfsResource('DescribeMountTargets', 'AccessPointId')(input, state);
    if (str(input['FileSystemId'])) return onEfsResource('DescribeMountTargets')(input, state);
    return onMountTargetsFileSystem('DescribeMountTargets')(input, state);
  },
  'elasticfilesystem:DescribeFileSystemPolicy': onEfsResource('DescribeFileSystemPolicy'),
  'elasticfilesystem:PutFileSystemPolicy': onEfsResource('PutFileSystemPolicy'),
  'elasticfilesystem:DeleteFileSystemPolicy': onEfsResource('DeleteFileSystemPolicy'),
  'elasticfilesystem:DeleteFileSystem': onEfsResource('DeleteFileSystem'),
  'elasticfilesystem:DeleteAccessPoint': onEfsResource('DeleteAccessPoint', 'AccessPointId'),
  'elasticfilesystem:DescribeReplicationConfigurations': onEfsResource('DescribeReplicationConfigurations'),
  'elasticfilesystem:DeleteReplicationConfiguration': onEfsResource('DeleteReplicationConfiguration', 'SourceFileSystemId'),
  'elasticfilesystem:UpdateFileSystemProtection': onEfsResource('UpdateFileSystemProtection'),
  'elasticfilesystem:ListTagsForResource': onEfsResource('ListTagsForResource', 'ResourceId'),
  'elasticfilesystem:DeleteMountTarget': async (input, state) => [
    ...(await onMountTargetsFileSystem('DeleteMountTarget')(input, state)),
    // The mount target's network interface goes with it, on the caller's permission (EFS API reference, DeleteMountTarget).
    { action: 'ec2:DeleteNetworkInterface', resource: '*', context: {} },
  ],
  'elasticfilesystem:TagResource': async (input, state) => {
    const { resource, context } = await efsResource(state, str(input['ResourceId']) ?? '');
    return [{ action: 'elasticfilesystem:TagResource', resource, context: { ...context, ...requestTagContext(input['Tags'] as never) } }];
  },
  'elasticfilesystem:UntagResource': async (input, state) => {
    const { resource, context } = await efsResource(state, str(input['ResourceId']) ?? '');
    const keys = input['TagKeys'];
    return [{ action: 'elasticfilesystem:UntagResource', resource, context: { ...context, 'aws:TagKeys': Array.isArray(keys) ? keys.map(String) : typeof keys === 'string' ? [keys] : [] } }];
  },
  'elasticfilesystem:CreateAccessPoint': async (input, state) => {
    const { resource, context } = await efsResource(state, str(input['FileSystemId']) ?? '');
    return withTagOnCreate('elasticfilesystem:CreateAccessPoint', 'CreateAccessPoint', resource, input['Tags'], context);
  },
  'elasticfilesystem:CreateFileSystem': (input, state) => {
    const encrypted = input['Encrypted'] === true || str(input['KmsKeyId']) !== undefined;
    // CreateFileSystem supports no resource (the reference lists it as wildcard-only): only its tags and
    // encryption can scope it. Its tags are applied as part of it, on the file system being made.
    const requests = withTagOnCreate('elasticfilesystem:CreateFileSystem', 'CreateFileSystem', '*', input['Tags'], {
      'elasticfilesystem:Encrypted': String(encrypted),
    }).map((request) => (request.action === 'elasticfilesystem:TagResource' ? { ...request, resource: arn(state, 'elasticfilesystem', 'file-system/*') } : request));
    const key = str(input['KmsKeyId']);
    if (key) {
      // A customer managed key: EFS uses it on the caller's behalf (EFS user guide, "Using AWS KMS keys for Amazon EFS").
      const keyArn = key.startsWith('arn:') ? key : arn(state, 'kms', key.startsWith('alias/') ? key : `key/${key}`);
      // EFS calls KMS for the caller, so kms:ViaService names EFS in the region.
      const viaEfs = { 'kms:ViaService': `elasticfilesystem.${state.region}.amazonaws.com` };
      requests.push({ action: 'kms:DescribeKey', resource: keyArn, context: viaEfs }, { action: 'kms:CreateGrant', resource: keyArn, context: { ...viaEfs, 'kms:GrantIsForAWSResource': 'true' } });
    }
    return requests;
  },
  'elasticfilesystem:CreateMountTarget': async (input, state) => {
    const { resource, context } = await efsResource(state, str(input['FileSystemId']) ?? '');
    // CreateMountTarget "also requires permissions for the following Amazon EC2 actions" on the caller
    // (EFS API reference, CreateMountTarget): the mount target is a network interface made for the caller.
    return [
      { action: 'elasticfilesystem:CreateMountTarget', resource, context },
      { action: 'ec2:DescribeSubnets', resource: '*', context: {} },
      { action: 'ec2:DescribeNetworkInterfaces', resource: '*', context: {} },
      { action: 'ec2:CreateNetworkInterface', resource: '*', context: {} },
    ];
  },
  'elasticfilesystem:CreateReplicationConfiguration': async (input, state) => {
    const { resource, context } = await efsResource(state, str(input['SourceFileSystemId']) ?? '');
    // The first replication in an account creates the EFS replication service-linked role, on the caller's permission.
    return [
      { action: 'elasticfilesystem:CreateReplicationConfiguration', resource, context },
      { action: 'iam:CreateServiceLinkedRole', resource: `arn:${state.partition}:iam::${state.account}:role/aws-service-role/elasticfilesystem.amazonaws.com/AWSServiceRoleForAmazonElasticFileSystem`, context: { 'iam:AWSServiceName': 'elasticfilesystem.amazonaws.com' } },
    ];
  },

  'ecs:DescribeTaskDefinition': () => [{ action: 'ecs:DescribeTaskDefinition', resource: '*', context: {} }],
  'ecs:ListTaskDefinitions': () => [{ action: 'ecs:ListTaskDefinitions', resource: '*', context: {} }],
  'ecs:DeregisterTaskDefinition': () => [{ action: 'ecs:DeregisterTaskDefinition', resource: '*', context: {} }],
  'ecs:RegisterTaskDefinition': (input, state) => {
    const family = str(input['family']) ?? '';
    // RegisterTaskDefinition supports no resource; roles named in it are passed to ECS tasks.
    const requests: AuthorizationRequest[] = [{ action: 'ecs:RegisterTaskDefinition', resource: '*', context: {} }];
    for (const role of [str(input['taskRoleArn']), str(input['executionRoleArn'])]) if (role) requests.push(passRole(role, 'ecs-tasks.amazonaws.com'));
    const tags = requestTagContext(input['tags'] as never);
    if (Object.keys(tags).length > 0) {
      requests.push({ action: 'ecs:TagResource', resource: arn(state, 'ecs', `task-definition/${family}:*`), context: { ...tags, 'ecs:CreateAction': 'RegisterTaskDefinition' } });
    }
    return requests;
  },
  'ecs:RunTask': async (input, state) => {
    const taskDefinition = str(input['taskDefinition']) ?? '';
    const requests: AuthorizationRequest[] = [{ action: 'ecs:RunTask', resource: taskDefinitionArn(state, taskDefinition), context: { 'ecs:cluster': clusterArn(state, str(input['cluster'])) } }];
    for (const role of await state.taskDefinitionRoles(taskDefinition)) requests.push(passRole(role, 'ecs-tasks.amazonaws.com'));
    return requests;
  },
  'ecs:StopTask': (input, state) => {
    const cluster = clusterArn(state, str(input['cluster']));
    const task = str(input['task']) ?? '';
    const clusterName = cluster.slice(cluster.lastIndexOf('/') + 1);
    const resource = task.startsWith('arn:') ? task : arn(state, 'ecs', `task/${clusterName}/${task}`);
    return [{ action: 'ecs:StopTask', resource, context: { 'ecs:cluster': cluster } }];
  },
  'ecs:DescribeTasks': (input, state) =>
    ((input['tasks'] as string[] | undefined) ?? []).map((task) => ({ action: 'ecs:DescribeTasks', resource: task.startsWith('arn:') ? task : '*', context: { 'ecs:cluster': clusterArn(state, str(input['cluster'])) } })),

  'states:StartExecution': (input) => [{ action: 'states:StartExecution', resource: str(input['stateMachineArn']) ?? '*', context: {} }],
  'states:SendTaskSuccess': (input, state) => [{ action: 'states:SendTaskSuccess', resource: state.stateMachineOfToken(str(input['taskToken']) ?? '') ?? '*', context: {} }],
  'states:SendTaskFailure': (input, state) => [{ action: 'states:SendTaskFailure', resource: state.stateMachineOfToken(str(input['taskToken']) ?? '') ?? '*', context: {} }],
  'states:SendTaskHeartbeat': (input, state) => [{ action: 'states:SendTaskHeartbeat', resource: state.stateMachineOfToken(str(input['taskToken']) ?? '') ?? '*', context: {} }],
  'states:StopExecution': (input) => [{ action: 'states:StopExecution', resource: str(input['executionArn']) ?? '*', context: {} }],
  'states:DescribeExecution': (input) => [{ action: 'states:DescribeExecution', resource: str(input['executionArn']) ?? '*', context: {} }],

  'events:PutEvents': (input, state) =>
    ((input['Entries'] as { EventBusName?: string; Source?: string; DetailType?: string }[] | undefined) ?? []).map((entry) => {
      const bus = entry.EventBusName ?? 'default';
      return {
        action: 'events:PutEvents',
        resource: bus.startsWith('arn:') ? bus : arn(state, 'events', `event-bus/${bus}`),
        context: { 'events:source': entry.Source ?? '', 'events:detail-type': entry.DetailType ?? '' },
      };
    }),

  'scheduler:CreateSchedule': (input, state) => scheduleCall('CreateSchedule', input, state, true),
  'scheduler:UpdateSchedule': (input, state) => scheduleCall('UpdateSchedule', input, state, true),
  'scheduler:GetSchedule': (input, state) => scheduleCall('GetSchedule', input, state, false),
  'scheduler:DeleteSchedule': (input, state) => scheduleCall('DeleteSchedule', input, state, false),

  'secretsmanager:GetSecretValue': (input, state) => [{ action: 'secretsmanager:GetSecretValue', resource: state.secretArn(str(input['SecretId']) ?? ''), context: {} }],
  'secretsmanager:DescribeSecret': (input, state) => [{ action: 'secretsmanager:DescribeSecret', resource: state.secretArn(str(input['SecretId']) ?? ''), context: {} }],

  'ssm:GetParameter': (input, state) => [{ action: 'ssm:GetParameter', resource: parameterArn(state, str(input['Name']) ?? ''), context: {} }],
  'ssm:GetParameters': (input, state) => ((input['Names'] as string[] | undefined) ?? []).map((name) => ({ action: 'ssm:GetParameters', resource: parameterArn(state, name), context: {} })),
  'ssm:GetParametersByPath': (input, state) => [{ action: 'ssm:GetParametersByPath', resource: parameterArn(state, str(input['Path']) ?? ''), context: {} }],

  'cloudwatch:GetMetricData': () => [{ action: 'cloudwatch:GetMetricData', resource: '*', context: {} }],
  'cloudwatch:GetMetricStatistics': () => [{ action: 'cloudwatch:GetMetricStatistics', resource: '*', context: {} }],
};

function scheduleCall(operation: string, input: Input, state: EmulatorState, passesRole: boolean): AuthorizationRequest[] {
  const group = str(input['GroupName']) ?? 'default';
  const requests: AuthorizationRequest[] = [{ action: `scheduler:${operation}`, resource: arn(state, 'scheduler', `schedule/${group}/${str(input['Name']) ?? ''}`), context: {} }];
  const role = str((input['Target'] as { RoleArn?: string } | undefined)?.RoleArn);
  if (passesRole && role) requests.push(passRole(role, 'scheduler.amazonaws.com'));
  return requests;
}

function parameterArn(state: EmulatorState, name: string): string {
  if (name.startsWith('arn:')) return name;
  return arn(state, 'ssm', `parameter${name.startsWith('/') ? name : `/${name}`}`);
}
