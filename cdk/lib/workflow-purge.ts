import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { PURGE_ENTRY, PurgeTaskEnv, Step, WorkflowError } from '../../lambdas/core/workflow.ts';
import { isTrue } from './workflow-conditions.ts';
import { retryAnyError, retryDriverNotReady } from './workflow-retries.ts';
import { StateName } from './workflow-states.ts';
import type { WorkflowTasks } from './workflow-tasks.ts';

/** The error the execution fails with when data a deleted instance left could not be purged. */
export const DATA_PURGE_FAILED = 'DataPurgeFailed';

/** Where the purge task's Catch puts its error, for the planner to record (PurgeState.error). */
const PURGE_ERROR_PATH = '$.purge.error';

export interface PurgeLoopProps {
  /** The states the loop ends in when every purge is done: by the migration's outcome, if it had one. */
  readonly ended: sfn.IChainable;
  /**
   * TimeoutSeconds of one purge task.
   * @default Duration.days(1)
   */
  readonly purgeTaskTimeout?: Duration;
}

/**
 * The purge loop, after a cutover, a cleanup, or for a deleted share: plan (record the last purge, plan the
 * next), purge (a Fargate task of the copy image that mounts the file system's root and removes the deleted
 * instance's folder), plan again, until nothing is left. A purge task that failed is recorded by the planner
 * and the loop goes on to the next; once it ends, any failure in it fails the execution (DataPurgeFailed),
 * so the alarm on failed executions sees data left behind. The migration's own outcome is already recorded
 * by then: nothing here changes it. Returns the planner, the loop's entry.
 */
export function purgeLoop(scope: Construct, tasks: WorkflowTasks, props: PurgeLoopProps): sfn.TaskStateBase {
  const failed = new sfn.Fail(scope, StateName.PURGE_FAILED, {
    error: DATA_PURGE_FAILED,
    cause: 'data a deleted instance left could not be purged: see the purges of the migration record, or of the share being deleted',
  });
  const plan = tasks.lambdaStep(Step.PLAN_PURGE);
  // EFS still at work, then anything else: the planner only reads, records and registers.
  retryDriverNotReady(plan);
  retryAnyError(plan);
  plan.addCatch(failed, { errors: [WorkflowError.ALL], resultPath: '$.purge_error' });

  const purge = tasks.ecsTask(StateName.PURGE, {
    taskDefinitionPath: '$.purge.job.task_definition',
    command: [PURGE_ENTRY],
    environment: {
      [PurgeTaskEnv.ROOT]: sfn.JsonPath.stringAt('$.purge.job.root'),
      [PurgeTaskEnv.FOLDER]: sfn.JsonPath.stringAt('$.purge.job.folder'),
      [PurgeTaskEnv.INSTANCE_ID]: sfn.JsonPath.stringAt('$.purge.current.instance_id'),
    },
    timeout: props.purgeTaskTimeout ?? Duration.days(1),
  });
  purge.addCatch(plan, { errors: [WorkflowError.ALL], resultPath: PURGE_ERROR_PATH });
  purge.next(plan);

  const more = new sfn.Choice(scope, StateName.MORE_TO_PURGE)
    .when(isTrue('$.purge.more'), purge)
    .when(sfn.Condition.and(sfn.Condition.isPresent('$.purge.failed'), sfn.Condition.numberGreaterThan('$.purge.failed', 0)), failed)
    .otherwise(props.ended);
  plan.next(more);
  return plan;
}
