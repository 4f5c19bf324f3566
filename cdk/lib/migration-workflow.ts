import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ALL_STEPS, CopyTaskEnv, REFUSAL_ERRORS, Step, WorkflowError, type HandoverPoint } from '../../lambdas/core/workflow.ts';
import type { MigrationCopyTask } from './migration-copy-task.ts';
import { purgeLoop } from './workflow-purge.ts';
import { retryAnyError, retryDriverNotReady, retryRelease } from './workflow-retries.ts';
import { isTrue, stringIs } from './workflow-conditions.ts';
import { StateName } from './workflow-states.ts';
import { switchoverPath, type SwitchoverStates } from './workflow-switchover.ts';
import { WorkflowTasks } from './workflow-tasks.ts';
import { COPY_TIMEOUT_PATH, CopyPass, CopyPasses } from './workflow-copy-pass.ts';
import { WorkflowHandover } from './workflow-handover.ts';

export { CONCURRENT_UPDATE_ERROR, COPY_TASK_START_ERRORS, DRIVER_NOT_READY_ERRORS, RETRIED_STEP_ERRORS } from './workflow-retries.ts';
export { STEP_STATE, StateName } from './workflow-states.ts';
export { DATA_PURGE_FAILED } from './workflow-purge.ts';

export { CopyPass } from './workflow-copy-pass.ts';

/**
 * What the steps that wait on a task token may call on their own execution: each answers its token itself
 * when what it waits for arrived before the token did (await-completion.ts: migration_complete or
 * migration_cancel; await-switchover.ts: the operator's confirmation; copy-fault.ts: migration_cancel).
 */
const TOKEN_STEP_ACTIONS: readonly string[] = ['states:SendTaskSuccess', 'states:SendTaskFailure'];
const TOKEN_STEPS: readonly Step[] = [Step.AWAIT_COMPLETION, Step.AWAIT_SWITCHOVER, Step.COPY_FAULT];

/** The state machine's name, when none is given: `<stack name>-migration`. */
function defaultStateMachineName(stack: Stack): string {
  return `${stack.stackName}-migration`;
}

/** Where a Catch puts the error, next to the state, for cleanup (`MigrationExecutionState.error`). */
const ERROR_PATH = '$.error';

/** Where the Catch on cleanup puts cleanup's last error, for the release step (`ReleaseShareInput`). */
const CLEANUP_ERROR_PATH = '$.cleanup_error';

/** Where each driver poll puts the wait before the next one (it backs off: DRIVER_POLL). */
const DRIVER_WAIT_PATH = '$.driver_wait_seconds';


export interface MigrationWorkflowProps {
  /**
   * The function of every `Step`. The `await-completion` and `await-switchover` functions are granted
   * SendTaskSuccess and SendTaskFailure on this state machine.
   */
  readonly stepFunctions: Readonly<Record<Step, lambda.IFunction>>;
  /** The cluster the copy tasks run in. */
  readonly copyCluster: ecs.ICluster;
  /** The copy container; its task definition is the one run, and its environment is overridden per pass. */
  readonly copyContainer: ecs.ContainerDefinition;
  /** The security groups of the copy tasks. */
  readonly copySecurityGroups: readonly ec2.ISecurityGroup[];
  /**
   * The subnets the copy tasks run in.
   * @default - the cluster VPC's private subnets
   */
  readonly copySubnets?: ec2.SubnetSelection;
  /**
   * Copy passes run on Fargate Spot (the FARGATE_SPOT capacity provider, about 70% cheaper): an
   * interruption is an infrastructure fault the workflow retries, the pass resuming (workflow-copy-faults.ts).
   * The cluster must have the Fargate capacity providers (ShareMigrationStack enables them). Purge tasks stay
   * on Fargate on-demand. @default false
   */
  readonly copyOnSpot?: boolean;
  /**
   * TimeoutSeconds of every Lambda step. Keep it above the functions' own timeout.
   * @default Duration.minutes(6)
   */
  readonly stepTaskTimeout?: Duration;
  /**
   * TimeoutSeconds of one purge task (removing the folder a deleted instance left).
   * @default Duration.days(1)
   */
  readonly purgeTaskTimeout?: Duration;
  /**
   * The state machine's name. It is fixed so that its ARN is known before the state machine exists
   * (see `stateMachineArn`); two stacks in one account and region need two names.
   * @default - `<stack name>-migration`
   */
  readonly stateMachineName?: string;
  /**
   * Where the state machine logs every execution event with its data (level ALL): inputs, outputs and
   * errors of every state. Give an encrypted one; the data names shares, hosts and task tokens.
   * @default - a new log group, kept three months, encrypted by CloudWatch Logs' own key
   */
  readonly logGroup?: logs.ILogGroup;
}

