import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { COPY_FAULT_RETRY } from '../../lambdas/core/workflow-limits.ts';
import { Step } from '../../lambdas/core/workflow.ts';
import { COPY_FAULTS_PATH, COPY_FAULT_WAIT_PATH } from './workflow-copy-faults.ts';
import type { WorkflowHandover } from './workflow-handover.ts';
import { retryStepErrors } from './workflow-retries.ts';
import { StateName } from './workflow-states.ts';
import type { WorkflowTasks } from './workflow-tasks.ts';


export interface CopyFaultParkingProps {
  readonly tasks: WorkflowTasks;
  /** The copy-fault step's function (Step.COPY_FAULT): the wait itself, and clearing its record after a pass. */
  readonly copyFaultFunction: lambda.IFunction;
  /** Hands the waiting over to a new execution every HANDOVER_AFTER_CYCLES waits. */
  readonly handover: WorkflowHandover;
  /** Sends any failure of a task (the wait answered by migration_cancel: MigrationCancelledError) to cleanup. */
  readonly cleanedUpOnFailure: <T extends sfn.TaskStateBase>(task: T) => T;
  /** Where a resumed execution goes when it names no copy state of this definition (a deploy renamed it). */
  readonly cleanup: sfn.IChainable;
  /**
   * TimeoutSeconds of the step that clears the record. @default Duration.minutes(6)
   */
  readonly stepTaskTimeout?: Duration;
}

/**
 * Where a copy pass that the platform kept stopping past its retry ladder (CopyFaultRetry) waits the fault
 * out, one loop shared by every copy state of the execution: the wait is the copy-fault step run as a
 * waitForTaskToken task timing out after COPY_FAULT_RETRY.PARK_SECONDS (it records `copy_fault` on the
 * migration with its token, and publishes an event); migration_cancel answers the token with
 * MigrationCancelledError, which goes to cleanup at once (the operator's decision deletes the destination).
 * When the wait ends, the wait is counted as a loop cycle, the waiting hands over to a new execution when due
 * (resuming at `copy-fault`), and `Resume which copy pass?` runs again the copy state the fault counter names
 * (`copy_faults.resume`): the pass resumes where it stopped. A pass that succeeds after a recorded wait
 * clears the record (`afterPass`).
 */
export class CopyFaultParking {
  /** Runs again the copy state the state names: where a handed-over execution resumes (`copy-fault`). */
  readonly resume: sfn.Choice;

  private readonly scope: Construct;
  private readonly props: CopyFaultParkingProps;
  private entry?: sfn.IChainable;

  constructor(scope: Construct, props: CopyFaultParkingProps) {
    this.scope = scope;
    this.props = props;
    this.resume = new sfn.Choice(scope, StateName.RESUME_COPY);
    // Only a definition changed under a waiting migration gets here: cleanup records it.
    this.resume.otherwise(props.cleanup);
  }

  /** The wait for `copy` (named `name`, which CopyFaultRetry puts at copy_faults.resume): the loop's entry. */
  waitOut(copy: sfn.TaskStateBase, name: string): sfn.IChainable {
    this.resume.when(sfn.Condition.stringEquals(`${COPY_FAULTS_PATH}.resume`, name), copy);
    return this.loop();
  }

  /**
   * What follows `copy` when it succeeds: the migration's record of a wait cleared if one was recorded (a
   * failure to clear it is only a stale report: the pass goes on). Returns the chain to go on from.
   */
  afterPass(copy: sfn.TaskStateBase, name: string): sfn.IChainable & sfn.INextable {
    const clear = retryStepErrors(new tasks.LambdaInvoke(this.scope, `${name}: clear the copy fault`, {
      lambdaFunction: this.props.copyFaultFunction,
      payload: sfn.TaskInput.fromObject({
        migration_id: sfn.JsonPath.stringAt('$.migration_id'),
        share_id: sfn.JsonPath.stringAt('$.share_id'),
        cleared: true,
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(this.props.stepTaskTimeout ?? Duration.minutes(6)),
    }));
    // No wait recorded any more: 0 at COPY_FAULT_WAIT_PATH. Taken from the fault count a pass that succeeded
    // leaves (COPY_FAULTS_RESET: 0) rather than written as `Result: 0`, which aws-local-stepfunctions (and so
    // the local runtime) takes for no Result at all.
    const over = new sfn.Pass(this.scope, `${name}: copy fault over`, { inputPath: `${COPY_FAULTS_PATH}.attempts`, resultPath: COPY_FAULT_WAIT_PATH });
    clear.addCatch(over, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    clear.next(over);
    const recorded = new sfn.Choice(this.scope, `${name}: copy fault recorded?`).when(sfn.Condition.and(
      sfn.Condition.isPresent(COPY_FAULT_WAIT_PATH),
      sfn.Condition.isNumeric(COPY_FAULT_WAIT_PATH),
      sfn.Condition.numberGreaterThan(COPY_FAULT_WAIT_PATH, 0),
    ), clear);
    copy.next(recorded);
    return sfn.Chain.custom(copy, recorded.afterwards({ includeOtherwise: true }).endStates, recorded);
  }

  /** The shared loop: how long, the wait (recorded, cancellable), counted, handed over when due, the copy again. */
  private loop(): sfn.IChainable {
    if (this.entry) return this.entry;
    const { tasks: workflowTasks, handover, cleanedUpOnFailure } = this.props;
    const howLong = new sfn.Pass(this.scope, 'How long to wait out the copy fault', {
      result: sfn.Result.fromNumber(COPY_FAULT_RETRY.PARK_SECONDS),
      resultPath: COPY_FAULT_WAIT_PATH,
    });
    const wait = workflowTasks.tokenStep(Step.COPY_FAULT, COPY_FAULT_WAIT_PATH, {
      attempts: sfn.JsonPath.numberAt(`${COPY_FAULTS_PATH}.attempts`),
      last_error: sfn.JsonPath.objectAt(`${COPY_FAULTS_PATH}.error`),
      wait_seconds: sfn.JsonPath.numberAt(COPY_FAULT_WAIT_PATH),
    });
    const counted = handover.counter(StateName.COUNT_COPY_FAULT);
    // The wait ends by its timeout (the usual way), or answered early: either way, the pass runs again.
    wait.addCatch(counted, { errors: [sfn.Errors.TIMEOUT], resultPath: sfn.JsonPath.DISCARD });
    cleanedUpOnFailure(wait);
    wait.next(counted);
    counted.next(handover.whenDue(StateName.HAND_OVER_COPY_FAULT, 'copy-fault', this.resume));
    this.entry = howLong.next(wait);
    return this.entry;
  }
}
