import type { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
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

/** One function per workflow `Step`, each running lambdas/handlers/steps/<step>.ts. */
export class MigrationLambdas extends Construct {
  readonly byStep: Readonly<Record<Step, lambda.IFunction>>;

  private readonly functions: readonly MigrationFunction[];

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
    this.functions = Object.values(byStep);
  }

  forStep(step: Step): lambda.IFunction {
    return this.byStep[step];
  }

  /** Sets an environment variable on every step function (for values known only once the workflow exists). */
  addEnvironment(key: string, value: string): void {
    for (const fn of this.functions) fn.addEnvironment(key, value);
  }
}
