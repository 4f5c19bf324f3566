import { SwitchoverStatus, type Migration, type SwitchoverProgress } from '../model.ts';
import type { MigrationProgressView } from '../services.ts';
import { PHASE1_DONE_STATES, SWITCHOVER_STATES, TaskState } from '../task-state.ts';
import type { TaskState as TaskStateValue } from '../task-state.ts';

/**
 * migration_get_progress: total_progress is the bulk copy's (or the driver's) percentage in phase 1,
 * 100 once phase 1 is done; details carry what the copy task last reported.
 */
export function progressView(migration: Migration, shareTaskState: TaskStateValue): MigrationProgressView {
  const p = migration.progress;
  let total = p?.total_progress ?? 0;
  if (PHASE1_DONE_STATES.includes(migration.task_state) || SWITCHOVER_STATES.includes(migration.task_state)
    || migration.task_state === TaskState.MIGRATION_SUCCESS) total = 100;
  if (migration.task_state === TaskState.MIGRATION_STARTING) total = 0;
  return {
    task_state: shareTaskState,
    total_progress: Math.max(0, Math.min(100, Math.round(total))),
    details: {
      migration_id: migration.id,
      mechanism: migration.mechanism,
      ...(p ? {
        pass: p.pass, phase: p.phase, files_done: p.files_done, files_total: p.files_total,
        bytes_done: p.bytes_done, bytes_total: p.bytes_total, bytes_per_second: p.bytes_per_second,
        eta_seconds: p.eta_seconds, updated_at: p.updated_at,
      } : {}),
      // A partitioned copy: the plan and each partition's state, bytes and retries (partition-progress.ts).
      ...(migration.partitions ? { partitions: migration.partitions } : {}),
      // Host-assisted with snapshots: which snapshot is being replayed onto the destination.
      ...(migration.snapshot_replay ? { snapshot_replay: migration.snapshot_replay } : {}),
      // A copy pass waiting out an infrastructure fault (copy-fault.ts): since when, the last fault, the next try.
      ...(migration.copy_fault ? { copy_fault: migration.copy_fault } : {}),
      // The switchover, once the source is read-only: what it waits for, or how that ended.
      ...(migration.switchover ? { switchover: switchoverView(migration.switchover) } : {}),
    },
  };
}

/**
 * `waiting_for: 'client_connections'` while clients connected before the source went read-only may still
 * write (with what the driver counted, and how to confirm what it cannot prove); how the wait ended otherwise.
 */
export function switchoverView(switchover: SwitchoverProgress): Record<string, unknown> {
  const waiting = switchover.status === SwitchoverStatus.WAITING;
  return {
    status: switchover.status,
    ...(waiting ? { waiting_for: 'client_connections' } : {}),
    connections: switchover.connections,
    scope: switchover.scope,
    since: switchover.read_only_at,
    polls: switchover.polls,
    checked_at: switchover.checked_at,
    detail: switchover.detail,
    ...(waiting ? { next_check_at: switchover.next_check_at } : {}),
    ...(waiting && switchover.confirmed_at === null
      ? { confirm: 'call migration_complete again to confirm that no client of this share still writes to it (the driver cannot prove it yet)' }
      : {}),
    ...(switchover.confirmed_at !== null ? { confirmed_at: switchover.confirmed_at } : {}),
    ...(switchover.clear_since !== null ? { clear_since: switchover.clear_since } : {}),
    ...(switchover.gave_up_at !== null ? { gave_up_at: switchover.gave_up_at } : {}),
  };
}