/**
 * The migration state machine: validate and lock, try the driver-assisted path and fall back to the
 * host-assisted one, wait for migration_complete unless auto_complete, switch over once no client can still
 * write to the read-only source; any failure or cancel after validation goes through cleanup, which
 * restores the source. After a cutover or a cleanup, the data the deleted instance left is purged; an
 * execution whose input is `{"purge": ...}` only purges (a deleted share's data).
 */
export class MigrationWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /**
   * The state machine's ARN, built from its name rather than taken from the resource: the step
   * functions may hold it (environment, IAM policy) without a dependency cycle.
   */
  readonly stateMachineArn: string;

  private readonly props: MigrationWorkflowProps;
  private readonly tasks: WorkflowTasks;
  private readonly handover: WorkflowHandover;
  private readonly cleanup: sfn.TaskStateBase;
  private readonly copyPasses: CopyPasses;
  private readonly purge: sfn.TaskStateBase;
  private failed!: sfn.Fail;

  constructor(scope: Construct, id: string, props: MigrationWorkflowProps) {
    super(scope, id);
    const missing = ALL_STEPS.filter((step) => props.stepFunctions[step] === undefined);
    if (missing.length > 0) {
      throw new Error(`MigrationWorkflow: stepFunctions has no function for ${missing.join(', ')}; give one per Step of lambdas/core/workflow.ts`);
    }
    if (!props.copyContainer.taskDefinition.isFargateCompatible) {
      throw new Error('MigrationWorkflow: copyContainer must belong to a Fargate task definition (the copy runs on Fargate)');
    }
    this.props = props;
    const stateMachineName = props.stateMachineName ?? defaultStateMachineName(Stack.of(this));
    checkStateMachineName(stateMachineName);
    // The state machine refers to every step function (definition, role policy), and a function
    // depends on its role's policy. A policy naming `this.stateMachine.stateMachineArn` would close
    // the cycle state machine -> function -> policy -> state machine, which CloudFormation rejects
    // (and synth too, with cdk.json's @aws-cdk/core:validateAgainstDefaultRules). The ARN built from
    // the fixed name refers to no resource and is the same string once deployed. The handover starts
    // executions of this very state machine by it too.
    this.stateMachineArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.tasks = new WorkflowTasks(this, props);
    this.handover = new WorkflowHandover(this, { stateMachineArn: this.stateMachineArn, cleanedUpOnFailure: (task) => this.cleanedUpOnFailure(task) });
    this.purge = purgeLoop(this, this.tasks, { ended: this.endings(), purgeTaskTimeout: props.purgeTaskTimeout });
    this.cleanup = this.cleanupPath();
    this.copyPasses = new CopyPasses(this, {
      tasks: this.tasks,
      cleanup: this.cleanup,
      errorPath: ERROR_PATH,
      cleanedUpOnFailure: (task) => this.cleanedUpOnFailure(task),
      copyFaultFunction: props.stepFunctions[Step.COPY_FAULT],
      handover: this.handover,
    });
    const switchover = switchoverPath(this, this.tasks, {
      finalCopy: this.copyPasses.pass(StateName.FINAL_COPY, CopyPass.FINAL, { planFirst: false }),
      purge: this.purge,
      cleanedUpOnFailure: (task) => this.cleanedUpOnFailure(task),
    });
    const completion = this.completionPath(switchover.entry);
    // A switchover that gave up (the source is writable again) waits for migration_complete again.
    switchover.writersGone.when(stringIs('$.switchover.outcome', 'gave_up'), completion.awaitCompletion);
    const hostAssisted = this.hostAssistedPhase1(completion.phase1Done);
    const driverAssisted = this.driverAssistedPhase1(completion.phase1Done, hostAssisted);
    const start = this.requestPath(driverAssisted.start, hostAssisted, switchover, {
      'driver-poll': driverAssisted.poll,
      'await-completion': completion.awaitCompletion,
      'copy-fault': this.copyPasses.parking.resume,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'share-migration: OpenStack Manila share migration (driver-assisted, else host-assisted)',
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      logs: {
        destination: props.logGroup ?? new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
      // X-Ray: a trace per execution, joined with the step functions' own traces.
      tracingEnabled: true,
    });

    for (const step of TOKEN_STEPS) {
      iam.Grant.addToPrincipal({ grantee: props.stepFunctions[step], actions: [...TOKEN_STEP_ACTIONS], resourceArns: [this.stateMachineArn] });
    }
  }

  /**
   * Validate and lock, then ask the driver. A refused request ends here with nothing to undo; any other
   * failure of the first state (a Lambda error or timeout, a DynamoDB error, an error after the lock)
   * goes to cleanup with what validate received, from which cleanup finds the migration, if validate
   * created one (`FailedStartState`). The validate step sees the execution's name, so a console start
   * retried by Step Functions locks once.
   * A migration resumed after its switchover had begun (a restart) goes straight back to it: every
   * earlier step is idempotent, but re-copying onto a destination that already took over is not wanted.
   * An execution a handover started goes back to the loop its predecessor was in (`handedOver`).
   */
  private requestPath(
    driverAssisted: sfn.IChainable,
    hostAssisted: sfn.IChainable,
    switchover: SwitchoverStates,
    handedOver: Readonly<Record<HandoverPoint, sfn.IChainable>>,
  ): sfn.IChainable {
    const rejected = new sfn.Fail(this, StateName.REJECTED, {
      errorPath: `${ERROR_PATH}.Error`,
      causePath: `${ERROR_PATH}.Cause`,
    });
    const validate = this.lambdaStep(Step.VALIDATE, sfn.TaskInput.fromObject({
      request: sfn.JsonPath.objectAt('$'),
      execution_name: sfn.JsonPath.stringAt('$$.Execution.Name'),
      execution_id: sfn.JsonPath.stringAt('$$.Execution.Id'),
    }));
    validate.addCatch(rejected, { errors: [...REFUSAL_ERRORS], resultPath: ERROR_PATH });
    // FailedStartState: the execution input and name, as validate had them, and the error.
    const failedStart = new sfn.Pass(this, StateName.FAILED_START, {
      parameters: {
        request: sfn.JsonPath.objectAt('$$.Execution.Input'),
        execution_name: sfn.JsonPath.stringAt('$$.Execution.Name'),
        error: sfn.JsonPath.objectAt(ERROR_PATH),
      },
    });
    failedStart.next(this.cleanup);
    validate.addCatch(failedStart, { errors: [WorkflowError.ALL], resultPath: ERROR_PATH });

    const compatibility = this.cleanedUpOnFailure(this.lambdaStep(Step.DRIVER_COMPATIBILITY));
    const canMigrateNatively = new sfn.Choice(this, StateName.CAN_DRIVER_MIGRATE)
      .when(isTrue('$.driver_assisted'), driverAssisted)
      .otherwise(hostAssisted);
    const resumeAt = new sfn.Choice(this, StateName.RESUME_AT)
      .when(stringIs('$.resume_at', 'cutover'), switchover.cutover)
      .when(stringIs('$.resume_at', 'driver-complete'), switchover.driverComplete)
      .when(stringIs('$.resume_at', 'driver-poll'), handedOver['driver-poll'])
      .when(stringIs('$.resume_at', 'await-completion'), handedOver['await-completion'])
      .when(stringIs('$.resume_at', 'copy-fault'), handedOver['copy-fault'])
      .otherwise(compatibility.next(canMigrateNatively));
    validate.next(resumeAt);
    // PurgeExecutionInput: a deleted share's data, or a retry of a migration's failed purges.
    return new sfn.Choice(this, StateName.PURGE_ONLY)
      .when(sfn.Condition.isPresent('$.purge'), this.purge)
      .otherwise(validate);
  }

  /**
   * Driver-assisted phase 1: start, then poll until the driver reports phase 1 done, waiting longer after
   * each poll (seconds to minutes, as the poll says: DRIVER_POLL); after HANDOVER_AFTER_CYCLES polls the
   * polling goes on in a new execution. A cancel goes to cleanup; any other failure undoes the driver's
   * work and falls back to the host-assisted path.
   */
  private driverAssistedPhase1(phase1Done: sfn.IChainable, hostAssisted: sfn.IChainable): { start: sfn.IChainable; poll: sfn.TaskStateBase } {
    const undo = this.cleanedUpOnFailure(this.lambdaStep(Step.DRIVER_CANCEL));
    undo.next(hostAssisted);

    const start = this.lambdaStep(Step.DRIVER_START);
    const poll = this.lambdaStep(Step.DRIVER_CONTINUE);
    for (const task of [start, poll]) retryDriverNotReady(task);
    for (const task of [start, poll]) {
      task.addCatch(this.cleanup, { errors: [WorkflowError.CANCELLED], resultPath: ERROR_PATH });
      task.addCatch(undo, { errors: [WorkflowError.ALL], resultPath: ERROR_PATH });
    }
    const wait = new sfn.Wait(this, StateName.WAIT_FOR_DRIVER, { time: sfn.WaitTime.secondsPath(DRIVER_WAIT_PATH) });
    const done = new sfn.Choice(this, StateName.DRIVER_PHASE1_DONE)
      .when(isTrue('$.phase1_done'), phase1Done)
      .otherwise(this.handover.whenDue(StateName.HAND_OVER_POLL, 'driver-poll', wait));
    wait.next(poll);
    start.next(poll).next(done);
    return { start, poll };
  }

  /**
   * Host-assisted phase 1 (also the fallback): create the destination; replay the share's snapshots, oldest
   * first (copy one onto the destination, snapshot the destination, next); then bulk-copy the live data
   * while the source stays writable.
   */
  private hostAssistedPhase1(phase1Done: sfn.IChainable): sfn.IChainable {
    // New mount targets routinely take minutes: prepare waits for them as the driver steps do.
    const prepare = this.cleanedUpOnFailure(retryDriverNotReady(this.lambdaStep(Step.PREPARE_DESTINATION)));
    const bulkCopy = this.copyPasses.pass(StateName.BULK_COPY, CopyPass.BULK, { planFirst: true });
    bulkCopy.next(phase1Done);
    // A snapshot is copied by one task: partitions are planned for the live data.
    const snapshotCopy = this.copyPasses.copyTask(StateName.SNAPSHOT_COPY, CopyPass.BULK, {}, '$.snapshot_replay.copy');
    const snapshotDestination = this.cleanedUpOnFailure(this.lambdaStep(Step.SNAPSHOT_DESTINATION));
    const moreSnapshots = new sfn.Choice(this, StateName.MORE_SNAPSHOTS)
      .when(isTrue('$.snapshot_replay.more'), snapshotCopy)
      .otherwise(bulkCopy);
    snapshotCopy.next(snapshotDestination).next(moreSnapshots);
    return prepare.next(moreSnapshots);
  }

  /** Record phase 1 done, then wait for migration_complete unless the request asked for auto_complete. */
  private completionPath(switchover: sfn.IChainable): { phase1Done: sfn.TaskStateBase; awaitCompletion: sfn.TaskStateBase } {
    const phase1Done = this.cleanedUpOnFailure(this.lambdaStep(Step.PHASE1_DONE));
    // AwaitCompletionInput: the fields every state has, plus the token migration_complete answers. Phase 1
    // done sets wait_seconds: refresh_interval, else the longest single wait (MAX_COMPLETION_WAIT_SECONDS).
    const awaitCompletion = this.tasks.tokenStep(Step.AWAIT_COMPLETION, '$.wait_seconds', { auto_complete: sfn.JsonPath.stringAt('$.auto_complete') });
    // When a wait times out, the host-assisted path refreshes its bulk copy (so the final delta under
    // read-only stays small) and waits again with a new token; the driver-assisted path just waits again.
    // Each timed-out wait counts as a cycle: after HANDOVER_AFTER_CYCLES the waiting goes on in a new execution.
    const refreshCopy = this.copyPasses.pass(StateName.REFRESH_COPY, CopyPass.BULK, { planFirst: false });
    refreshCopy.next(awaitCompletion);
    const refreshWhich = new sfn.Choice(this, StateName.REFRESH_WHICH).when(isTrue('$.driver_assisted'), awaitCompletion).otherwise(refreshCopy);
    const counted = this.handover.counter(StateName.COUNT_WAIT);
    counted.next(this.handover.whenDue(StateName.HAND_OVER_WAIT, 'await-completion', refreshWhich));
    awaitCompletion.addCatch(counted, { errors: [sfn.Errors.TIMEOUT], resultPath: sfn.JsonPath.DISCARD });
    this.cleanedUpOnFailure(awaitCompletion);
    const automatically = new sfn.Choice(this, StateName.AUTO_COMPLETE)
      .when(isTrue('$.auto_complete'), switchover)
      .otherwise(awaitCompletion.next(switchover));
    phase1Done.next(automatically);
    return { phase1Done, awaitCompletion };
  }

  /**
   * Cleanup restores the source and records the outcome, then the purge loop removes what the deleted
   * destination left; a cancel ends as a success, anything else as a failure. A cleanup that gives up (its
   * retries exhausted) must not leave the share locked: the release step records what was left behind and
   * releases the share, and the execution fails.
   */
  private cleanupPath(): sfn.TaskStateBase {
    const cleanup = this.lambdaStep(Step.CLEANUP);
    retryDriverNotReady(cleanup);
    retryAnyError(cleanup);
    const release = this.lambdaStep(Step.RELEASE_SHARE);
    retryRelease(release);
    cleanup.addCatch(release, { errors: [WorkflowError.ALL], resultPath: CLEANUP_ERROR_PATH });
    release.next(this.failed);
    cleanup.next(this.purge);
    return cleanup;
  }

  /**
   * Where every path ends once its data is purged: cleanup's outcome (cancelled succeeds, an error fails),
   * or, with no outcome (a cutover, a purge-only execution), success.
   */
  private endings(): sfn.IChainable {
    this.failed = new sfn.Fail(this, StateName.FAILED, { error: 'MigrationFailed', cause: 'see the migration record' });
    const cancelledOrFailed = new sfn.Choice(this, StateName.CANCELLED_OR_FAILED)
      .when(stringIs('$.outcome', 'cancelled'), new sfn.Succeed(this, StateName.CANCELLED))
      .otherwise(this.failed);
    return new sfn.Choice(this, StateName.HOW_ENDED)
      .when(sfn.Condition.isPresent('$.outcome'), cancelledOrFailed)
      .otherwise(new sfn.Succeed(this, StateName.SUCCEEDED));
  }

  private lambdaStep(step: Step, payload?: sfn.TaskInput): tasks.LambdaInvoke {
    return this.tasks.lambdaStep(step, payload);
  }

  /** Any failure of `task` sends the execution, error attached, to cleanup. */
  private cleanedUpOnFailure<T extends sfn.TaskStateBase>(task: T): T {
    task.addCatch(this.cleanup, { errors: [WorkflowError.ALL], resultPath: ERROR_PATH });
    return task;
  }
}

/** Fails fast on a name Step Functions would reject at deploy time. */
function checkStateMachineName(name: string): void {
  if (!Token.isUnresolved(name) && !/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw new Error(`MigrationWorkflow: state machine name "${name}" must be 1-80 letters, digits, "-" or "_"; give a shorter stateMachineName`);
  }
}
