import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FunctionEnv } from '../../lambdas/composition/function-env.ts';
import { FUNCTION_PERMISSIONS, type FunctionName, type FunctionPermissions, type TableId } from '../../lambdas/composition/function-permissions.ts';
import type { MigrationTables } from './migration-tables.ts';
import { ServiceFunction } from './service-function.ts';

/**
 * The environment variable that names a function's handler. The local runtime reads it from the
 * synthesized template to map each Lambda resource back to the handler it runs in-process.
 */
export const STEP_NAME_ENV = 'STEP_NAME';

/**
 * The rest of the environment a function's composition root reads (lambdas/composition/function-env.ts);
 * each function gets only what its own composition reads (FunctionGrants.environment).
 */
export const CompositionEnv = FunctionEnv;

export interface MigrationFunctionProps {
  /** The handler file, relative to the repository root; it must export `handler`. */
  readonly entry: string;
  /** The `STEP_NAME` this function runs: a `Step` value, or `api`. It names the function's permissions (FUNCTION_PERMISSIONS). */
  readonly stepName: FunctionName;
  /** The tables; the names of those the function uses are put in the environment. */
  readonly tables: MigrationTables;
  /**
   * How long one invocation may run.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
  /**
   * More environment variables, next to the table names and STEP_NAME.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * @default - a short description naming the step
   */
  readonly description?: string;
}

/**
 * One handler of lambdas/handlers as a ServiceFunction (Node.js 22, esbuild ESM bundle with its AWS SDK,
 * its own role and log group, X-Ray tracing, Powertools), with its STEP_NAME and the names of the tables
 * it uses in the environment. It is granted nothing here: the stack grants it exactly its `permissions`
 * (FunctionGrants), once the resources they name exist.
 */
export class MigrationFunction extends ServiceFunction {
  readonly stepName: FunctionName;
  /** What its composition's adapters send (lambdas/composition/function-permissions.ts). */
  readonly permissions: FunctionPermissions;

  constructor(scope: Construct, id: string, props: MigrationFunctionProps) {
    const permissions = FUNCTION_PERMISSIONS[props.stepName];
    if (permissions === undefined) {
      throw new Error(`MigrationFunction: no permissions are declared for "${props.stepName}"; add them to FUNCTION_PERMISSIONS in lambdas/composition/function-permissions.ts`);
    }
    super(scope, id, {
      entry: props.entry,
      timeout: props.timeout,
      memorySize: props.memorySize,
      description: props.description ?? `share-migration: ${props.stepName}`,
      environment: {
        ...props.environment,
        ...props.tables.environmentFor(Object.keys(permissions.tables ?? {}) as TableId[]),
        [STEP_NAME_ENV]: props.stepName,
      },
    });
    this.stepName = props.stepName;
    this.permissions = permissions;
  }
}
