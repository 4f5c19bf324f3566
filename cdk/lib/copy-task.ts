import { existsSync, readFileSync } from 'node:fs';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { migrationFamilyPrefix } from '../../lambdas/adapters/ecs/copy-task-family.ts';
import { COPY_TASK_PERMISSIONS } from '../../lambdas/composition/function-permissions.ts';
import { CopyTaskEnv } from '../../lambdas/core/workflow.ts';
import type { MigrationTables } from './migration-tables.ts';
import { REPO_ROOT, repoPath } from './paths.ts';

/** The name of the copy container: the workflow's container overrides address it by this name. */
export const COPY_CONTAINER_NAME = 'copy';

/** The copy image's Dockerfile, relative to its build context, the repository root. */
export const COPY_DOCKERFILE = 'copy-task/Dockerfile';

/** Always kept out of the copy image's build context (the repository root). */
export const COPY_IMAGE_EXCLUDES: readonly string[] = ['node_modules', 'cdk.out', '.data', '.git', 'test'];

/**
 * What the image asset leaves out of the build context: the Dockerfile's own ignore file (BuildKit's
 * `<Dockerfile>.dockerignore`, which the CDK does not read) and then COPY_IMAGE_EXCLUDES. Staging only
 * what the image copies keeps the asset hash, and so the image, unchanged when other code changes.
 */
export function copyImageExcludes(): string[] {
  const ignoreFile = repoPath(`${COPY_DOCKERFILE}.dockerignore`);
  const patterns = existsSync(ignoreFile)
    ? readFileSync(ignoreFile, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'))
    : [];
  return [...patterns, ...COPY_IMAGE_EXCLUDES];
}

export interface CopyTaskProps {
  /**
   * The tables: the migrations table's name goes into the container environment; the task reads its
   * migration record there (cancel_requested) and writes its progress and task ARN. No other table.
   */
  readonly tables: MigrationTables;
  /**
   * The VPC the copy tasks run in; it must reach the share exports to mount them.
   * @default - a new VPC over 2 AZs with public and private subnets, one NAT gateway and a DynamoDB gateway endpoint
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Where the copy tasks run inside the VPC.
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * The container image.
   * @default - built from copy-task/Dockerfile with the repository root as context
   */
  readonly image?: ecs.ContainerImage;
  /**
   * vCPU units of one copy task.
   * @default 1024
   */
  readonly cpu?: number;
  /**
   * Memory of one copy task, in MiB.
   * @default 2048
   */
  readonly memoryLimitMiB?: number;
  /**
   * How long the copy logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The copy engine as a Fargate task: one run per copy pass, started by the workflow with the job in
 * container environment overrides (`CopyTaskEnv`). It checks its migration record for a cancel and
 * writes its progress there, in the migrations table.
 */
export class CopyTask extends Construct {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly subnets: ec2.SubnetSelection;

  constructor(scope: Construct, id: string, props: CopyTaskProps) {
    super(scope, id);
    this.vpc = props.vpc ?? this.createVpc();
    this.subnets = props.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: this.vpc });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'share-migration copy tasks: no inbound, outbound to the share exports and AWS APIs',
      allowAllOutbound: true,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryLimitMiB ?? 2048,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const migrations = props.tables.table('migrations');
    this.container = this.taskDefinition.addContainer(COPY_CONTAINER_NAME, {
      containerName: COPY_CONTAINER_NAME,
      image: props.image ?? CopyTask.imageFromRepository(),
      essential: true,
      // The copy task checkpoints on SIGTERM; give it time before SIGKILL.
      stopTimeout: Duration.seconds(60),
      // The copy writes only under the mounted exports (temp names beside the final ones): the image itself stays read-only.
      readonlyRootFilesystem: true,
      environment: { [CopyTaskEnv.MIGRATIONS_TABLE]: migrations.tableName, [CopyTaskEnv.PARTITIONS_TABLE]: props.tables.table('partitions').tableName },
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: COPY_CONTAINER_NAME,
        logGroup: new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH }),
      }),
    });
    // What the container's progress sink sends (COPY_TASK_PERMISSIONS): GetItem and UpdateItem on its migration's record.
    props.tables.grantAccess(this.taskDefinition.taskRole, COPY_TASK_PERMISSIONS.tables ?? {});
  }

  /** The image built from copy-task/Dockerfile, the repository root as build context. */
  static imageFromRepository(): ecs.ContainerImage {
    return ecs.ContainerImage.fromAsset(REPO_ROOT, {
      file: COPY_DOCKERFILE,
      exclude: copyImageExcludes(),
      platform: Platform.LINUX_AMD64,
    });
  }

  /**
   * `task-definition/<family>-*:*`: every revision of the migrations' own families, `<family>-<migration id>`
   * (lambdas/adapters/ecs/copy-task-family.ts). The stack's own revision is not among them.
   */
  migrationRevisionsArn(): string {
    return Stack.of(this).formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: `${migrationFamilyPrefix(this.taskDefinition.family)}*:*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  /**
   * What registering a migration's revision takes (lambdas/adapters/ecs/ecs-copy-task-definitions.ts):
   * looking its family up, reading the stack's revision and registering a new one (none has resource-level
   * permissions), tagging it with the migration at creation, and passing the copy task's roles on to it.
   */
  grantRegisterRevisions(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], resourceArns: ['*'] });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['ecs:TagResource'],
      resourceArns: [this.migrationRevisionsArn()],
      conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
    });
    this.taskDefinition.taskRole.grantPassRole(grantee.grantPrincipal);
    this.taskDefinition.executionRole?.grantPassRole(grantee.grantPrincipal);
  }

  /** Deregistering a migration's revision when it ends (no resource-level permission exists for it). */
  grantDeregisterRevisions(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['ecs:DeregisterTaskDefinition'], resourceArns: ['*'] });
  }

  private createVpc(): ec2.IVpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
    });
    vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
    return vpc;
  }
}
