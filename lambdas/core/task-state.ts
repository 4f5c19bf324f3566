/**
 * Manila's share task_state values (manila/common/constants.py), with the same spelling and meaning,
 * so that Manila clients read them correctly.
 */
export const TaskState = {
  MIGRATION_STARTING: 'migration_starting',
  MIGRATION_IN_PROGRESS: 'migration_in_progress',
  MIGRATION_COMPLETING: 'migration_completing',
  MIGRATION_SUCCESS: 'migration_success',
  MIGRATION_ERROR: 'migration_error',
  MIGRATION_CANCELLED: 'migration_cancelled',
  MIGRATION_CANCEL_IN_PROGRESS: 'migration_cancel_in_progress',
  MIGRATION_DRIVER_STARTING: 'migration_driver_starting',
  MIGRATION_DRIVER_IN_PROGRESS: 'migration_driver_in_progress',
  MIGRATION_DRIVER_PHASE1_DONE: 'migration_driver_phase1_done',
  DATA_COPYING_STARTING: 'data_copying_starting',
  DATA_COPYING_IN_PROGRESS: 'data_copying_in_progress',
  DATA_COPYING_COMPLETING: 'data_copying_completing',
  DATA_COPYING_COMPLETED: 'data_copying_completed',
  DATA_COPYING_CANCELLED: 'data_copying_cancelled',
  DATA_COPYING_ERROR: 'data_copying_error',
} as const;

export type TaskState = (typeof TaskState)[keyof typeof TaskState];

export const ALL_TASK_STATES: readonly TaskState[] = Object.values(TaskState);

/** States in which a migration holds the share (Manila's BUSY_TASK_STATES). */
export const BUSY_TASK_STATES: readonly TaskState[] = [
  TaskState.MIGRATION_STARTING,
  TaskState.MIGRATION_IN_PROGRESS,
  TaskState.MIGRATION_COMPLETING,
  TaskState.MIGRATION_DRIVER_STARTING,
  TaskState.MIGRATION_DRIVER_IN_PROGRESS,
  TaskState.MIGRATION_DRIVER_PHASE1_DONE,
  TaskState.DATA_COPYING_STARTING,
  TaskState.DATA_COPYING_IN_PROGRESS,
  TaskState.DATA_COPYING_COMPLETING,
  TaskState.DATA_COPYING_COMPLETED,
  TaskState.DATA_COPYING_CANCELLED,
  TaskState.DATA_COPYING_ERROR,
  TaskState.MIGRATION_CANCEL_IN_PROGRESS,
];

/** Final states: the share is `available` again and a new migration may start. */
export const TERMINAL_TASK_STATES: readonly TaskState[] = [
  TaskState.MIGRATION_SUCCESS,
  TaskState.MIGRATION_ERROR,
  TaskState.MIGRATION_CANCELLED,
];

/** Phase 1 is over and the migration waits for migration_complete. */
export const PHASE1_DONE_STATES: readonly TaskState[] = [
  TaskState.MIGRATION_DRIVER_PHASE1_DONE,
  TaskState.DATA_COPYING_COMPLETED,
];

/** Switchover has begun: the source may be read-only, cancel is refused. */
export const SWITCHOVER_STATES: readonly TaskState[] = [
  TaskState.MIGRATION_COMPLETING,
  TaskState.DATA_COPYING_COMPLETING,
];

export function isBusy(state: TaskState | null | undefined): boolean {
  return state != null && BUSY_TASK_STATES.includes(state);
}

export function isTerminal(state: TaskState | null | undefined): boolean {
  return state != null && TERMINAL_TASK_STATES.includes(state);
}

export function isTaskState(value: unknown): value is TaskState {
  return typeof value === 'string' && (ALL_TASK_STATES as readonly string[]).includes(value);
}
