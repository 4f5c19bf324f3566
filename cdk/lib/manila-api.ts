import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { MigrationFunction } from './migration-function.ts';
import type { MigrationTables } from './migration-tables.ts';

/** The `STEP_NAME` of the API function. */
export const API_STEP_NAME = 'api';

/** The environment variable that carries the state machine ARN into the API function. */
export const STATE_MACHINE_ARN_ENV = 'SMIG_STATE_MACHINE_ARN';

export interface ManilaApiProps {
  readonly tables: MigrationTables;
  /** The migration workflow: the API starts executions and answers its migration_complete callback. */
  readonly stateMachine: sfn.IStateMachine;
  /**
   * How callers authenticate.
   * @default apigateway.AuthorizationType.IAM (SigV4-signed requests)
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
    this.handler = new MigrationFunction(this, 'Handler', {
      entry: 'lambdas/handlers/api.ts',
      stepName: API_STEP_NAME,
      tables: props.tables,
      description: 'share-migration: Manila v2 API',
    });
    this.handler.addEnvironment(STATE_MACHINE_ARN_ENV, props.stateMachine.stateMachineArn);
    props.stateMachine.grantStartExecution(this.handler);
    props.stateMachine.grantTaskResponse(this.handler);

    this.restApi = new apigateway.LambdaRestApi(this, 'RestApi', {
      handler: this.handler,
      proxy: true,
      description: 'share-migration: OpenStack Manila v2 share migration API',
      deployOptions: { stageName: props.stageName ?? 'prod' },
      defaultMethodOptions: { authorizationType: props.authorizationType ?? apigateway.AuthorizationType.IAM },
    });
  }
}
