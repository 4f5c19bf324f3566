import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CopyTaskEnv, WorkflowError } from '../../lambdas/core/workflow.ts';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { CopyFaultParking } from './workflow-copy-fault-parking.ts';
import { COPY_FAULTS_PATH, COPY_FAULTS_RESET, CopyFaultRetry } from './workflow-copy-faults.ts';
import type { WorkflowHandover } from './workflow-handover.ts';
import type { StateName } from './workflow-states.ts';
import type { WorkflowTasks } from './workflow-tasks.ts';

/** The copy task's passes: the bulk copy while the source is writable, the final delta once it is read-only. */
export const CopyPass = { BULK: 'bulk', FINAL: 'final' } as const;
export type CopyPass = (typeof CopyPass)[keyof typeof CopyPass];

/**
 * Where prepare destination puts the copy passes' TimeoutSeconds, from the share's size (COPY_PASS_TIMEOUT).
 * At the top of the state: the local runtime's adaptation of TimeoutSecondsPath reads top-level fields only.
 */
export const COPY_TIMEOUT_PATH = '$.copy_timeout_seconds';

/** Where a partitioned pass keeps the Map's items (at `.indexes`): the partitions' indexes, 0 .. partitions-1. */
const PARTITION_INDEXES_PATH = '$.partitioned';

/** The state a copy pass starts at (a Choice: one task, or partitioned), for the states that lead to it. */
export function copyPassEntry(name: string): string {
  return `${name}: partitioned?`;
}

/** The state every way through a copy pass ends on (a Pass), for the states that follow it. */
export function copyPassEnd(name: string): string {
  return `${name}: copied`;
}

export interface CopyPassesProps {
  readonly tasks: WorkflowTasks;
  /** Where a copy error a retry cannot fix goes (with the error at `errorPath`). */
  readonly cleanup: sfn.IChainable;
  readonly errorPath: string;
  /** Sends any other failure of a task, error attached, to cleanup. */
  readonly cleanedUpOnFailure: <T extends sfn.TaskStateBase>(task: T) => T;
  /** The copy-fault step's function: a pass past its retry ladder waits the fault out (CopyFaultParking). */
  readonly copyFaultFunction: lambda.IFunction;
  /** Hands a long wait for a fault over to a new execution. */
  readonly handover: WorkflowHandover;
}

/** A copy pass as a piece of the definition: a Choice at its start, a Pass that every way through ends on. */
export class CopyPassFragment extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, start: sfn.State, end: sfn.Pass) {
    super(scope, id);
    this.startState = start;
    this.endStates = [end];
  }
}

/**
 * The copy passes of the host-assisted path. One pass is one copy task (runTask.sync) unless the migration
 * asked for partitions (`copy.partitions` > 1, issue 15): then the bulk pass first plans (a copy task surveys
 * the source and stores the cuts: copy-task/runtime/partition-steps.ts), every pass runs one copy task per
 * partition as a Distributed Map (`copy.max_copy_tasks` at once, each a child execution with its own history,
 * each retrying its own infrastructure faults), and a seal task ends it (the folders on the cuts, the pass's
 * summary). Whichever way, every task's copy errors go to cleanup.
 */
export class CopyPasses {
  private readonly scope: Construct;
  private readonly props: CopyPassesProps;
  private readonly copyFaults: CopyFaultRetry;
  /** Where a copy pass waits out a fault past its retry ladder; `parking.resume` is the handover's way back. */
  readonly parking: CopyFaultParking;

  constructor(scope: Construct, props: CopyPassesProps) {
    this.scope = scope;
    this.props = props;
    this.parking = new CopyFaultParking(scope, {
      tasks: props.tasks,
      copyFaultFunction: props.copyFaultFunction,
      handover: props.handover,
      cleanedUpOnFailure: props.cleanedUpOnFailure,
      cleanup: props.cleanup,
    });
    this.copyFaults = new CopyFaultRetry(scope, { cleanup: props.cleanup, errorPath: props.errorPath, parking: this.parking });
  }

