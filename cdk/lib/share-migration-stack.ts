import { parseQuotaDefaults, QUOTA_DEFAULTS_ENV } from '../../lambdas/core/quotas/quota-model.ts';
import { Annotations, CfnOutput, CfnParameter, Duration, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { StackContext } from './stack-context.ts';
import type { Construct } from 'constructs';
import { parseEfsBackends, type ResolvedEfsBackendConfig } from '../../lambdas/drivers/efs/config.ts';
import { checkDeployableBackends } from '../../lambdas/composition/aws-backends.ts';
import { AUTHORIZER_FUNCTION, FUNCTION_PERMISSIONS } from '../../lambdas/composition/function-permissions.ts';
import { BackendParameters } from './backend-parameters.ts';
import { COPY_CONTAINER_NAME, CopyTask } from './copy-task.ts';
import { FunctionGrants } from './function-grants.ts';
import { ADMIN_TOKEN_SHA256_PATTERN, ManilaApi } from './manila-api.ts';
import { MigrationEvents } from './migration-events.ts';
import { MigrationLambdas } from './migration-lambdas.ts';
import { MigrationMonitoring } from './migration-monitoring.ts';
import { MigrationSchedules } from './migration-schedules.ts';
import { MigrationTables } from './migration-tables.ts';
import { MigrationWorkflow } from './migration-workflow.ts';
import { acknowledgeStackFindings } from './nag-acknowledgments.ts';
import { OperationsKey } from './operations-key.ts';

/** The CloudFormation stack name of share-migration. */
export const STACK_NAME = 'ShareMigration';

/**
 * The CDK context the stack reads (`cdk synth -c key=value`, cdk.json, or cdk.context.json: see
 * cdk.context.sample.json). None is needed to synth.
 *
 * - `adminTokenSha256`: the SHA-256 hex (lower case) of the admin token that callers send as
 *   X-Auth-Token, e.g. `-c adminTokenSha256=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)`.
 *   Without it the template takes it as the NoEcho parameter `AdminTokenSha256` at deploy
 *   (`cdk deploy --parameters AdminTokenSha256=...`).
 * - `backends`: the storage backends, JSON `{ "backends": [...] }` (a string on the command line, or an
 *   object in cdk.json), checked at synth and stored as one SSM parameter per backend
 *   (BackendParameters), which the functions with a driver read at their start. Only `"kind": "efs"`
 *   entries: a local-folder backend fails synth (the functions mount no folders; those are for
 *   `npm start`). Without it: no backend.
 * - `vpcId`, `subnetIds`, `availabilityZones`: an existing VPC for the copy tasks, taken as given
 *   (Vpc.fromVpcAttributes: no lookup, so synth stays offline): the private subnets with a route to the
 *   exports and to AWS APIs, and their zones, as JSON arrays or comma-separated strings. Without
 *   `vpcId`: a new VPC.
 * - `tokensSecretArn`: an existing Secrets Manager secret of hashed API tokens (`{"tokens":[...]}`).
 *   Without it: the stack creates one holding no tokens.
 * - `keystoneUrl`, `keystoneCredentialsSecretArn`: an existing Keystone (its https auth_url) whose tokens
 *   the API accepts too, roles mapped to Manila's policy, and the secret of this service's credentials
 *   for it (a clouds.yaml `auth` section, JSON). Both or neither. Without them: the hashed tokens only.
 * - `alarmEmail`: an address subscribed to the alarm topic. Without it: no subscription.
 * - `apiGatewayCloudWatchRole`: whether the stack sets API Gateway's CloudWatch Logs role, the account
 *   setting (per region) the API's logging needs: a role it creates, kept when the stack is deleted.
 *   `false` leaves the account's setting alone (it must name a role already). Without it: `true`.
 * - `copySpot`: `true` runs copy passes on Fargate Spot (about 70% cheaper; an interruption is retried and
 *   the pass resumes). Without it: `false`, Fargate on-demand.
 */
export const ContextKey = {
  ADMIN_TOKEN_SHA256: 'adminTokenSha256',
  BACKENDS: 'backends',
  VPC_ID: 'vpcId',
  SUBNET_IDS: 'subnetIds',
  AVAILABILITY_ZONES: 'availabilityZones',
  TOKENS_SECRET_ARN: 'tokensSecretArn',
  KEYSTONE_URL: 'keystoneUrl',
  KEYSTONE_CREDENTIALS_SECRET_ARN: 'keystoneCredentialsSecretArn',
  ALARM_EMAIL: 'alarmEmail',
  API_GATEWAY_CLOUDWATCH_ROLE: 'apiGatewayCloudWatchRole',
  COPY_SPOT: 'copySpot',
  /** The security groups of the EFS backends' mount targets: the copy tasks are let in on NFS (2049). */
  EFS_SECURITY_GROUP_IDS: 'efsSecurityGroupIds',
  /** The quotas of a project without its own (a JSON object of limits, as SMIG_QUOTA_DEFAULTS at home). @default - unlimited */
  QUOTA_DEFAULTS: 'quotaDefaults',
} as const;

/** The template parameter that carries the admin token's SHA-256 when the context does not. */
export const ADMIN_TOKEN_SHA256_PARAMETER = 'AdminTokenSha256';

/** The backends when the context gives none. */
export const NO_BACKENDS: { readonly backends: readonly unknown[] } = { backends: [] };

export interface ShareMigrationStackProps extends StackProps {
  /**
   * The VPC the copy tasks run in; it must reach the share exports.
   * @default - the context's `vpcId`, `subnetIds` and `availabilityZones`, else a new VPC (see CopyTask)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The copy task's container image.
   * @default - built from copy-task/Dockerfile with the repository root as context
   */
  readonly copyImage?: ecs.ContainerImage;
  /**
   * How long one step Lambda may run; each workflow task gets a minute more.
   * @default Duration.minutes(5)
   */
  readonly stepTimeout?: Duration;
  /**
   * The EventBridge bus task_state changes are published on.
   * @default 'share-migration'
   */
  readonly eventBusName?: string;
}

/**
 * share-migration on AWS: tables, step Lambdas, the copy task, the workflow, schedules, the API, the
 * event bus and the alarms, wired together.
 */
export class ShareMigrationStack extends Stack {
  readonly operationsKey: OperationsKey;
  readonly events: MigrationEvents;
  readonly tables: MigrationTables;
  readonly lambdas: MigrationLambdas;
  /** The backends, one SSM parameter each. */
  readonly backendParameters: BackendParameters;
  readonly copyTask: CopyTask;
  readonly workflow: MigrationWorkflow;
  readonly api: ManilaApi;
  readonly schedules: MigrationSchedules;
  readonly monitoring: MigrationMonitoring;
  private readonly context: StackContext;

  constructor(scope: Construct, id: string, props: ShareMigrationStackProps = {}) {
    super(scope, id, props);
    this.context = new StackContext(this);
    const stepTimeout = props.stepTimeout ?? Duration.minutes(5);
    const adminTokenSha256 = this.adminTokenSha256();
    const backends = this.backends();
    const efsBackends = parseEfsBackends(backends, { defaultRegion: Token.isUnresolved(this.region) ? undefined : this.region });

    this.operationsKey = new OperationsKey(this, 'OperationsKey');
    this.events = new MigrationEvents(this, 'Events', { eventBusName: props.eventBusName });
    this.tables = new MigrationTables(this, 'Tables');
    this.backendParameters = new BackendParameters(this, 'Backends', { document: backends });
    this.lambdas = new MigrationLambdas(this, 'Steps', { tables: this.tables, timeout: stepTimeout });
    this.copyTask = new CopyTask(this, 'CopyTask', { tables: this.tables, vpc: props.vpc ?? this.vpcFromContext(), image: props.copyImage });
    if (this.copyTask.vpc instanceof ec2.Vpc) {
      // The VPC this stack made: log its rejected traffic, as a network owner does for one you bring.
      this.copyTask.vpc.addFlowLog('FlowLogs', {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(this.operationsKey.logGroup(this, 'VpcFlowLogs', logs.RetentionDays.ONE_MONTH)),
        trafficType: ec2.FlowLogTrafficType.REJECT,
      });
    }
    this.allowCopyTasksIntoMountTargets();
    this.grantCopyTasksEfsAccess(efsBackends);
    const copyOnSpot = this.context.boolean(ContextKey.COPY_SPOT, false);
    if (copyOnSpot) this.copyTask.cluster.enableFargateCapacityProviders();
    this.workflow = new MigrationWorkflow(this, 'Workflow', {
      stepFunctions: this.lambdas.byStep,
      stepTaskTimeout: stepTimeout.plus(Duration.minutes(1)),
      copyCluster: this.copyTask.cluster,
      copyContainer: this.copyTask.container,
      copySecurityGroups: [this.copyTask.securityGroup],
      copySubnets: this.copyTask.subnets,
      copyOnSpot,
      logGroup: this.operationsKey.logGroup(this, 'WorkflowLogs', logs.RetentionDays.THREE_MONTHS),
    });
    // The workflow runs whichever revision of the copy task definition the execution names (prepare
    // destination registers one per migration).
    iam.Grant.addToPrincipal({
      grantee: this.workflow.stateMachine,
      actions: ['ecs:RunTask'],
      // The migrations' own revisions; the stack's revision (run when no mount needs a volume) is granted by the copy states.
      resourceArns: [this.copyTask.migrationRevisionsArn()],
      conditions: { ArnEquals: { 'ecs:cluster': this.copyTask.cluster.clusterArn } },
    });
    // Scheduled migrations: EventBridge Scheduler starts the state machine; the API creates the schedules.
    this.schedules = new MigrationSchedules(this, 'Schedules', { stateMachineArn: this.workflow.stateMachineArn });
    this.api = new ManilaApi(this, 'Api', {
      tables: this.tables,
      stateMachine: this.workflow.stateMachine,
      copyCluster: this.copyTask.cluster,
      adminTokenSha256,
      tokensSecret: this.context.secret(ContextKey.TOKENS_SECRET_ARN, 'TokensSecret'),
      ...this.keystoneFromContext(),
      accessLogGroup: this.operationsKey.logGroup(this, 'ApiAccessLogs', logs.RetentionDays.ONE_YEAR),
      cloudWatchRole: this.context.boolean(ContextKey.API_GATEWAY_CLOUDWATCH_ROLE, true),
      environment: this.quotaDefaultsEnvironment(),
    });
    this.grantFunctions(efsBackends);

    this.monitoring = new MigrationMonitoring(this, 'Monitoring', {
      stateMachine: this.workflow.stateMachine,
      executionEnded: this.lambdas.executionEnded,
      copyCluster: this.copyTask.cluster,
      copyContainerName: COPY_CONTAINER_NAME,
      authorizer: this.api.authorizerFunction,
      topicKey: this.operationsKey.key,
      failureEventBus: this.events.bus,
      alarmEmail: this.context.string(ContextKey.ALARM_EMAIL),
    });
    acknowledgeStackFindings(this);

    // What the README's "Deploy on AWS" steps use after `cdk deploy`.
    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'Manila v2 API base URL: manila --bypass-url <ApiUrl>v2' });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn, description: 'Start migrations from the console or aws stepfunctions start-execution' });
    new CfnOutput(this, 'TokensSecretArn', { value: this.api.tokensSecret.secretArn, description: 'Hashed API tokens: {"tokens":[{"sha256","role","project_id","name"}]}' });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName, description: 'task_state change events' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Subscribe to the alarms' });
  }

  /**
   * The existing VPC the context names, taken as given so that synth needs no lookup (and no
   * credentials); undefined without `vpcId`, for CopyTask's new VPC.
   */
  private vpcFromContext(): ec2.IVpc | undefined {
    const vpcId = this.context.string(ContextKey.VPC_ID);
    const subnetIds = this.context.list(ContextKey.SUBNET_IDS);
    const availabilityZones = this.context.list(ContextKey.AVAILABILITY_ZONES);
    if (vpcId === undefined) {
      if (subnetIds.length > 0 || availabilityZones.length > 0) {
        throw new Error(`Context ${ContextKey.SUBNET_IDS} and ${ContextKey.AVAILABILITY_ZONES} go with ${ContextKey.VPC_ID}: give -c ${ContextKey.VPC_ID}=vpc-... too`);
      }
      return undefined;
    }
    const usage = `-c ${ContextKey.VPC_ID}=vpc-0123456789abcdef0 -c ${ContextKey.SUBNET_IDS}=subnet-aaa,subnet-bbb -c ${ContextKey.AVAILABILITY_ZONES}=eu-west-1a,eu-west-1b`;
    if (!/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) throw new Error(`Context ${ContextKey.VPC_ID} must be a VPC id (vpc-...): ${usage}`);
    if (subnetIds.length === 0 || availabilityZones.length === 0) {
      throw new Error(`Context ${ContextKey.VPC_ID} needs the copy tasks' private subnets and their zones, as no lookup is made: ${usage}`);
    }
    const badSubnet = subnetIds.find((subnet) => !/^subnet-[0-9a-f]{8,17}$/.test(subnet));
    if (badSubnet !== undefined) throw new Error(`Context ${ContextKey.SUBNET_IDS}: "${badSubnet}" is not a subnet id (subnet-...): ${usage}`);
    if (subnetIds.length % availabilityZones.length !== 0) {
      throw new Error(
        `Context ${ContextKey.SUBNET_IDS} must list the same number of subnets for each of the ${availabilityZones.length} ${ContextKey.AVAILABILITY_ZONES}, ` +
          `zone by zone in the same order (got ${subnetIds.length} subnets)`,
      );
    }
    // Private subnets with egress: where CopyTask runs its tasks by default.
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', { vpcId, availabilityZones, privateSubnetIds: subnetIds });
    Validations.of(vpc).acknowledge({
      id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      reason: 'The copy tasks are only placed in the subnets; nothing in the stack adds routes or endpoints to their route tables.',
    });
    return vpc;
  }

  /**
   * The port that gives the copy node connectivity to every backend (the blueprint asks each driver to
   * provide one): NFS from the copy tasks' security group into each EFS backend's mount-target group.
   */
  private allowCopyTasksIntoMountTargets(): void {
    for (const [index, groupId] of this.context.list(ContextKey.EFS_SECURITY_GROUP_IDS).entries()) {
      if (!/^sg-[0-9a-f]{8,17}$/.test(groupId)) {
        throw new Error(`Context ${ContextKey.EFS_SECURITY_GROUP_IDS}: "${groupId}" is not a security group id (sg-...): -c ${ContextKey.EFS_SECURITY_GROUP_IDS}=sg-aaa,sg-bbb`);
      }
      const mountTargets = ec2.SecurityGroup.fromSecurityGroupId(this, `EfsMountTargets${index}`, groupId, { mutable: true });
      mountTargets.addIngressRule(this.copyTask.securityGroup, ec2.Port.tcp(2049), 'share-migration copy tasks mount the exports over NFS');
    }
  }

  /**
   * Every function gets exactly what lambdas/composition/function-permissions.ts declares for it, on this
   * stack's resources, and the environment its composition reads: the steps, the API, the authorizer.
   */
  private grantFunctions(efsBackends: readonly ResolvedEfsBackendConfig[]): void {
    const grants = new FunctionGrants(this, {
      tables: this.tables,
      // The ARN built from the state machine's name, not the resource's: see MigrationWorkflow.stateMachineArn.
      stateMachineArn: this.workflow.stateMachineArn,
      eventBus: this.events.bus,
      copyTask: this.copyTask,
      schedules: this.schedules,
      tokensSecret: this.api.tokensSecret,
      ...(this.api.keystoneCredentialsSecret ? { keystoneCredentialsSecret: this.api.keystoneCredentialsSecret } : {}),
      backendParameters: this.backendParameters,
      efsBackends,
    });
    for (const fn of [...this.lambdas.all, this.api.handler]) grants.wire(fn, fn.permissions);
    grants.wire(this.api.authorizerFunction, FUNCTION_PERMISSIONS[AUTHORIZER_FUNCTION]);
  }

  /**
   * The copy task mounts both instances with IAM authorization: it may mount, write (the destination) and
   * act as root (to keep owners) on the EFS backends' file systems: those named in the backends, and the
   * ones file-system backends create (tagged with their backend, their ids known only at run time).
   */
  private grantCopyTasksEfsAccess(efs: readonly ResolvedEfsBackendConfig[]): void {
    if (efs.length === 0) return;
    const actions = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'];
    const arnOf = (region: string, id: string) => this.formatArn({ service: 'elasticfilesystem', region, resource: 'file-system', resourceName: id });
    const named = [...new Set(efs.flatMap((b) => [b.file_system_id, ...b.pools.map((p) => p.file_system_id)].flatMap((id) => (id ? [arnOf(b.region, id)] : []))))];
    const role = this.copyTask.taskDefinition.taskRole;
    if (named.length > 0) role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: named }));
    const creating = efs.filter((b) => b.mode === 'file-system');
    if (creating.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions,
        resources: [...new Set(creating.map((b) => arnOf(b.region, '*')))],
        conditions: { StringEquals: { 'aws:ResourceTag/smig:backend': creating.map((b) => `${b.host}@${b.backend}`) } },
      }));
      for (const region of new Set(creating.map((b) => b.region))) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticfilesystem:${region}:<AWS::AccountId>:file-system/*]`,
          reason: 'File systems a file-system backend creates per share instance have ids known only at run time; the statement is limited to those tagged with this stack\'s backends.',
        });
      }
    }
  }

  /** The existing Keystone the context names, if any. */
  private keystoneFromContext(): { keystone?: { url: string; credentialsSecret: secretsmanager.ISecret } } {
    const url = this.context.string(ContextKey.KEYSTONE_URL);
    const credentialsSecret = this.context.secret(ContextKey.KEYSTONE_CREDENTIALS_SECRET_ARN, 'KeystoneCredentialsSecret');
    if (url === undefined && credentialsSecret === undefined) return {};
    if (url === undefined || credentialsSecret === undefined) {
      throw new Error(`Context ${ContextKey.KEYSTONE_URL} and ${ContextKey.KEYSTONE_CREDENTIALS_SECRET_ARN} go together: give both (Keystone's auth_url and the secret of the service's credentials), or neither`);
    }
    return { keystone: { url, credentialsSecret } };
  }

  /** SMIG_QUOTA_DEFAULTS for the API function from the context's quotaDefaults, checked as the function will read it. */
  private quotaDefaultsEnvironment(): Record<string, string> {
    const value: unknown = this.node.tryGetContext(ContextKey.QUOTA_DEFAULTS);
    if (value === undefined || value === '') return {};
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    parseQuotaDefaults(text, undefined, `Context ${ContextKey.QUOTA_DEFAULTS}`);
    return { [QUOTA_DEFAULTS_ENV]: text };
  }

  /** The context value, checked, or else the NoEcho parameter: synth needs no value. */
  private adminTokenSha256(): string {
    const fromContext: unknown = this.node.tryGetContext(ContextKey.ADMIN_TOKEN_SHA256);
    if (fromContext !== undefined) {
      if (typeof fromContext !== 'string' || !ADMIN_TOKEN_SHA256_PATTERN.test(fromContext)) {
        throw new Error(
          `Context ${ContextKey.ADMIN_TOKEN_SHA256} must be the 64 lower-case hex digits of the admin token's SHA-256: ` +
            `-c ${ContextKey.ADMIN_TOKEN_SHA256}=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)`,
        );
      }
      return fromContext;
    }
    return new CfnParameter(this, ADMIN_TOKEN_SHA256_PARAMETER, {
      type: 'String',
      noEcho: true,
      allowedPattern: ADMIN_TOKEN_SHA256_PATTERN.source,
      constraintDescription: 'the 64 lower-case hex digits of the SHA-256 of the admin token',
      description: 'SHA-256 hex of the admin token that Manila clients send as X-Auth-Token (printf %s "$TOKEN" | sha256sum)',
    }).valueAsString;
  }

  /** The backends: the context value, checked as the functions will parse it, or NO_BACKENDS. */
  private backends(): { readonly backends: readonly unknown[] } {
    const fromContext: unknown = this.node.tryGetContext(ContextKey.BACKENDS);
    if (fromContext === undefined) {
      Annotations.of(this).addWarningV2(
        'share-migration:no-backends',
        `No context ${ContextKey.BACKENDS}: no backend is deployed, so the deployed API lists no pools and can migrate nothing; ` +
          `give -c ${ContextKey.BACKENDS}='{"backends":[...]}'`,
      );
      return NO_BACKENDS;
    }
    let document: unknown = fromContext;
    if (typeof fromContext === 'string') {
      try {
        document = JSON.parse(fromContext);
      } catch (error) {
        throw new Error(`Context ${ContextKey.BACKENDS} is not valid JSON (${(error as Error).message}); give {"backends":[...]}`);
      }
    }
    // The same checks the functions make at start (lambdas/composition/factories/efs-drivers.ts), made here first.
    const source = `context ${ContextKey.BACKENDS}`;
    const entries = (document as { backends?: unknown } | null)?.backends;
    if (!Array.isArray(entries) || entries.length === 0) {
      throw new Error(`${source}: "backends" must be a non-empty array of "kind": "efs" backends; leave the context out to deploy none`);
    }
    // Only EFS backends work on AWS: a local-folder entry fails here, saying which and what to do.
    checkDeployableBackends(document, source);
    parseEfsBackends(document, { source, defaultRegion: Token.isUnresolved(this.region) ? undefined : this.region });
    return document as { readonly backends: readonly unknown[] };
  }
}
