import { Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CompositionEnv, MigrationFunction } from './migration-function.ts';
import type { MigrationTables } from './migration-tables.ts';

/** The `STEP_NAME` of the API function. */
export const API_STEP_NAME = 'api';

/** The environment variable that carries the state machine ARN into the API function. */
export const STATE_MACHINE_ARN_ENV = CompositionEnv.STATE_MACHINE_ARN;

/** What HashedTokenVerifier accepts: the lower-case hex SHA-256 of the admin token. */
export const ADMIN_TOKEN_SHA256_PATTERN = /^[0-9a-f]{64}$/;

export interface ManilaApiProps {
  readonly tables: MigrationTables;
  /** The migration workflow: the API starts executions and answers its migration_complete callback. */
  readonly stateMachine: sfn.IStateMachine;
  /** The copy tasks' cluster: migration_cancel stops the running copy task, by the task ARN it recorded. */
  readonly copyCluster: ecs.ICluster;
  /**
   * The SHA-256 hex (lower case) of the admin token. The handler checks every request's X-Auth-Token
   * against it; the token itself is never deployed. May be a token, e.g. a CfnParameter's value.
   */
  readonly adminTokenSha256: string;
  /**
   * More environment variables for the API function, next to the table names, STEP_NAME and the above.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * How API Gateway authenticates callers before the handler runs.
   * @default apigateway.AuthorizationType.NONE - the handler itself verifies Manila's X-Auth-Token
   * header (what the unmodified manila CLI sends) against `adminTokenSha256`; a Lambda TOKEN
   * authorizer on that header comes in a later issue. IAM would reject the manila CLI, which does
   * not sign requests with SigV4.
   */
  readonly authorizationType?: apigateway.AuthorizationType;
  /**
   * The deployment stage, the first segment of every URL path.
   * @default 'prod'
   */
  readonly stageName?: string;
}

/**
 * Manila's v2 share migration routes: an API Gateway REST API that proxies every method and path
 * (root `ANY` and `{proxy+}`) to the API function, lambdas/handlers/api.ts.
 */
export class ManilaApi extends Construct {
  readonly restApi: apigateway.LambdaRestApi;
  readonly handler: MigrationFunction;

  constructor(scope: Construct, id: string, props: ManilaApiProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.adminTokenSha256) && !ADMIN_TOKEN_SHA256_PATTERN.test(props.adminTokenSha256)) {
      throw new Error('ManilaApi: adminTokenSha256 must be the 64 lower-case hex digits of the admin token\'s SHA-256 (printf %s "$TOKEN" | sha256sum)');
    }
    this.handler = new MigrationFunction(this, 'Handler', {
      entry: 'lambdas/handlers/api.ts',
      stepName: API_STEP_NAME,
      tables: props.tables,
      description: 'share-migration: Manila v2 API',
      environment: {
        ...props.environment,
        [CompositionEnv.STATE_MACHINE_ARN]: props.stateMachine.stateMachineArn,
        [CompositionEnv.COPY_CLUSTER]: props.copyCluster.clusterArn,
        [CompositionEnv.ADMIN_TOKEN_SHA256]: props.adminTokenSha256,
      },
    });
    props.stateMachine.grantStartExecution(this.handler);
    props.stateMachine.grantTaskResponse(this.handler);
    // migration_cancel stops the copy task by the ARN it recorded (EcsCopyTaskControl): tasks of this cluster only.
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:StopTask'],
        resources: [Stack.of(this).formatArn({ service: 'ecs', resource: 'task', resourceName: `${props.copyCluster.clusterName}/*` })],
      }),
    );

    this.restApi = new apigateway.LambdaRestApi(this, 'RestApi', {
      handler: this.handler,
      proxy: true,
      description: 'share-migration: OpenStack Manila v2 share migration API',
      deployOptions: { stageName: props.stageName ?? 'prod' },
      defaultMethodOptions: { authorizationType: props.authorizationType ?? apigateway.AuthorizationType.NONE },
    });
  }
}
