import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { COPY_FAULT_RETRY } from '../../lambdas/core/workflow-limits.ts';
import type { CopyFaultParking } from './workflow-copy-fault-parking.ts';

/** Where a copy pass keeps its count of infrastructure faults (reset when a pass succeeds; CopyFaultsState). */
export const COPY_FAULTS_PATH = '$.copy_faults';

/**
 * Where a pass waiting out a fault past the retry ladder keeps the wait's length (top-level: the local
 * runtime's adaptation of TimeoutSecondsPath reads top-level fields only). More than 0: the migration record
 * shows the wait, which the next pass that succeeds clears (and sets it to 0).
 */
export const COPY_FAULT_WAIT_PATH = '$.copy_fault_wait_seconds';

/** What a successful copy pass leaves at COPY_FAULTS_PATH. */
export const COPY_FAULTS_RESET = { attempts: 0 } as const;

/**
 * ECS stop codes of a task the platform stopped, not its program (ECS developer guide, "Amazon ECS stopped
 * tasks errors"): a Spot capacity reclaimed, a task that never started (image pull, EFS mount, ENI), a task
 * the scheduler or a retiring host stopped.
 */
const PLATFORM_STOP_CODES = ['SpotInterruption', 'TaskFailedToStart', 'ServiceSchedulerInitiated', 'TerminationNotice'] as const;

/**
 * Stopped reasons of infrastructure faults whatever the stop code: the task's storage or network could not
 * be set up (`ResourceInitializationError`, which covers an EFS mount that failed), its image not pulled,
 * its host gone.
 */
const PLATFORM_STOPPED_REASONS = ['*ResourceInitializationError*', '*CannotPullContainer*', '*Host EC2*', '*Timeout waiting for network interface*'] as const;

/** SIGKILL (128 + 9): the container was killed, not ended by the copy engine, which exits 0, 1, 2 or 143. */
const KILLED_EXIT_CODE = 137;

export interface CopyFaultRetryProps {
  /** Where a copy error a retry cannot fix goes, with the error at `errorPath`. */
  readonly cleanup: sfn.IChainable;
  /** Where the failed task's error is put (the cleanup reads it there). */
  readonly errorPath: string;
  /**
   * Past the retry ladder, a pass the platform keeps stopping waits the fault out here, indefinitely.
   * @default - none: past the ladder the fault goes to `cleanup` (a partition's child execution, whose
   * failure its parent's Map decides on)
   */
  readonly parking?: CopyFaultParking;
}

/**
 * Infrastructure faults of a copy pass are retried, the pass resumed; only a copy error goes to cleanup
 * (issue 15, item 3). The runTask.sync integration fails a pass whose task stopped with a non-zero exit code,
 * or was stopped, as States.TaskFailed with the ECS task description as its Cause (JSON: StopCode,
 * StoppedReason, Containers[].ExitCode; the local runtime's copy runner answers the same). A Retry cannot
 * look at the Cause, so the Catch leads here: the Cause is parsed, a task the platform stopped (Spot
 * interruption, failed start or EFS mount, host retirement, a killed container) waits 30 s, then 1, 2, 5,
 * 10 and 15 minutes between tries and runs the pass again, which resumes where the last one stopped (the
 * engine keeps what it verified). After COPY_FAULT_RETRY.MAX_ATTEMPTS faults in a row the pass does not go
 * to cleanup, which would delete the destination: it waits the fault out (`parking`: recorded on the
 * migration, every COPY_FAULT_RETRY.PARK_SECONDS, until a task runs or the operator cancels). An exit code of
 * the copy engine (a copy error, a cancel) goes to cleanup at once. The count is reset by every pass that
 * succeeds, and a pass that succeeds after a recorded wait clears the record.
 */
export class CopyFaultRetry {
  private readonly scope: Construct;
  private readonly props: CopyFaultRetryProps;

  constructor(scope: Construct, props: CopyFaultRetryProps) {
    this.scope = scope;
    this.props = props;
  }

