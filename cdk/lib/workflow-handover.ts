import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { HANDOVER_AFTER_CYCLES, type HandoverPoint } from '../../lambdas/core/workflow.ts';
import { StateName } from './workflow-states.ts';

/** Where the loops keep their count (MigrationExecutionState.loop). */
export const LOOP_CYCLES_PATH = '$.loop.cycles';

/** Where the Pass before a handover puts the new execution's name and input additions (MigrationExecutionState.handover). */
const HANDOVER_PATH = '$.handover';

/** The Pass that prepares a handover from each point. */
const PREPARE_STATE: Readonly<Record<HandoverPoint, StateName>> = {
  'driver-poll': StateName.PREPARE_HANDOVER_POLL,
  'await-completion': StateName.PREPARE_HANDOVER_WAIT,
  'copy-fault': StateName.PREPARE_HANDOVER_COPY_FAULT,
};

export interface WorkflowHandoverProps {
  /**
   * The ARN of the state machine these states belong to (built from its name: the state machine cannot
   * refer to its own resource). The state machine's role is granted states:StartExecution on it.
   */
  readonly stateMachineArn: string;
  /** Sends any failure of a task to cleanup (a handover that cannot start the next execution after its retries). */
  readonly cleanedUpOnFailure: <T extends sfn.TaskStateBase>(task: T) => T;
}

/**
 * The handover that keeps an execution's history bounded: a loop that has run HANDOVER_AFTER_CYCLES times
 * starts a new execution of the same state machine, whose input is this one's plus where to resume and the
 * state there (HandoverInput), and ends successfully. The new execution's first state checks and takes the
 * migration over (validate.ts records its ARN on the migration) and resumes the loop with a fresh history.
 * The new execution's name is derived from this execution's ARN: a retried StartExecution with the same
 * name and input starts nothing twice.
 */
export class WorkflowHandover {
  private readonly scope: Construct;
  private readonly props: WorkflowHandoverProps;
  private startNext?: sfn.IChainable;

  constructor(scope: Construct, props: WorkflowHandoverProps) {
    this.scope = scope;
    this.props = props;
  }

  /** A Choice: past the bound, hand over from `at`; else go on with `otherwise`. */
  whenDue(name: StateName, at: HandoverPoint, otherwise: sfn.IChainable): sfn.Choice {
    return new sfn.Choice(this.scope, name)
      .when(sfn.Condition.numberGreaterThanEquals(LOOP_CYCLES_PATH, HANDOVER_AFTER_CYCLES), this.from(at))
      .otherwise(otherwise);
  }

  /** A Pass that counts one iteration of a loop that has no step of its own to count it (States.MathAdd). */
  counter(name: StateName): sfn.Pass {
    return new sfn.Pass(this.scope, name, {
      parameters: { 'cycles.$': `States.MathAdd(${LOOP_CYCLES_PATH}, 1)` },
      resultPath: '$.loop',
    });
  }

  /** Prepare the handover from `at`, then start the next execution and end this one. */
  private from(at: HandoverPoint): sfn.IChainable {
    const prepare = new sfn.Pass(this.scope, PREPARE_STATE[at], {
      parameters: {
        // A hex digest: 41 characters whatever the execution's name, within the 80 Step Functions allows.
        'name.$': "States.Format('handover-{}', States.Hash($$.Execution.Id, 'MD5'))",
        input: {
          'migration_id.$': '$.migration_id',
          resume: { at, 'state.$': '$' },
        },
      },
      resultPath: HANDOVER_PATH,
    });
    return prepare.next(this.startNextExecution());
  }

  /** One StartExecution state, shared by every handover point, and the success it ends in. */
  private startNextExecution(): sfn.IChainable {
    if (this.startNext) return this.startNext;
    const start = new tasks.StepFunctionsStartExecution(this.scope, StateName.HAND_OVER, {
      stateMachine: sfn.StateMachine.fromStateMachineArn(this.scope, 'Self', this.props.stateMachineArn),
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      name: sfn.JsonPath.stringAt(`${HANDOVER_PATH}.name`),
      // This execution's input (the request as it was given) with the migration id and where to resume.
      input: sfn.TaskInput.fromJsonPathAt(`States.JsonMerge($$.Execution.Input, ${HANDOVER_PATH}.input, false)`),
      resultPath: sfn.JsonPath.DISCARD,
      // StartExecution answers in milliseconds; a minute covers a slow call (and aws-local-stepfunctions' default is 60 s anyway).
      taskTimeout: sfn.Timeout.duration(Duration.minutes(1)),
    });
    // Throttling and service errors: try again for about 20 minutes (the name makes a repeat start
    // nothing twice). A handover that still cannot start fails the migration through cleanup, recorded.
    start.addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(5), maxAttempts: 8, backoffRate: 2 });
    this.props.cleanedUpOnFailure(start);
    this.startNext = start.next(new sfn.Succeed(this.scope, StateName.HANDED_OVER, { comment: 'The migration goes on in the execution started by the handover' }));
    return this.startNext;
  }
}
