/**
 * The environment the CDK stack gives a function for its composition root to read (besides the table
 * names, `TableSchema.envVar`, and the scheduler's, `SchedulerEnv`). Each function gets only what its
 * composition reads (cdk/lib/function-grants.ts derives it from function-permissions.ts). No dependencies.
 */
export const FunctionEnv = {
  /** The state machine's ARN: StartExecution (the API) and the schedules' target. */
  STATE_MACHINE_ARN: 'SMIG_STATE_MACHINE_ARN',
  /** The copy tasks' cluster, ARN or name: the API's migration_cancel stops the running copy task there. */
  COPY_CLUSTER: 'SMIG_COPY_CLUSTER',
  /** The copy task definition the per-migration revisions are made from, and its copy container's name. */
  COPY_TASK_DEFINITION: 'SMIG_COPY_TASK_DEFINITION',
  COPY_CONTAINER: 'SMIG_COPY_CONTAINER',
  /** The SSM Parameter Store path under which each storage backend is one parameter (cdk/lib/backend-parameters.ts). */
  BACKENDS_PARAMETER_PATH: 'SMIG_BACKENDS_PARAMETER_PATH',
  /** The SHA-256 hex of the admin token, which the API checks X-Auth-Token against where no authorizer ran. */
  ADMIN_TOKEN_SHA256: 'SMIG_ADMIN_TOKEN_SHA256',
  /** The EventBridge bus task_state changes are published on. */
  EVENT_BUS_NAME: 'SMIG_EVENT_BUS_NAME',
} as const;