  /**
   * Catches `copy`'s task failures (before any other Catch of it) and loops infrastructure faults back to it.
   * Returns what follows a pass that succeeded (with parking: the record of a wait cleared first), to chain on.
   */
  retry(copy: sfn.TaskStateBase, name: string): sfn.IChainable & sfn.INextable {
    const { cleanup, errorPath, parking } = this.props;
    // The caught error stays under COPY_FAULTS_PATH, which a pass that succeeds replaces: a fault that a
    // retry got past leaves no error in the state. It moves to `errorPath` only on the way to cleanup.
    const caught = `${COPY_FAULTS_PATH}.error`;
    const attempts = `${COPY_FAULTS_PATH}.attempts`;
    const task = `${COPY_FAULTS_PATH}.task`;
    const toCleanup = new sfn.Pass(this.scope, `${name}: copy error`, {
      parameters: { 'Error.$': `${caught}.Error`, 'Cause.$': `${caught}.Cause` },
      resultPath: errorPath,
    });
    toCleanup.next(cleanup);
    const parse = new sfn.Pass(this.scope, `${name}: read the stopped task`, {
      parameters: { 'task.$': `States.StringToJson(${caught}.Cause)`, 'attempts.$': attempts, 'error.$': caught },
      resultPath: COPY_FAULTS_PATH,
    });
    const count = new sfn.Pass(this.scope, `${name}: count the fault`, {
      parameters: {
        'attempts.$': `States.MathAdd(${attempts}, 1)`,
        'wait_seconds.$': `States.ArrayGetItem(States.Array(${COPY_FAULT_RETRY.WAIT_SECONDS.join(', ')}), States.MathAdd(${attempts}, 1))`,
        'error.$': caught,
      },
      resultPath: COPY_FAULTS_PATH,
    });
    const wait = new sfn.Wait(this.scope, `${name}: wait out the fault`, { time: sfn.WaitTime.secondsPath(`${COPY_FAULTS_PATH}.wait_seconds`) });
    const present = (path: string) => sfn.Condition.isPresent(path);
    const stopCode = `${task}.StopCode`;
    const reason = `${task}.StoppedReason`;
    const exitCode = `${task}.Containers[0].ExitCode`;
    const platformStopped = sfn.Condition.or(
      ...PLATFORM_STOP_CODES.map((code) => sfn.Condition.and(present(stopCode), sfn.Condition.stringEquals(stopCode, code))),
      ...PLATFORM_STOPPED_REASONS.map((pattern) => sfn.Condition.and(present(reason), sfn.Condition.stringMatches(reason, pattern))),
      sfn.Condition.and(
        present(exitCode), sfn.Condition.isNumeric(exitCode), sfn.Condition.numberEquals(exitCode, KILLED_EXIT_CODE),
        sfn.Condition.not(sfn.Condition.and(present(stopCode), sfn.Condition.stringEquals(stopCode, 'UserInitiated'))),
      ),
    );
    const infrastructure = new sfn.Choice(this.scope, `${name}: infrastructure fault?`)
      .when(sfn.Condition.and(platformStopped, sfn.Condition.numberLessThan(attempts, COPY_FAULT_RETRY.MAX_ATTEMPTS)), count.next(wait.next(copy)));
    if (parking) {
      // The ladder is spent: count the fault, name this copy as the one to run again, and wait it out.
      const keepWaiting = new sfn.Pass(this.scope, `${name}: fault persists`, {
        parameters: { 'attempts.$': `States.MathAdd(${attempts}, 1)`, 'error.$': caught, resume: name },
        resultPath: COPY_FAULTS_PATH,
      });
      infrastructure.when(platformStopped, keepWaiting.next(parking.waitOut(copy, name)));
    }
    infrastructure.otherwise(toCleanup);
    parse.next(infrastructure);
    // The first fault since the last pass that succeeded (or of the migration) finds no count yet.
    const firstFault = new sfn.Pass(this.scope, `${name}: first fault`, {
      parameters: { attempts: 0, 'error.$': caught },
      resultPath: COPY_FAULTS_PATH,
    });
    firstFault.next(parse);
    const counted = new sfn.Choice(this.scope, `${name}: faults counted?`).when(present(attempts), parse).otherwise(firstFault);
    // A Cause that is not a task description (not JSON) cannot be read: a copy error as any other.
    const describesTask = new sfn.Choice(this.scope, `${name}: task described?`)
      .when(sfn.Condition.and(present(`${caught}.Cause`), sfn.Condition.stringMatches(`${caught}.Cause`, '{*}')), counted)
      .otherwise(toCleanup);
    copy.addCatch(describesTask, { errors: [sfn.Errors.TASKS_FAILED], resultPath: caught });
    return parking ? parking.afterPass(copy, name) : copy;
  }
}
