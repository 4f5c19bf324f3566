import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '../../cdk/lib/paths.ts';
import type { ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import { SHARES_TABLE } from '../../lambdas/adapters/dynamodb/table-schema.ts';
import { Step } from '../../lambdas/core/workflow.ts';
import { logicalId, synthesizeStack } from './support.ts';

// The sample context: an access-point backend (gold, fs-0123456789abcdef0) and a file-system backend (silver), in eu-west-1.
const sample = JSON.parse(readFileSync(repoPath('cdk.context.sample.json'), 'utf8')) as { backends: { backends: Record<string, unknown>[] } };

let stack: ShareMigrationStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesizeStack(sample));
});

const PARTITION = { Ref: 'AWS::Partition' };
const ACCOUNT = { Ref: 'AWS::AccountId' };
const REGION = { Ref: 'AWS::Region' };
/** An ARN in the backends' region, eu-west-1. */
const inRegion = (service: string, resource: string) => ({ 'Fn::Join': ['', ['arn:', PARTITION, `:${service}:eu-west-1:`, ACCOUNT, `:${resource}`]] });
/** An ARN in the stack's region. */
const inStackRegion = (service: string, resource: string) => ({ 'Fn::Join': ['', ['arn:', PARTITION, `:${service}:`, REGION, ':', ACCOUNT, `:${resource}`]] });
const getAtt = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
const table = (id: 'shares' | 'migrations' | 'catalog' | 'partitions') => getAtt(stack.tables.table(id));

const GOLD_FILE_SYSTEM = inRegion('elasticfilesystem', 'file-system/fs-0123456789abcdef0');
const ACCESS_POINTS = inRegion('elasticfilesystem', 'access-point/*');
const SILVER_FILE_SYSTEMS = inRegion('elasticfilesystem', 'file-system/*');
const STORE = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'];
const X_RAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const NETWORK_INTERFACES = ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'];
const POLICY = ['elasticfilesystem:DeleteFileSystemPolicy', 'elasticfilesystem:DescribeFileSystemPolicy', 'elasticfilesystem:PutFileSystemPolicy'];

const ownLogs = (fn: IConstruct) => ({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: getAtt(fn.node.scope!.node.findChild(`${fn.node.id}Logs`)) });
const readBackends = { Action: 'ssm:GetParametersByPath', Effect: 'Allow', Resource: inStackRegion('ssm', 'parameter/ShareMigration/backends') };
const putEvents = () => ({ Action: 'events:PutEvents', Effect: 'Allow', Resource: getAtt(stack.events.bus) });

/** What creating instances on both backends takes (the instances part): access points of gold, file systems of silver. */
const instancesOnBothBackends = () => [
  { Action: 'elasticfilesystem:CreateFileSystem', Condition: { StringEquals: { 'aws:RequestTag/smig:backend': ['efs@silver'] } }, Effect: 'Allow', Resource: '*' },
  {
    Action: ['elasticfilesystem:CreateMountTarget', 'elasticfilesystem:DeleteFileSystem', 'elasticfilesystem:DeleteFileSystemPolicy', 'elasticfilesystem:DeleteMountTarget', 'elasticfilesystem:DescribeFileSystemPolicy', 'elasticfilesystem:DescribeMountTargets', 'elasticfilesystem:PutFileSystemPolicy'],
    Condition: { StringEquals: { 'aws:ResourceTag/smig:backend': ['efs@silver'] } },
    Effect: 'Allow',
    Resource: SILVER_FILE_SYSTEMS,
  },
  { Action: [...POLICY.slice(0, 1), 'elasticfilesystem:DescribeAccessPoints', ...POLICY.slice(1, 2), 'elasticfilesystem:DescribeFileSystems', ...POLICY.slice(2)], Effect: 'Allow', Resource: GOLD_FILE_SYSTEM },
  { Action: 'elasticfilesystem:CreateAccessPoint', Condition: { StringEquals: { 'aws:RequestTag/smig:backend': ['efs@gold'] } }, Effect: 'Allow', Resource: GOLD_FILE_SYSTEM },
  { Action: 'elasticfilesystem:DeleteAccessPoint', Condition: { StringEquals: { 'aws:ResourceTag/smig:backend': ['efs@gold'] } }, Effect: 'Allow', Resource: ACCESS_POINTS },
  // Describing by id must answer AccessPointNotFound for a deleted access point, which has no tags to match.
  { Action: 'elasticfilesystem:DescribeAccessPoints', Effect: 'Allow', Resource: ACCESS_POINTS },
  {
    Action: 'elasticfilesystem:TagResource',
    Condition: { StringEquals: { 'elasticfilesystem:CreateAction': 'CreateAccessPoint', 'aws:RequestTag/smig:backend': ['efs@gold'] } },
    Effect: 'Allow',
    Resource: [ACCESS_POINTS, GOLD_FILE_SYSTEM],
  },
  {
    Action: 'elasticfilesystem:TagResource',
    Condition: { StringEquals: { 'elasticfilesystem:CreateAction': 'CreateFileSystem', 'aws:RequestTag/smig:backend': ['efs@silver'] } },
    Effect: 'Allow',
    Resource: SILVER_FILE_SYSTEMS,
  },
  {
    Action: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext'],
    Condition: { StringEquals: { 'kms:ViaService': ['elasticfilesystem.eu-west-1.amazonaws.com'] } },
    Effect: 'Allow',
    Resource: inRegion('kms', 'key/*'),
  },
  {
    Action: 'iam:CreateServiceLinkedRole',
    Condition: { StringEquals: { 'iam:AWSServiceName': 'elasticfilesystem.amazonaws.com' } },
    Effect: 'Allow',
    Resource: { 'Fn::Join': ['', ['arn:', PARTITION, ':iam::', ACCOUNT, ':role/aws-service-role/elasticfilesystem.amazonaws.com/AWSServiceRoleForAmazonElasticFileSystem']] },
  },
];

