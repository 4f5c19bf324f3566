/**
 * Deploys the synthesized template into moto, as CloudFormation would, for the resources the code
 * talks to: IAM roles with every policy the template gives them, the DynamoDB tables, the event bus, the
 * token secret, the schedule group and dead-letter queue, the ECS cluster and copy task definition, the
 * SSM parameters and the state machine. The rest (log groups, alarms, the API itself) have physical ids
 * but nothing in moto: the rehearsal plays those parts itself (rehearsal/api-gateway, lambda, ...).
 */
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand, type RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AttachRolePolicyCommand, CreatePolicyCommand, CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { AwsClientConfig } from './admin.ts';
import type { PolicyDocument } from '../iam/evaluator.ts';
import type { RehearsalStack } from './rehearsal-stack.ts';

/** A role as deployed: its name and ARN, the template's trust policy and its policies. */
export interface DeployedRole {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The trust policy of the template (moto holds one that lets the rehearsal assume the role). */
  readonly trustPolicy: PolicyDocument;
  /** Inline policies by name, as put in moto's IAM. */
  readonly policies: ReadonlyMap<string, PolicyDocument>;
  /** Managed policies the template attaches (their documents are not evaluated; see the report). */
  readonly managedPolicyArns: readonly string[];
}

export interface Deployment {
  readonly roles: ReadonlyMap<string, DeployedRole>;
  /** The state machine's definition, resolved against the deployed resources. */
  readonly stateMachine: { readonly logicalId: string; readonly arn: string; readonly roleArn: string; readonly definition: Record<string, unknown> };
}

export interface ProvisionOptions {
  /** The principal the rehearsal acts as when it plays an AWS service (it may assume every role). */
  readonly rehearsalPrincipalArn: string;
  /**
   * Changes a role's policy documents before they are put in moto: the rehearsal's mutation test
   * removes a statement this way.
   */
  readonly editPolicy?: (roleLogicalId: string, policyName: string, document: PolicyDocument) => PolicyDocument;
}

export async function provision(stack: RehearsalStack, aws: AwsClientConfig, options: ProvisionOptions): Promise<Deployment> {
  const roles = await provisionRoles(stack, aws, options);
  await provisionTables(stack, aws);
  await provisionSimpleResources(stack, aws);
  await provisionTaskDefinitions(stack, aws);
  await putRolePolicies(stack, aws, roles, options);
  const stateMachine = await provisionStateMachine(stack, aws);
  return { roles, stateMachine };
}

async function provisionRoles(stack: RehearsalStack, aws: AwsClientConfig, options: ProvisionOptions): Promise<Map<string, MutableRole>> {
  const iam = new IAMClient(aws);
  const roles = new Map<string, MutableRole>();
  for (const [logicalId, resource] of stack.resourcesOf('AWS::IAM::Role')) {
    const properties = stack.resolve<Record<string, unknown>>(resource.Properties ?? {});
    const name = String(stack.ref(logicalId));
    const trustPolicy = properties['AssumeRolePolicyDocument'] as PolicyDocument;
    // moto cannot evaluate service principals; the template's trust policy is checked by the rehearsal
    // (rehearsal/iam) whenever it assumes the role for a service.
    const motoTrust = { Version: '2012-10-17', Statement: [{ Sid: 'RehearsalPlaysTheService', Effect: 'Allow', Principal: { AWS: options.rehearsalPrincipalArn }, Action: 'sts:AssumeRole' }] };
    const created = await iam.send(new CreateRoleCommand({ RoleName: name, Path: typeof properties['Path'] === 'string' ? properties['Path'] : undefined, AssumeRolePolicyDocument: JSON.stringify(motoTrust) }));
    const arn = created.Role!.Arn!;
    stack.deployed(logicalId, { ref: name, attributes: { Arn: arn, RoleId: created.Role!.RoleId } });
    const policies = new Map<string, PolicyDocument>();
    for (const inline of (properties['Policies'] as { PolicyName: string; PolicyDocument: PolicyDocument }[] | undefined) ?? []) {
      policies.set(inline.PolicyName, inline.PolicyDocument);
    }
    roles.set(logicalId, { logicalId, name, arn, trustPolicy, policies, managedPolicyArns: ((properties['ManagedPolicyArns'] as string[] | undefined) ?? []) });
  }
  return roles;
}

interface MutableRole extends DeployedRole {
  readonly policies: Map<string, PolicyDocument>;
}

/**
 * AWS::IAM::Policy resources go to the roles they name; then every role's inline policies go to moto.
 * AWS::IAM::ManagedPolicy resources (the CDK moves statements into them when a role's inline policies
 * outgrow IAM's size limit) are created and attached to the roles they name.
 */
