/**
 * The names the functions' logs, metrics and traces use, shared with the CDK stack (which sets the
 * environment and builds alarms on these metrics). No dependencies, so the CDK app can import it.
 */

/** POWERTOOLS_SERVICE_NAME of every function: the `service` dimension of every metric. */
export const SERVICE_NAME = 'share-migration';

/** POWERTOOLS_METRICS_NAMESPACE: the CloudWatch namespace of the functions' metrics. Unset, no metrics are published. */
export const METRICS_NAMESPACE = 'ShareMigration';

/** The environment Powertools reads. */
export const PowertoolsEnv = {
  SERVICE_NAME: 'POWERTOOLS_SERVICE_NAME',
  METRICS_NAMESPACE: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** The metrics the functions publish (EMF, unit Count). */
export const MetricName = {
  /** A workflow step returned; dimension `step`. */
  STEP_SUCCEEDED: 'StepSucceeded',
  /** A workflow step threw (a cancel included: Step Functions decides what it means); dimension `step`. */
  STEP_FAILED: 'StepFailed',
  /** The authorizer accepted a token. */
  TOKEN_ACCEPTED: 'TokenAccepted',
  /** The authorizer refused a token (the caller gets 401). The function counts this as a Lambda error too. */
  TOKEN_REJECTED: 'TokenRejected',
} as const;
