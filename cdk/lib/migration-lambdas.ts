import type { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EXECUTION_ENDED_FUNCTION } from '../../lambdas/composition/function-permissions.ts';
import { ALL_STEPS, type Step } from '../../lambdas/core/workflow.ts';
import { MigrationFunction } from './migration-function.ts';
import { pascalCase, type MigrationTables } from './migration-tables.ts';

export interface MigrationLambdasProps {
  readonly tables: MigrationTables;
  /**
   * How long one step invocation may run. The workflow gives each task a little longer.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * More environment variables for every step function, next to the table names and STEP_NAME.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/** The entry file of a step's handler, relative to the repository root. */
export function stepEntry(step: Step): string {
  return `lambdas/handlers/steps/${step}.ts`;
}

/** The entry of the function that cleans up after executions that ended outside the workflow's paths. */
export const EXECUTION_ENDED_ENTRY = 'lambdas/handlers/execution-ended.ts';

/**
 * One function per workflow `Step`, each running lambdas/handlers/steps/<step>.ts, and the function an
 * EventBridge rule invokes when an execution was stopped, timed out or failed outside any Catch
 * (`executionEnded`). Each is granted, and given the environment of, its own declared permissions by the
 * stack (FunctionGrants), once the state machine and the other resources they name exist.
 */
export class MigrationLambdas extends Construct {
  readonly byStep: Readonly<Record<Step, MigrationFunction>>;
  readonly executionEnded: MigrationFunction;

  constructor(scope: Construct, id: string, props: MigrationLambdasProps) {
    super(scope, id);
    const byStep = {} as Record<Step, MigrationFunction>;
    for (const step of ALL_STEPS) {
      byStep[step] = new MigrationFunction(this, pascalCase(step), {
        entry: stepEntry(step),
        stepName: step,
        tables: props.tables,
        timeout: props.timeout,
        environment: props.environment,
      });
    }
    this.byStep = byStep;
    this.executionEnded = new MigrationFunction(this, 'ExecutionEnded', {
      entry: EXECUTION_ENDED_ENTRY,
      stepName: EXECUTION_ENDED_FUNCTION,
      tables: props.tables,
      timeout: props.timeout,
      environment: props.environment,
      description: 'share-migration: cleans up after an execution stopped, timed out or failed outside the workflow',
    });
  }

  /** Every function of this construct: the steps' and executionEnded. */
  get all(): readonly MigrationFunction[] {
    return [...Object.values(this.byStep), this.executionEnded];
  }

  forStep(step: Step): MigrationFunction {
    return this.byStep[step];
  }
}