async function putRolePolicies(stack: RehearsalStack, aws: AwsClientConfig, roles: Map<string, MutableRole>, options: ProvisionOptions): Promise<void> {
  const iam = new IAMClient(aws);
  const byName = new Map([...roles.values()].map((role) => [role.name, role]));
  for (const [logicalId, resource] of stack.resourcesOf('AWS::IAM::ManagedPolicy')) {
    const properties = stack.resolve<{ ManagedPolicyName?: string; Path?: string; PolicyDocument: PolicyDocument; Roles?: string[] }>(resource.Properties ?? {});
    const name = properties.ManagedPolicyName ?? stack.generatedName(logicalId, 128);
    const attachedTo = (properties.Roles ?? []).map((roleName) => {
      const role = byName.get(roleName);
      if (!role) throw new Error(`Managed policy ${logicalId} names role ${roleName}, which the template does not make`);
      return role;
    });
    const document = attachedTo.reduce((current, role) => options.editPolicy?.(role.logicalId, name, current) ?? current, properties.PolicyDocument);
    const created = await iam.send(new CreatePolicyCommand({ PolicyName: name, Path: properties.Path, PolicyDocument: JSON.stringify(document) }));
    stack.deployed(logicalId, { ref: created.Policy!.Arn });
    for (const role of attachedTo) {
      await iam.send(new AttachRolePolicyCommand({ RoleName: role.name, PolicyArn: created.Policy!.Arn }));
      (role.managedPolicyArns as string[]).push(created.Policy!.Arn!);
    }
  }
  for (const [, resource] of stack.resourcesOf('AWS::IAM::Policy')) {
    const properties = stack.resolve<{ PolicyName: string; PolicyDocument: PolicyDocument; Roles?: string[] }>(resource.Properties ?? {});
    for (const roleName of properties.Roles ?? []) {
      const role = byName.get(roleName);
      if (!role) throw new Error(`Policy ${properties.PolicyName} names role ${roleName}, which the template does not make`);
      role.policies.set(properties.PolicyName, properties.PolicyDocument);
    }
  }
  for (const role of roles.values()) {
    for (const [policyName, document] of role.policies) {
      const edited = options.editPolicy?.(role.logicalId, policyName, document) ?? document;
      role.policies.set(policyName, edited);
      await iam.send(new PutRolePolicyCommand({ RoleName: role.name, PolicyName: policyName, PolicyDocument: JSON.stringify(edited) }));
    }
  }
}

async function provisionTables(stack: RehearsalStack, aws: AwsClientConfig): Promise<void> {
  const dynamodb = new DynamoDBClient(aws);
  for (const [logicalId, resource] of stack.resourcesOf('AWS::DynamoDB::Table')) {
    const properties = stack.resolve<Record<string, unknown>>(resource.Properties ?? {});
    const name = String(stack.ref(logicalId));
    const input: CreateTableCommandInput = {
      TableName: name,
      KeySchema: properties['KeySchema'] as CreateTableCommandInput['KeySchema'],
      AttributeDefinitions: properties['AttributeDefinitions'] as CreateTableCommandInput['AttributeDefinitions'],
      GlobalSecondaryIndexes: properties['GlobalSecondaryIndexes'] as CreateTableCommandInput['GlobalSecondaryIndexes'],
      BillingMode: (properties['BillingMode'] as CreateTableCommandInput['BillingMode']) ?? 'PROVISIONED',
      ProvisionedThroughput: properties['ProvisionedThroughput'] as CreateTableCommandInput['ProvisionedThroughput'],
    };
    const created = await dynamodb.send(new CreateTableCommand(input));
    stack.deployed(logicalId, { ref: name, attributes: { Arn: created.TableDescription!.TableArn } });
  }
}

