import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { Step } from '../../lambdas/core/workflow.ts';
import { isTrue, stringIs } from './workflow-conditions.ts';
import { retryAnyError, retryDriverNotReady, retryDriverReads } from './workflow-retries.ts';
import { StateName } from './workflow-states.ts';
import type { WorkflowTasks } from './workflow-tasks.ts';

/** Where the wait between two checks takes its length from: set by the check, at the top of the state. */
export const SWITCHOVER_WAIT_PATH = '$.switchover_wait_seconds';

export interface SwitchoverPathProps {
  /** The host-assisted final delta (a copy pass: one task, or partitioned), run once no client can still write. */
  readonly finalCopy: sfn.IChainable & sfn.INextable;
  /** Where a switch ends: the purge loop. */
  readonly purge: sfn.IChainable;
  /** Sends any failure of a task, error attached, to cleanup (which restores the source). */
  readonly cleanedUpOnFailure: <T extends sfn.TaskStateBase>(task: T) => T;
}

/** The switchover's entry (the source goes read-only), the Choice after the writers check, and the states a resumed migration jumps to. */
export interface SwitchoverStates {
  readonly entry: sfn.TaskStateBase;
  readonly writersGone: sfn.Choice;
  readonly cutover: sfn.TaskStateBase;
  readonly driverComplete: sfn.TaskStateBase;
}

/**
 * Phase 2, both mechanisms: the source goes read-only, then the workflow waits until no client that
 * connected before can still write (a client already mounted keeps the access it connected with on EFS):
 * it asks the source driver, waits longer each time, and proceeds once the driver proves none can or the
 * operator confirms (migration_complete again). The wait between two checks is a task token the check's
 * length times out (States.Timeout: check again) and the operator's confirmation answers (check again at
 * once, which then sees it): a confirmation acts in seconds, not at the next check minutes later, and the
 * history still grows by a few events a check, far from its limit. Then driver-assisted: the driver
 * completes; host-assisted: final delta copied and verified, then cutover. A wait that outlasts its bounds
 * gives the source its writes back and waits for migration_complete again (wired by the caller on
 * `writersGone`, outcome `gave_up`).
 */
export function switchoverPath(scope: Construct, tasks: WorkflowTasks, props: SwitchoverPathProps): SwitchoverStates {
  const { cleanedUpOnFailure, finalCopy } = props;
  const driverComplete = cleanedUpOnFailure(retryDriverNotReady(tasks.lambdaStep(Step.DRIVER_COMPLETE)));
  const readOnly = cleanedUpOnFailure(tasks.lambdaStep(Step.SOURCE_READ_ONLY));
  const writers = cleanedUpOnFailure(retryDriverReads(tasks.lambdaStep(Step.SWITCHOVER_WRITERS)));
  const cutover = tasks.lambdaStep(Step.CUTOVER);
  retryAnyError(cutover);
  cleanedUpOnFailure(cutover);
  driverComplete.next(props.purge);
  cutover.next(props.purge);
  finalCopy.next(cutover);

  // AwaitSwitchoverInput: the migration's ids and the token. Answered or timed out, it checks again.
  const wait = tasks.tokenStep(Step.AWAIT_SWITCHOVER, SWITCHOVER_WAIT_PATH);
  wait.addCatch(writers, { errors: [sfn.Errors.TIMEOUT], resultPath: sfn.JsonPath.DISCARD });
  cleanedUpOnFailure(wait);
  wait.next(writers);

  const gone = sfn.Condition.or(stringIs('$.switchover.outcome', 'clear'), stringIs('$.switchover.outcome', 'confirmed'));
  const writersGone = new sfn.Choice(scope, StateName.WRITERS_GONE)
    .when(sfn.Condition.and(gone, isTrue('$.driver_assisted')), driverComplete)
    .when(gone, finalCopy)
    .otherwise(wait);
  readOnly.next(writers).next(writersGone);
  return { entry: readOnly, writersGone, cutover, driverComplete };
}
