import { Duration } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { WorkflowError } from '../../lambdas/core/workflow.ts';

/**
 * The migration workflow's retry policies, by the error names Step Functions matches: what each kind
 * of task waits out before its Catch sends the execution on (to cleanup, or to the release step).
 */

/** The error name of the domain's ConcurrentUpdateError (lambdas/core/errors.ts): a lost race, worth retrying. */
export const CONCURRENT_UPDATE_ERROR = 'ConcurrentUpdateError';

/** Errors every Lambda step retries: the Lambda service's own, and a conditional write that lost a race. */
export const RETRIED_STEP_ERRORS: readonly string[] = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  CONCURRENT_UPDATE_ERROR,
];

/**
 * Errors of a driver whose storage is still at work (EFS replication syncs about every 15 minutes, new
 * mount targets take minutes): the driver steps, prepare destination and cleanup retry them for half an
 * hour before giving up.
 */
export const DRIVER_NOT_READY_ERRORS: readonly string[] = ['EfsNotReadyError'];

/**
 * Errors of the ECS runTask.sync integration that mean the copy task did not start, not that a copy
 * failed: RunTask refused or throttled (`ECS.AmazonECSException`, as Step Functions reports it; ECS
 * reports a throttled look-up of the subnets or security groups as `ECS.InvalidParameterException`,
 * cdklabs/construct-hub#415), ECS's own faults and the SDK's, and a RunTask answered with `failures`
 * (capacity unavailable...), which the optimized integration turns into `AmazonECS.Unknown`
 * (Step Functions developer guide, connect-ecs). A copy that ran and exited non-zero is
 * `States.TaskFailed`, never retried here: that is a real copy error, and cleanup handles it.
 */
export const COPY_TASK_START_ERRORS: readonly string[] = [
  'ECS.AmazonECSException',
  'ECS.InvalidParameterException',
  'ECS.ServerException',
  'ECS.ThrottlingException',
  'ECS.SdkClientException',
  'AmazonECS.Unknown',
];

/** Every Lambda step: the Lambda service's errors and a lost race, a second apart and doubling. */
export function retryStepErrors<T extends sfn.TaskStateBase>(task: T): T {
  task.addRetry({ errors: [...RETRIED_STEP_ERRORS], interval: Duration.seconds(1), maxAttempts: 3, backoffRate: 2 });
  return task;
}

/** Waits out a driver that is still at work: a minute between tries, for about half an hour. */
export function retryDriverNotReady<T extends sfn.TaskStateBase>(task: T): T {
  task.addRetry({ errors: [...DRIVER_NOT_READY_ERRORS], interval: Duration.minutes(1), maxAttempts: 30, backoffRate: 1 });
  return task;
}

/**
 * A driver call that only reads (who may still write to the source: CloudWatch behind the EFS driver)
 * failed: worth two more tries, 10 and 20 s later, before the Catch sends the migration to cleanup.
 */
export function retryDriverReads<T extends sfn.TaskStateBase>(task: T): T {
  task.addRetry({ errors: [WorkflowError.DRIVER], interval: Duration.seconds(10), maxAttempts: 2, backoffRate: 2 });
  return task;
}

/**
 * After the other retries, retry any error: for steps that must not give up easily (cutover, cleanup).
 * Last, as Step Functions requires of a retrier on States.ALL.
 */
export function retryAnyError<T extends sfn.TaskStateBase>(task: T): T {
  task.addRetry({ errors: [WorkflowError.ALL], interval: Duration.seconds(2), maxAttempts: 3, backoffRate: 2 });
  return task;
}

/**
 * The release step, the last resort after cleanup gave up, only writes the state store (it calls no
 * driver): it retries any error 5 s apart, doubling up to 5 minutes, 40 times (about three hours), so a
 * state store that does not answer for less than that never leaves a share locked by a migration whose
 * execution has ended.
 */
export function retryRelease<T extends sfn.TaskStateBase>(task: T): T {
  task.addRetry({ errors: [WorkflowError.ALL], interval: Duration.seconds(5), maxAttempts: 40, backoffRate: 2, maxDelay: Duration.minutes(5) });
  return task;
}

/**
 * A copy task that did not start is started again, 30 s, 1, 2, 4 and 8 minutes later (about 15 minutes
 * in all): the copy engine resumes a pass, so a retry is safe, where cleanup would throw the copied data away.
 */
export function retryCopyStart<T extends sfn.TaskStateBase>(task: T): T {
  task.addRetry({ errors: [...COPY_TASK_START_ERRORS], interval: Duration.seconds(30), maxAttempts: 5, backoffRate: 2 });
  return task;
}
