import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { Step } from '../../lambdas/core/workflow.ts';
import { MigrationCopyTask } from './migration-copy-task.ts';
import { retryCopyStart, retryStepErrors } from './workflow-retries.ts';
import { STEP_STATE, type StateName } from './workflow-states.ts';

export interface WorkflowTasksProps {
  /** The function of every `Step`. */
  readonly stepFunctions: Readonly<Record<Step, lambda.IFunction>>;
  /** The cluster the copy (and purge) tasks run in. */
  readonly copyCluster: ecs.ICluster;
  /** The copy container; its task definition is the one run, and its environment is overridden per task. */
  readonly copyContainer: ecs.ContainerDefinition;
  readonly copySecurityGroups: readonly ec2.ISecurityGroup[];
  /** @default - the cluster VPC's private subnets */
  readonly copySubnets?: ec2.SubnetSelection;
  /**
   * Copy passes run on Fargate Spot (the FARGATE_SPOT capacity provider, about 70% cheaper): an
   * interruption is an infrastructure fault the workflow retries, the pass resuming (workflow-copy-faults.ts).
   * The cluster must have the Fargate capacity providers (ShareMigrationStack enables them). Purge tasks stay
   * on Fargate on-demand. @default false
   */
  readonly copyOnSpot?: boolean;
  /** @default Duration.minutes(6) */
  readonly stepTaskTimeout?: Duration;
}

/** One ECS task run by the workflow: where its task definition is in the state, its container's job, how long it may take. */
export interface EcsTaskJob {
  /** Path of the ECS task definition in the state (the migration's, or a file system's purge revision). */
  readonly taskDefinitionPath: string;
  readonly environment: Readonly<Record<string, string>>;
  /** The container command: the program, for a task definition whose entry point is the interpreter. @default - the image's */
  readonly command?: readonly string[];
  /** A fixed time, or a path in the state (a copy pass: from the share's size). */
  readonly timeout: Duration | sfn.Timeout;
  /**
   * What a task that succeeded leaves in the state: `resultSelector`'s fixed fields at `resultPath` (a copy
   * pass resets its infrastructure-fault count). @default - nothing (the result is dropped)
   */
  readonly onSuccess?: { readonly resultPath: string; readonly resultSelector: Readonly<Record<string, unknown>> };
}

/** The capacity provider of Fargate Spot, which a cluster with the Fargate capacity providers has. */
export const FARGATE_SPOT = 'FARGATE_SPOT';

/** The workflow's Task states: step Lambdas invoked on the state, and Fargate tasks of the copy image waited for. */
export class WorkflowTasks {
  private readonly scope: Construct;
  private readonly props: WorkflowTasksProps;

  constructor(scope: Construct, props: WorkflowTasksProps) {
    this.scope = scope;
    this.props = props;
  }

  /**
   * A step Lambda invoked with the state as its event (payloadResponseOnly: the Resource is the
   * function ARN), returning the whole next state. ResultPath is left at its default, `$`: the
   * result replaces the state. Written out, aws-local-stepfunctions 3 stores it under a "$" key.
   */
  lambdaStep(step: Step, payload?: sfn.TaskInput): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this.scope, STEP_STATE[step], {
      lambdaFunction: this.props.stepFunctions[step],
      payload,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(this.props.stepTaskTimeout ?? Duration.minutes(6)),
    });
    return retryStepErrors(task);
  }

  /**
   * A step Lambda invoked with a task token (waitForTaskToken): the execution waits until the token is
   * answered (by the step itself, or by the API on the operator's call) or the seconds at `timeoutPath`
   * pass (States.Timeout). The step gets the migration's ids, `extra` and the token; the state passes on
   * unchanged. `timeoutPath` must be a top-level field: the local runtime's adaptation reads only those.
   */
  tokenStep(step: Step, timeoutPath: string, extra: Readonly<Record<string, unknown>> = {}): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this.scope, STEP_STATE[step], {
      lambdaFunction: this.props.stepFunctions[step],
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        migration_id: sfn.JsonPath.stringAt('$.migration_id'),
        share_id: sfn.JsonPath.stringAt('$.share_id'),
        ...extra,
        task_token: sfn.JsonPath.taskToken,
      }),
      resultPath: sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.at(timeoutPath),
    });
    return retryStepErrors(task);
  }

  /**
   * A Fargate task of the copy image, waited for (runTask.sync); its result is dropped (the task reports to
   * the migration record, or its exit code says all). A task that did not start is started again.
   */
  ecsTask(name: StateName, job: EcsTaskJob): MigrationCopyTask {
    const task = new MigrationCopyTask(this.scope, name, job.taskDefinitionPath, {
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      cluster: this.props.copyCluster,
      taskDefinition: this.props.copyContainer.taskDefinition,
      launchTarget: new tasks.EcsFargateLaunchTarget({
        platformVersion: ecs.FargatePlatformVersion.LATEST,
        // Copy passes (no command) on Spot when asked; a purge is short and stays on-demand.
        ...(this.props.copyOnSpot && !job.command
          ? { capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider: FARGATE_SPOT, weight: 1 }]) }
          : {}),
      }),
      subnets: this.props.copySubnets,
      securityGroups: [...this.props.copySecurityGroups],
      containerOverrides: [
        {
          containerDefinition: this.props.copyContainer,
          ...(job.command ? { command: [...job.command] } : {}),
          environment: Object.entries(job.environment).map(([name, value]) => ({ name, value })),
        },
      ],
      ...(job.onSuccess ? { resultPath: job.onSuccess.resultPath, resultSelector: { ...job.onSuccess.resultSelector } } : { resultPath: sfn.JsonPath.DISCARD }),
      taskTimeout: job.timeout instanceof Duration ? sfn.Timeout.duration(job.timeout) : job.timeout,
    });
    return retryCopyStart(task);
  }
}
