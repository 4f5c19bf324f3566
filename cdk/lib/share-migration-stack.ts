import { Annotations, CfnParameter, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { parseLocalBackends } from '../../lambdas/drivers/local/config.ts';
import { CopyTask } from './copy-task.ts';
import { ADMIN_TOKEN_SHA256_PATTERN, ManilaApi } from './manila-api.ts';
import { CompositionEnv } from './migration-function.ts';
import { MigrationLambdas } from './migration-lambdas.ts';
import { MigrationSchedules } from './migration-schedules.ts';
import { MigrationTables } from './migration-tables.ts';
import { MigrationWorkflow } from './migration-workflow.ts';

/** The CloudFormation stack name of share-migration. */
export const STACK_NAME = 'ShareMigration';

/**
 * The CDK context the stack reads (`cdk synth -c key=value`, or cdk.json). Neither is needed to synth.
 *
 * - `adminTokenSha256`: the SHA-256 hex (lower case) of the admin token that callers send as
 *   X-Auth-Token, e.g. `-c adminTokenSha256=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)`.
 *   Without it the template takes it as the NoEcho parameter `AdminTokenSha256` at deploy
 *   (`cdk deploy --parameters AdminTokenSha256=...`).
 * - `backends`: the storage backends as SMIG_BACKENDS, JSON `{ "backends": [...] }` (a string on the
 *   command line, or an object in cdk.json), checked at synth. Without it: `{"backends":[]}`.
 */
export const ContextKey = {
  ADMIN_TOKEN_SHA256: 'adminTokenSha256',
  BACKENDS: 'backends',
} as const;

/** The template parameter that carries the admin token's SHA-256 when the context does not. */
export const ADMIN_TOKEN_SHA256_PARAMETER = 'AdminTokenSha256';

/** SMIG_BACKENDS when the context gives no `backends`. */
export const NO_BACKENDS = '{"backends":[]}';

export interface ShareMigrationStackProps extends StackProps {
  /**
   * The VPC the copy tasks run in; it must reach the share exports.
   * @default - a new VPC (see CopyTask)
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
   * How API Gateway authenticates callers before the API function runs.
   * @default apigateway.AuthorizationType.NONE - the API function verifies Manila's X-Auth-Token
   * header itself (see ManilaApiProps.authorizationType); a Lambda TOKEN authorizer comes later.
   */
  readonly apiAuthorizationType?: apigateway.AuthorizationType;
}

/** share-migration on AWS: tables, step Lambdas, the copy task, the workflow, schedules and the API, wired together. */
export class ShareMigrationStack extends Stack {
  readonly tables: MigrationTables;
  readonly lambdas: MigrationLambdas;
  readonly copyTask: CopyTask;
  readonly workflow: MigrationWorkflow;
  readonly api: ManilaApi;
  readonly schedules: MigrationSchedules;

  constructor(scope: Construct, id: string, props: ShareMigrationStackProps = {}) {
    super(scope, id, props);
    const stepTimeout = props.stepTimeout ?? Duration.minutes(5);
    const adminTokenSha256 = this.adminTokenSha256();
    const backends = this.backends();

    this.tables = new MigrationTables(this, 'Tables');
    this.lambdas = new MigrationLambdas(this, 'Steps', {
      tables: this.tables,
      timeout: stepTimeout,
      // lambdas/composition/aws.ts builds every adapter in every function: the steps need the
      // backends (drivers), and it refuses to start without the admin token hash.
      environment: {
        [CompositionEnv.BACKENDS]: backends,
        [CompositionEnv.ADMIN_TOKEN_SHA256]: adminTokenSha256,
      },
    });
    this.copyTask = new CopyTask(this, 'CopyTask', { tables: this.tables, vpc: props.vpc, image: props.copyImage });
    this.workflow = new MigrationWorkflow(this, 'Workflow', {
      stepFunctions: this.lambdas.byStep,
      stepTaskTimeout: stepTimeout.plus(Duration.minutes(1)),
      copyCluster: this.copyTask.cluster,
      copyContainer: this.copyTask.container,
      copySecurityGroups: [this.copyTask.securityGroup],
      copySubnets: this.copyTask.subnets,
    });
    // The ARN built from the state machine's name, not the resource's: see MigrationWorkflow.stateMachineArn.
    this.lambdas.addEnvironment(CompositionEnv.STATE_MACHINE_ARN, this.workflow.stateMachineArn);
    // Scheduled migrations: EventBridge Scheduler starts the state machine; the API creates the schedules.
    this.schedules = new MigrationSchedules(this, 'Schedules', { stateMachineArn: this.workflow.stateMachineArn });
    this.api = new ManilaApi(this, 'Api', {
      tables: this.tables,
      stateMachine: this.workflow.stateMachine,
      copyCluster: this.copyTask.cluster,
      adminTokenSha256,
      environment: { [CompositionEnv.BACKENDS]: backends, ...this.schedules.environment },
      authorizationType: props.apiAuthorizationType,
    });
    this.schedules.grantManageSchedules(this.api.handler);
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

  /** SMIG_BACKENDS: the context value, checked as the functions will parse it, or NO_BACKENDS. */
  private backends(): string {
    const fromContext: unknown = this.node.tryGetContext(ContextKey.BACKENDS);
    if (fromContext === undefined) {
      Annotations.of(this).addWarningV2(
        'share-migration:no-backends',
        `No context ${ContextKey.BACKENDS}: SMIG_BACKENDS is ${NO_BACKENDS}, so the deployed API lists no pools and can migrate nothing; ` +
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
    // The same check the functions make at start (lambdas/composition/aws.ts), made here instead.
    parseLocalBackends(document, { source: `context ${ContextKey.BACKENDS}`, baseDir: '/mnt' });
    return JSON.stringify(document);
  }
}