/** Every statement of the role's policies, in order. */
function statementsOf(role: IConstruct): unknown[] {
  const ref = JSON.stringify([{ Ref: logicalId(role) }]);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === ref)
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as unknown[]);
}

describe('Class: FunctionGrants', () => {
  it('lets validate read and write its records in the three tables, read the backends, describe the pools\' file systems and publish events', () => {
    // Prepare
    const fn = stack.lambdas.forStep(Step.VALIDATE);

    // Assess: DescribeFileSystems on "*" lists the file-system backend's file systems (merged with X-Ray's "*").
    expect(statementsOf(fn.role!)).toEqual([
      { Action: ['elasticfilesystem:DescribeFileSystems', ...X_RAY], Effect: 'Allow', Resource: '*' },
      ownLogs(fn),
      { Action: STORE, Effect: 'Allow', Resource: [table('catalog'), table('migrations'), table('shares')] },
      readBackends,
      { Action: 'elasticfilesystem:DescribeFileSystems', Effect: 'Allow', Resource: GOLD_FILE_SYSTEM },
      putEvents(),
    ]);
  });

  it('lets prepare-destination create instances on both backends and register the migration\'s copy task definition, passing its roles to ECS tasks only', () => {
    // Prepare
    const fn = stack.lambdas.forStep(Step.PREPARE_DESTINATION);
    const taskDefinition = stack.copyTask.taskDefinition;

    // Assess
    expect(statementsOf(fn.role!)).toEqual([
      { Action: [...NETWORK_INTERFACES, 'ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'elasticfilesystem:DescribeFileSystems', ...X_RAY], Effect: 'Allow', Resource: '*' },
      ownLogs(fn),
      { Action: STORE, Effect: 'Allow', Resource: [table('catalog'), table('migrations'), table('shares')] },
      readBackends,
      ...instancesOnBothBackends(),
      putEvents(),
      {
        Action: 'ecs:TagResource',
        Condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
        Effect: 'Allow',
        Resource: inStackRegion('ecs', `task-definition/${taskDefinition.family}-*:*`),
      },
      {
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        Effect: 'Allow',
        Resource: [getAtt(taskDefinition.executionRole!), getAtt(taskDefinition.taskRole)],
      },
    ]);
  });

  it('lets the API use its stores (a share\'s migrations and the share lists by their indexes only, a partitioned copy\'s progress), pools, instances and access rules, executions, copy tasks and schedules', () => {
    // Prepare
    const fn = stack.api.handler;
    const index = (id: 'shares' | 'migrations', name: string) => ({ 'Fn::Join': ['', [table(id), `/index/${name}`]] });

    // Assess
    expect(statementsOf(fn.role!)).toEqual([
      { Action: [...NETWORK_INTERFACES, 'elasticfilesystem:DescribeFileSystems', ...X_RAY], Effect: 'Allow', Resource: '*' },
      ownLogs(fn),
      // The shares with snapshots, and a page in an order no index serves, are read by BatchGetItem.
      { Action: ['dynamodb:BatchGetItem', ...STORE], Effect: 'Allow', Resource: table('shares') },
      {
        Action: 'dynamodb:Query',
        Effect: 'Allow',
        Resource: [index('migrations', 'by-share'), ...SHARES_TABLE.indexes.map((i) => i.name).sort().map((name) => index('shares', name))],
      },
      { Action: STORE, Effect: 'Allow', Resource: [table('catalog'), table('migrations')] },
      // A partitioned copy's plan and reports, read for its progress.
      { Action: ['dynamodb:GetItem', 'dynamodb:Query'], Effect: 'Allow', Resource: table('partitions') },
      readBackends,
      // The pools part comes first: gold's file system is described before anything is created.
      ...((([create, tagged, named, ...rest]) => [named, create, tagged, ...rest])(instancesOnBothBackends())),
      {
        Action: ['states:SendTaskFailure', 'states:SendTaskSuccess', 'states:StartExecution'],
        Effect: 'Allow',
        Resource: inStackRegion('states', 'stateMachine:ShareMigration-migration'),
      },
      putEvents(),
      { Action: 'ecs:StopTask', Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', PARTITION, ':ecs:', REGION, ':', ACCOUNT, ':task/', { Ref: logicalId(stack.copyTask.cluster) }, '/*']] } },
      {
        Action: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:UpdateSchedule'],
        Effect: 'Allow',
        Resource: inStackRegion('scheduler', 'schedule/ShareMigration-migrations/*'),
      },
      { Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }, Effect: 'Allow', Resource: getAtt(stack.schedules.role) },
    ]);
  });

  it('lets the authorizer read the token secret\'s value, and nothing else of it', () => {
    // Prepare
    const fn = stack.api.authorizerFunction;

    // Assess
    expect(statementsOf(fn.role!)).toEqual([
      { Action: X_RAY, Effect: 'Allow', Resource: '*' },
      ownLogs(fn),
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: logicalId(stack.api.tokensSecret) } },
    ]);
  });

  it('lets the copy task role read cancel_requested and write progress on the migrations table, keep a partitioned copy\'s plan and reports, and mount the exports', () => {
    // Assess
    const client = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientRootAccess', 'elasticfilesystem:ClientWrite'];
    expect(statementsOf(stack.copyTask.taskDefinition.taskRole)).toEqual([
      { Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: table('migrations') },
      { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], Effect: 'Allow', Resource: table('partitions') },
      { Action: client, Effect: 'Allow', Resource: GOLD_FILE_SYSTEM },
      { Action: client, Condition: { StringEquals: { 'aws:ResourceTag/smig:backend': ['efs@silver'] } }, Effect: 'Allow', Resource: SILVER_FILE_SYSTEMS },
    ]);
  });

  it('grants nothing a file-system backend needs when only access-point backends are configured: no CreateFileSystem, EC2, KMS or service-linked role', () => {
    // Act
    const { stack: accessPointsOnly, template: accessPointsTemplate } = synthesizeStack({ backends: { backends: [sample.backends.backends[0]] } });

    // Assess
    const ref = JSON.stringify([{ Ref: logicalId(accessPointsOnly.lambdas.forStep(Step.PREPARE_DESTINATION).role!) }]);
    const actions = Object.values(accessPointsTemplate.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles) === ref)
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
      .flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => /^(ec2|kms|iam:CreateServiceLinkedRole)|CreateFileSystem|MountTarget/.test(action))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(['elasticfilesystem:CreateAccessPoint', 'elasticfilesystem:TagResource']));
  });

  it('grants no EFS action at all without backends', () => {
    // Act
    const { stack: none, template: noneTemplate } = synthesizeStack();

    // Assess
    const actions = Object.values(noneTemplate.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles) !== JSON.stringify([{ Ref: logicalId(none.copyTask.taskDefinition.taskRole) }]))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
      .flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action.startsWith('elasticfilesystem:') || action.startsWith('ec2:') || action.startsWith('kms:'))).toEqual([]);
  });
});
