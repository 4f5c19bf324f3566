import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { MigrationTables, TableId } from './migration-tables.ts';
import { ServiceFunction } from './service-function.ts';

/**
 * The environment variable that names a function's handler. The local runtime reads it from the
 * synthesized template to map each Lambda resource back to the handler it runs in-process.
 */
export const STEP_NAME_ENV = 'STEP_NAME';

/**
 * The rest of the environment lambdas/composition/aws.ts reads when it builds a function's adapters.
 * It builds the whole composition in every function, API and steps alike.
 */
export const CompositionEnv = {
  /** The state machine's ARN: StartExecution (API) and SendTaskSuccess/Failure (API, await-completion). */
  STATE_MACHINE_ARN: 'SMIG_STATE_MACHINE_ARN',
  /** The copy tasks' cluster, ARN or name: the API's migration_cancel stops the running copy task there. */
  COPY_CLUSTER: 'SMIG_COPY_CLUSTER',
  /** The copy task definition the per-migration revisions are made from, and its copy container's name. */
  COPY_TASK_DEFINITION: 'SMIG_COPY_TASK_DEFINITION',
  COPY_CONTAINER: 'SMIG_COPY_CONTAINER',
  /** The storage backends, JSON `{ "backends": [...] }` as parseLocalBackends reads it. */
  BACKENDS: 'SMIG_BACKENDS',
  /** The SHA-256 hex of the admin token, which X-Auth-Token is checked against (required by aws.ts in every function). */
  ADMIN_TOKEN_SHA256: 'SMIG_ADMIN_TOKEN_SHA256',
} as const;

export interface MigrationFunctionProps {
  /** The handler file, relative to the repository root; it must export `handler`. */
  readonly entry: string;
  /** The `STEP_NAME` this function runs: a `Step` value, or `api`. */
  readonly stepName: string;
  /** The tables; every table's name is put in the environment. */
  readonly tables: MigrationTables;
  /**
   * The tables this function may read and write.
   * @default - read and write on shares, migrations and catalog
   */
  readonly readWriteTables?: readonly TableId[];
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
 * One handler of lambdas/handlers as a ServiceFunction (Node.js 22, esbuild ESM bundle, its own role and
 * log group, X-Ray tracing, Powertools), with the table names and its STEP_NAME in the environment.
 */
export class MigrationFunction extends ServiceFunction {
  readonly stepName: string;

  constructor(scope: Construct, id: string, props: MigrationFunctionProps) {
    super(scope, id, {
      entry: props.entry,
      timeout: props.timeout,
      memorySize: props.memorySize,
      description: props.description ?? `share-migration: ${props.stepName}`,
      environment: {
        ...props.environment,
        ...props.tables.environment,
        [STEP_NAME_ENV]: props.stepName,
      },
    });
    this.stepName = props.stepName;
    props.tables.grantReadWriteData(this, props.readWriteTables ?? ['shares', 'migrations', 'catalog']);
  }
}