  /**
   * One pass named `name`: one task, or partitioned (planned first when `planFirst`: the bulk pass; later
   * passes reuse the stored plan, whose ranges cover any path, so what was added since has its partition).
   */
  pass(name: StateName, pass: CopyPass, options: { readonly planFirst: boolean }): CopyPassFragment {
    const done = new sfn.Pass(this.scope, copyPassEnd(name));
    const single = this.copyTask(name, pass);
    single.next(done);
    const indexes = new sfn.Pass(this.scope, `${name}: list partitions`, {
      parameters: { 'indexes.$': 'States.ArrayRange(0, States.MathAdd($.copy.partitions, -1), 1)' },
      resultPath: PARTITION_INDEXES_PATH,
    });
    const seal = this.copyTask(`${name}: seal partitions`, pass, { [CopyTaskEnv.PARTITION_STEP]: 'seal' });
    const partitions = this.partitionMap(name, pass);
    partitions.addCatch(this.props.cleanup, { errors: [WorkflowError.ALL], resultPath: this.props.errorPath });
    partitions.next(seal).next(done);
    if (options.planFirst) {
      const plan = this.copyTask(`${name}: plan partitions`, pass, {
        [CopyTaskEnv.PARTITION_STEP]: 'plan',
        [CopyTaskEnv.PARTITIONS]: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.copy.partitions')),
      });
      indexes.next(plan).next(partitions);
    } else {
      indexes.next(partitions);
    }
    const partitioned = sfn.Condition.and(
      sfn.Condition.isPresent('$.copy.partitions'),
      sfn.Condition.isNumeric('$.copy.partitions'),
      sfn.Condition.numberGreaterThan('$.copy.partitions', 1),
    );
    const which = new sfn.Choice(this.scope, copyPassEntry(name)).when(partitioned, indexes).otherwise(single);
    return new CopyPassFragment(this.scope, `${name} pass`, which, done);
  }

  /**
   * A single copy task: the whole tree (a snapshot's too: `plan` is where the state holds its job), its
   * infrastructure faults retried and then waited out, any other failure sent to cleanup. Returns the chain
   * to go on from once it succeeded.
   */
  copyTask(name: string, pass: CopyPass, extra: Readonly<Record<string, string>> = {}, plan = '$.copy'): sfn.IChainable & sfn.INextable {
    const copy = this.props.tasks.ecsTask(name as StateName, {
      taskDefinitionPath: `${plan}.task_definition`,
      environment: { ...copyEnvironment(plan, pass), ...extra },
      timeout: sfn.Timeout.at(COPY_TIMEOUT_PATH),
      onSuccess: { resultPath: COPY_FAULTS_PATH, resultSelector: COPY_FAULTS_RESET },
    });
    // Infrastructure faults (the platform stopped the task) run the pass again; before cleanedUpOnFailure's Catch.
    const succeeded = this.copyFaults.retry(copy, name);
    this.props.cleanedUpOnFailure(copy);
    return succeeded;
  }

  /**
   * The partitions of one pass: a Distributed Map over the indexes, each item a child execution that runs
   * partition `index`'s copy task and retries its infrastructure faults alone; a copy error fails the item,
   * and with it the Map (no failure is tolerated: the pass must copy everything), whose Catch is cleanup's.
   */
  private partitionMap(name: string, pass: CopyPass): sfn.DistributedMap {
    const scope = new Construct(this.scope, `${name} partition`);
    const failed = new sfn.Fail(scope, `${name}: partition failed`, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const inPartition = new CopyFaultRetry(scope, { cleanup: failed, errorPath: '$.error' });
    const copy = this.props.tasks.ecsTask(`${name}: copy partition` as StateName, {
      taskDefinitionPath: '$.copy.task_definition',
      environment: { ...copyEnvironment('$.copy', pass), [CopyTaskEnv.PARTITION_INDEX]: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt('$.index')) },
      timeout: sfn.Timeout.at(COPY_TIMEOUT_PATH),
      onSuccess: { resultPath: COPY_FAULTS_PATH, resultSelector: COPY_FAULTS_RESET },
    });
    inPartition.retry(copy, `${name}: copy partition`);
    copy.addCatch(failed, { errors: [WorkflowError.ALL], resultPath: '$.error' });
    const map = new sfn.DistributedMap(this.scope, `${name}: partitions`, {
      itemsPath: `${PARTITION_INDEXES_PATH}.indexes`,
      itemSelector: {
        'index.$': '$$.Map.Item.Value',
        'migration_id.$': '$.migration_id',
        'copy.$': '$.copy',
        'copy_timeout_seconds.$': COPY_TIMEOUT_PATH,
      },
      maxConcurrencyPath: '$.copy.max_copy_tasks',
      mapExecutionType: sfn.StateMachineType.STANDARD,
      resultPath: sfn.JsonPath.DISCARD,
    });
    map.itemProcessor(copy);
    return map;
  }
}

/** The copy task's job from the CopyPlan at `plan` (CopyTaskEnv). */
function copyEnvironment(plan: string, pass: CopyPass): Record<string, string> {
  return {
    [CopyTaskEnv.MIGRATION_ID]: sfn.JsonPath.stringAt('$.migration_id'),
    [CopyTaskEnv.SOURCE]: sfn.JsonPath.stringAt(`${plan}.source`),
    [CopyTaskEnv.DESTINATION]: sfn.JsonPath.stringAt(`${plan}.destination`),
    [CopyTaskEnv.PASS]: pass,
    [CopyTaskEnv.VERIFY]: 'true',
    [CopyTaskEnv.SOURCE_MODES]: sfn.JsonPath.stringAt(`${plan}.source_modes`),
    [CopyTaskEnv.PRESERVE_METADATA]: sfn.JsonPath.stringAt(`${plan}.preserve_metadata`),
  };
}
