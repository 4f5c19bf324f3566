import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { CopyTask } from './copy-task.ts';
import { ManilaApi } from './manila-api.ts';
import { MigrationLambdas } from './migration-lambdas.ts';
import { MigrationTables } from './migration-tables.ts';
import { MigrationWorkflow } from './migration-workflow.ts';

/** The CloudFormation stack name of share-migration. */
export const STACK_NAME = 'ShareMigration';

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
   * How API callers authenticate.
   * @default apigateway.AuthorizationType.IAM
   */
  readonly apiAuthorizationType?: apigateway.AuthorizationType;
}

/** share-migration on AWS: tables, step Lambdas, the copy task, the workflow and the API, wired together. */
export class ShareMigrationStack extends Stack {
  readonly tables: MigrationTables;
  readonly lambdas: MigrationLambdas;
  readonly copyTask: CopyTask;
  readonly workflow: MigrationWorkflow;
  readonly api: ManilaApi;

  constructor(scope: Construct, id: string, props: ShareMigrationStackProps = {}) {
    super(scope, id, props);
    const stepTimeout = props.stepTimeout ?? Duration.minutes(5);

    this.tables = new MigrationTables(this, 'Tables');
    this.lambdas = new MigrationLambdas(this, 'Steps', { tables: this.tables, timeout: stepTimeout });
    this.copyTask = new CopyTask(this, 'CopyTask', { tables: this.tables, vpc: props.vpc, image: props.copyImage });
    this.workflow = new MigrationWorkflow(this, 'Workflow', {
      stepFunctions: this.lambdas.byStep,
      stepTaskTimeout: stepTimeout.plus(Duration.minutes(1)),
      copyCluster: this.copyTask.cluster,
      copyContainer: this.copyTask.container,
      copySecurityGroups: [this.copyTask.securityGroup],
      copySubnets: this.copyTask.subnets,
    });
    this.api = new ManilaApi(this, 'Api', {
      tables: this.tables,
      stateMachine: this.workflow.stateMachine,
      authorizationType: props.apiAuthorizationType,
    });
  }
}