async function provisionSimpleResources(stack: RehearsalStack, aws: AwsClientConfig): Promise<void> {
  const events = new EventBridgeClient(aws);
  for (const [logicalId, resource] of stack.resourcesOf('AWS::Events::EventBus')) {
    const properties = stack.resolve<{ Name: string }>(resource.Properties ?? {});
    const created = await events.send(new CreateEventBusCommand({ Name: properties.Name }));
    stack.deployed(logicalId, { ref: properties.Name, attributes: { Arn: created.EventBusArn, Name: properties.Name } });
  }
  const secrets = new SecretsManagerClient(aws);
  for (const [logicalId, resource] of stack.resourcesOf('AWS::SecretsManager::Secret')) {
    const properties = stack.resolve<{ Name?: string; SecretString?: string; Description?: string }>(resource.Properties ?? {});
    const created = await secrets.send(new CreateSecretCommand({
      Name: properties.Name ?? stack.generatedName(logicalId, 512),
      SecretString: properties.SecretString ?? '{}',
      Description: properties.Description,
    }));
    stack.deployed(logicalId, { ref: created.ARN, attributes: { Id: created.ARN } });
  }
  const scheduler = new SchedulerClient(aws);
  for (const [logicalId, resource] of stack.resourcesOf('AWS::Scheduler::ScheduleGroup')) {
    const properties = stack.resolve<{ Name: string }>(resource.Properties ?? {});
    const created = await scheduler.send(new CreateScheduleGroupCommand({ Name: properties.Name }));
    stack.deployed(logicalId, { ref: properties.Name, attributes: { Arn: created.ScheduleGroupArn } });
  }
  const ecs = new ECSClient(aws);
  for (const [logicalId, resource] of stack.resourcesOf('AWS::ECS::Cluster')) {
    const properties = stack.resolve<{ ClusterName?: string }>(resource.Properties ?? {});
    const name = properties.ClusterName ?? String(stack.ref(logicalId));
    const created = await ecs.send(new CreateClusterCommand({ clusterName: name }));
    stack.deployed(logicalId, { ref: name, attributes: { Arn: created.cluster!.clusterArn } });
  }
  for (const [logicalId] of stack.resourcesOf('AWS::SQS::Queue')) {
    // Only the scheduler's dead-letter queue: named in schedules, never called by the code.
    const name = stack.generatedName(logicalId, 80);
    const { partition, region, account } = stack.environment;
    stack.deployed(logicalId, { ref: `https://sqs.${region}.amazonaws.com/${account}/${name}`, attributes: { Arn: `arn:${partition}:sqs:${region}:${account}:${name}`, QueueName: name } });
  }
  for (const [logicalId, resource] of stack.resourcesOf('AWS::KMS::Key')) {
    const { partition, region, account } = stack.environment;
    const keyId = `rehearsal-${logicalId.toLowerCase()}`.slice(0, 36);
    stack.deployed(logicalId, { ref: keyId, attributes: { Arn: `arn:${partition}:kms:${region}:${account}:key/${keyId}`, KeyId: keyId } });
    void resource;
  }
  const ssm = new SSMClient(aws);
  for (const [logicalId, resource] of stack.resourcesOf('AWS::SSM::Parameter')) {
    const properties = stack.resolve<{ Name?: string; Value: string; Type?: string; Tier?: string; Description?: string }>(resource.Properties ?? {});
    const name = properties.Name ?? `/${stack.generatedName(logicalId, 1000)}`;
    await ssm.send(new PutParameterCommand({ Name: name, Value: properties.Value, Type: (properties.Type as 'String') ?? 'String', Tier: properties.Tier as 'Standard' | undefined, Description: properties.Description }));
    stack.deployed(logicalId, { ref: name, attributes: { Type: properties.Type ?? 'String', Value: properties.Value } });
  }
  for (const [logicalId, resource] of stack.resourcesOf('AWS::ApiGateway::Stage')) {
    const properties = stack.resolve<{ StageName: string }>(resource.Properties ?? {});
    stack.deployed(logicalId, { ref: properties.StageName });
  }
}

/** The copy task definition as ECS registers it: CloudFormation's PascalCase properties in the API's camelCase. */
async function provisionTaskDefinitions(stack: RehearsalStack, aws: AwsClientConfig): Promise<void> {
  const ecs = new ECSClient(aws);
  for (const [logicalId, resource] of stack.resourcesOf('AWS::ECS::TaskDefinition')) {
    const properties = stack.resolve<Record<string, unknown>>(resource.Properties ?? {});
    const input = camelCaseKeys(properties) as RegisterTaskDefinitionCommandInput & { tags?: unknown };
    const tags = (properties['Tags'] as { Key: string; Value: string }[] | undefined)?.map((tag) => ({ key: tag.Key, value: tag.Value }));
    const registered = await ecs.send(new RegisterTaskDefinitionCommand({ ...input, family: String(properties['Family'] ?? stack.generatedName(logicalId, 255)), tags }));
    const arn = registered.taskDefinition!.taskDefinitionArn!;
    stack.deployed(logicalId, { ref: arn, attributes: { TaskDefinitionArn: arn } });
  }
}

async function provisionStateMachine(stack: RehearsalStack, aws: AwsClientConfig): Promise<Deployment['stateMachine']> {
  const machines = stack.resourcesOf('AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`Expected one state machine in the template, found ${machines.length}`);
  const [logicalId, resource] = machines[0]!;
  const properties = stack.resolve<Record<string, unknown>>(resource.Properties ?? {});
  let text = String(properties['DefinitionString']);
  for (const [key, value] of Object.entries((properties['DefinitionSubstitutions'] as Record<string, unknown> | undefined) ?? {})) {
    text = text.split(`\${${key}}`).join(String(value));
  }
  const roleArn = String(properties['RoleArn']);
  const name = String(properties['StateMachineName'] ?? stack.generatedName(logicalId, 80));
  const created = await new SFNClient(aws).send(new CreateStateMachineCommand({ name, definition: text, roleArn, type: 'STANDARD' }));
  const arn = created.stateMachineArn!;
  stack.deployed(logicalId, { ref: arn, attributes: { Arn: arn, Name: name } });
  return { logicalId, arn, roleArn, definition: JSON.parse(text) as Record<string, unknown> };
}

/** CloudFormation property names to the ECS API's: `ContainerDefinitions` -> `containerDefinitions`, recursively (map keys such as log options stay). */
function camelCaseKeys(value: unknown, parentKey = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => camelCaseKeys(item, parentKey));
  if (value === null || typeof value !== 'object') return value;
  const keepKeys = parentKey === 'Options' || parentKey === 'DockerLabels';
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [keepKeys ? key : key.charAt(0).toLowerCase() + key.slice(1), camelCaseKeys(item, key)]));
}
