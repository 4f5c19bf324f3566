import { Step } from '../../lambdas/core/workflow.ts';

/**
 * The state names, as the Step Functions console shows them. Tests and the local runtime refer to
 * states by these names.
 */
export const StateName = {
  PURGE_ONLY: 'Only purge deleted data?',
  VALIDATE: 'Validate request and lock share',
  REJECTED: 'Migration request rejected',
  FAILED_START: 'Clean up after a failed start',
  RESUME_AT: 'Resume at switchover?',
  DRIVER_COMPATIBILITY: 'Ask driver for native migration',
  CAN_DRIVER_MIGRATE: 'Can the driver migrate natively?',
  DRIVER_START: 'Start driver-assisted migration',
  DRIVER_CONTINUE: 'Continue driver-assisted migration',
  DRIVER_PHASE1_DONE: 'Driver phase 1 done?',
  WAIT_FOR_DRIVER: 'Wait before polling driver',
  DRIVER_CANCEL: 'Undo driver-assisted migration',
  PREPARE_DESTINATION: 'Prepare destination share instance',
  MORE_SNAPSHOTS: 'More snapshots to replay?',
  SNAPSHOT_COPY: 'Copy snapshot to destination',
  SNAPSHOT_DESTINATION: 'Snapshot the destination',
  BULK_COPY: 'Copy data while share stays writable',
  PHASE1_DONE: 'Record phase 1 done',
  AUTO_COMPLETE: 'Complete automatically?',
  AWAIT_COMPLETION: 'Wait for migration_complete',
  REFRESH_WHICH: 'Refresh the copy while waiting?',
  REFRESH_COPY: 'Refresh copy while waiting',
  DRIVER_COMPLETE: 'Complete driver-assisted migration',
  SOURCE_READ_ONLY: 'Make source read-only',
  SWITCHOVER_WRITERS: 'Check who may still write to the source',
  WRITERS_GONE: 'Can the switchover go on?',
  WAIT_FOR_WRITERS: 'Wait for clients to disconnect',
  FINAL_COPY: 'Copy final delta and verify',
  CUTOVER: 'Switch share to destination',
  SUCCEEDED: 'Migration succeeded',
  CLEANUP: 'Clean up and restore source',
  RELEASE_SHARE: 'Record what cleanup left and release share',
  PLAN_PURGE: 'Plan purge of deleted data',
  MORE_TO_PURGE: 'More deleted data to purge?',
  PURGE: 'Purge data a deleted instance left',
  PURGE_FAILED: 'Data purge failed',
  HOW_ENDED: 'How did the migration end?',
  CANCELLED_OR_FAILED: 'Cancelled or failed?',
  CANCELLED: 'Migration cancelled',
  FAILED: 'Migration failed',
} as const;
export type StateName = (typeof StateName)[keyof typeof StateName];

/** The state that runs each step's Lambda. */
export const STEP_STATE: Readonly<Record<Step, StateName>> = {
  [Step.VALIDATE]: StateName.VALIDATE,
  [Step.DRIVER_COMPATIBILITY]: StateName.DRIVER_COMPATIBILITY,
  [Step.DRIVER_START]: StateName.DRIVER_START,
  [Step.DRIVER_CONTINUE]: StateName.DRIVER_CONTINUE,
  [Step.DRIVER_CANCEL]: StateName.DRIVER_CANCEL,
  [Step.DRIVER_COMPLETE]: StateName.DRIVER_COMPLETE,
  [Step.PREPARE_DESTINATION]: StateName.PREPARE_DESTINATION,
  [Step.SNAPSHOT_DESTINATION]: StateName.SNAPSHOT_DESTINATION,
  [Step.PHASE1_DONE]: StateName.PHASE1_DONE,
  [Step.AWAIT_COMPLETION]: StateName.AWAIT_COMPLETION,
  [Step.SOURCE_READ_ONLY]: StateName.SOURCE_READ_ONLY,
  [Step.CUTOVER]: StateName.CUTOVER,
  [Step.CLEANUP]: StateName.CLEANUP,
  [Step.RELEASE_SHARE]: StateName.RELEASE_SHARE,
  [Step.SWITCHOVER_WRITERS]: StateName.SWITCHOVER_WRITERS,
  [Step.PLAN_PURGE]: StateName.PLAN_PURGE,
};
