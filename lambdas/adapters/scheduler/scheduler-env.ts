/** The environment the AWS composition root reads this adapter's configuration from (the CDK stack sets it on the API function). */
export const SchedulerEnv = {
  GROUP: 'SMIG_SCHEDULE_GROUP',
  ROLE_ARN: 'SMIG_SCHEDULER_ROLE_ARN',
  DLQ_ARN: 'SMIG_SCHEDULE_DLQ_ARN',
  /** The target; the same variable the workflow adapter reads. */
  STATE_MACHINE_ARN: 'SMIG_STATE_MACHINE_ARN',
} as const;
