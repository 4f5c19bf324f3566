import { TaskState, TERMINAL_TASK_STATES } from './task-state.ts';
import { IllegalTransitionError } from './errors.ts';

const T = TaskState;

/** Where a migration may go from each task_state. Anything else is a bug or a race, never overwritten. */
const NEXT: Readonly<Record<TaskState, readonly TaskState[]>> = {
  [T.MIGRATION_STARTING]: [T.MIGRATION_IN_PROGRESS, T.MIGRATION_DRIVER_STARTING, T.DATA_COPYING_STARTING],
  [T.MIGRATION_IN_PROGRESS]: [T.MIGRATION_DRIVER_STARTING, T.DATA_COPYING_STARTING],
  [T.MIGRATION_DRIVER_STARTING]: [T.MIGRATION_DRIVER_IN_PROGRESS],
  [T.MIGRATION_DRIVER_IN_PROGRESS]: [T.MIGRATION_DRIVER_PHASE1_DONE],
  [T.MIGRATION_DRIVER_PHASE1_DONE]: [T.MIGRATION_COMPLETING],
  // A driver that failed hands over to the host-assisted path (the blueprint's approach 2).
  [T.DATA_COPYING_STARTING]: [T.DATA_COPYING_IN_PROGRESS],
  [T.DATA_COPYING_IN_PROGRESS]: [T.DATA_COPYING_COMPLETED],
  [T.DATA_COPYING_COMPLETED]: [T.DATA_COPYING_COMPLETING],
  [T.DATA_COPYING_COMPLETING]: [T.MIGRATION_COMPLETING],
  [T.MIGRATION_COMPLETING]: [T.MIGRATION_SUCCESS],
  [T.DATA_COPYING_CANCELLED]: [T.MIGRATION_CANCEL_IN_PROGRESS, T.MIGRATION_CANCELLED],
  [T.DATA_COPYING_ERROR]: [T.MIGRATION_ERROR],
  [T.MIGRATION_CANCEL_IN_PROGRESS]: [T.MIGRATION_CANCELLED, T.MIGRATION_ERROR],
  [T.MIGRATION_SUCCESS]: [],
  [T.MIGRATION_ERROR]: [],
  [T.MIGRATION_CANCELLED]: [],
};

/** Before switchover any busy state can fail or be cancelled; cleanup then ends the migration. */
const ABORTABLE: readonly TaskState[] = [
  T.MIGRATION_STARTING,
  T.MIGRATION_IN_PROGRESS,
  T.MIGRATION_DRIVER_STARTING,
  T.MIGRATION_DRIVER_IN_PROGRESS,
  T.MIGRATION_DRIVER_PHASE1_DONE,
  T.DATA_COPYING_STARTING,
  T.DATA_COPYING_IN_PROGRESS,
  T.DATA_COPYING_COMPLETED,
];

/** A failed driver hands over to the host-assisted path. */
const FALLBACK_TO_HOST: readonly TaskState[] = [T.MIGRATION_DRIVER_STARTING, T.MIGRATION_DRIVER_IN_PROGRESS];

export function canTransition(from: TaskState, to: TaskState): boolean {
  if (NEXT[from].includes(to)) return true;
  if (to === T.DATA_COPYING_STARTING && FALLBACK_TO_HOST.includes(from)) return true;
  if (ABORTABLE.includes(from)) {
    return to === T.MIGRATION_CANCEL_IN_PROGRESS || to === T.MIGRATION_ERROR || to === T.DATA_COPYING_ERROR
      || to === T.DATA_COPYING_CANCELLED || to === T.MIGRATION_CANCELLED;
  }
  // A switchover that could not prove that no client still writes to the read-only source gives it its
  // writes back and returns to phase 1 done, before anything was copied or switched (switchover.ts).
  if (from === T.DATA_COPYING_COMPLETING && to === T.DATA_COPYING_COMPLETED) return true;
  if (from === T.MIGRATION_COMPLETING && to === T.MIGRATION_DRIVER_PHASE1_DONE) return true;
  // A failure during switchover still ends the migration in error (the share is made available again).
  if (from === T.MIGRATION_COMPLETING || from === T.DATA_COPYING_COMPLETING) return to === T.MIGRATION_ERROR;
  return false;
}

export function assertTransition(from: TaskState, to: TaskState, ids: { shareId: string; migrationId?: string }): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to, ids);
}

export { TERMINAL_TASK_STATES };
