/**
 * The migration's records: its options, progress, copy passes, cleanup, switchover and purges (split from
 * model.ts, which re-exports them).
 */
import type { PartitionView } from './partitions/partition-records.ts';
import type { ShareInstance } from './model.ts';
import type { TaskState } from './task-state.ts';

/** migration_start's options, as Manila names them. */
export interface MigrationOptions {
  readonly writable: boolean;
  readonly preserve_metadata: boolean;
  readonly preserve_snapshots: boolean;
  readonly nondisruptive: boolean;
  readonly force_host_assisted_migration: boolean;
  readonly new_share_type_id: string | null;
  readonly new_share_network_id: string | null;
  /** Run the switchover as soon as phase 1 is done, without waiting for migration_complete. */
  readonly auto_complete: boolean;
  /**
   * While waiting for migration_complete, refresh the bulk copy every this many seconds, so the final
   * delta (run with the source read-only) stays small. Null: refresh only when a wait would outlast
   * what the workflow can wait in one go.
   */
  readonly refresh_interval: number | null;
  /**
   * Host-assisted: copy with this many copy tasks, each a partition of the tree (issue 15; absent or 1: one
   * task copies everything). An extension of Manila's request.
   */
  readonly partitions?: number;
  /** How many of those tasks run at once (the Distributed Map's MaxConcurrency). @default min(partitions, DEFAULT_MAX_COPY_TASKS) */
  readonly max_copy_tasks?: number;
  /**
   * The copy tasks' size on Fargate (copy-task-size.ts): CPU units and MiB, as a task definition takes them.
   * @default the stack's copy task (1,024 and 2,048: 1 vCPU, 2 GB)
   */
  readonly copy_task_cpu?: number;
  readonly copy_task_memory?: number;
  /** The copy engine's operations in flight. @default the engine's (8 on network file systems) */
  readonly copy_concurrency?: number;
}

export type MigrationMechanism = 'driver_assisted' | 'host_assisted';

export interface TaskStateEntry {
  readonly task_state: TaskState;
  readonly at: string;
}

export type CopyPass = 'bulk' | 'final';

/** What the copy task (or the driver) last reported. */
export interface MigrationProgress {
  readonly pass: CopyPass | 'driver' | null;
  readonly phase: string;
  readonly files_done: number;
  readonly files_total: number;
  readonly bytes_done: number;
  readonly bytes_total: number;
  readonly bytes_per_second: number;
  readonly eta_seconds: number | null;
  /** 0..100, what migration_get_progress reports as total_progress. */
  readonly total_progress: number;
  readonly updated_at: string;
}

export interface CopyOutcome {
  readonly pass: CopyPass;
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly verified: boolean;
  readonly finished_at: string;
}

export interface MigrationErrorInfo {
  readonly error: string;
  readonly cause: string;
  readonly at: string;
}

export interface Migration {
  readonly id: string;
  readonly share_id: string;
  readonly source_host: string;
  readonly destination_host: string;
  readonly source_instance_id: string;
  readonly destination_instance_id: string;
  /** The share network the destination's share server serves (DHSS=true destinations), or null. */
  readonly destination_share_network_id?: string | null;
  /**
   * The availability zone of the destination's pool (availability-zones.ts), found when the migration was
   * validated, where the pools are read: the share's zone from the switchover on. Absent on migrations
   * recorded before it was kept (the share then keeps its zone).
   */
  readonly destination_availability_zone?: string;
  readonly options: MigrationOptions;
  readonly mechanism: MigrationMechanism | null;
  /** Why that mechanism: the driver's answer, or what ruled it out. */
  readonly mechanism_reason: string | null;
  readonly task_state: TaskState;
  readonly history: readonly TaskStateEntry[];
  readonly progress: MigrationProgress | null;
  readonly copies: readonly CopyOutcome[];
  readonly cancel_requested: boolean;
  readonly complete_requested: boolean;
  readonly task_token: string | null;
  readonly execution_id: string | null;
  /** The running copy task (ECS task ARN, or the local child's id), recorded by the copy task itself. */
  readonly copy_task_id?: string | null;
  /** The task definition the copy task runs (ECS: this migration's revision with both volumes). */
  readonly copy_task_definition?: string | null;
  readonly error: MigrationErrorInfo | null;
  /** The last task_state whose change event was published (events are delivered at least once). */
  readonly published_task_state?: TaskState | null;
  /**
   * A partitioned copy (options.partitions > 1): the plan and each partition's progress, read from the
   * partitions table when the API shows the migration (partition-progress.ts); never stored here.
   */
  readonly partitions?: {
    readonly count: number;
    readonly totals: { readonly bytes: number; readonly entries: number };
    readonly planned_at: string;
    readonly details: readonly PartitionView[];
  };
  /** Host-assisted with snapshots: the snapshot being replayed onto the destination, and how far the replay is. */
  readonly snapshot_replay?: SnapshotReplayProgress | null;
  /** What cleanup has undone so far: a cleanup that gives up says exactly what it left behind. */
  readonly cleanup_progress?: CleanupProgress | null;
  /**
   * Instances the migration created and could not remove (its cleanup gave up): no longer part of the
   * share, recorded here so that an operator can find them and delete them on their backend.
   */
  readonly left_behind?: readonly LeftBehindInstance[];
  /** The switchover's wait for the clients that may still write to the read-only source (set once it is read-only). */
  readonly switchover?: SwitchoverProgress | null;
  /**
   * A copy pass waiting out an infrastructure fault past its retry ladder (copy-fault.ts): how many faults in
   * a row, since when, the last one, and when the pass runs again. Null (or absent) while no pass waits.
   */
  readonly copy_fault?: CopyFaultProgress | null;
  /** The data the instances this migration deleted left on their backends, and what became of it. */
  readonly purges?: readonly DataPurgeRecord[];
  /** When the source went read-only and when it was released; the switchover window. */
  readonly read_only_since: string | null;
  readonly read_only_until: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}

/** Cleanup's steps, each recorded once done (lambdas/core/migrations/steps/cleanup.ts). */
export interface CleanupProgress {
  /** The source driver undid its driver-assisted migration. */
  readonly driver_cancelled: boolean;
  /** The source driver refused because its switch to the destination is committed: both instances are kept. */
  readonly driver_committed: boolean;
  readonly destination_deleted: boolean;
  /** The source has the share's access rules again, writable. */
  readonly source_restored: boolean;
}

/** An instance a migration left on its backend when it ended (release-share.ts). */
export interface LeftBehindInstance {
  /** As the share had it: id, host, export locations. */
  readonly instance: ShareInstance;
  /** What it was to the migration. */
  readonly role: 'destination';
  /** Why it is left, and what to do, in words. */
  readonly reason: string;
  readonly at: string;
}

/** Where a migration's replay of the share's snapshots stands (migration_get_progress shows it). */
export interface SnapshotReplayProgress {
  /** Snapshots replayed onto the destination so far. */
  readonly replayed: number;
  readonly total: number;
  /** The snapshot being copied now, or null once all are replayed. */
  readonly snapshot_id: string | null;
  readonly snapshot_name: string | null;
}

/** What became of the switchover's wait for the clients that may still write to the source. */
export const SwitchoverStatus = {
  /** Clients that connected before the source went read-only may still write: the final copy waits. */
  WAITING: 'waiting',
  /** The driver proved that none can: the final copy may run. */
  CLEAR: 'clear',
  /** The operator confirmed (migration_complete again) what the driver could not prove. */
  CONFIRMED: 'confirmed',
  /** Neither within the wait's bounds: the source is writable again and the migration waits for migration_complete. */
  GAVE_UP: 'gave_up',
} as const;
export type SwitchoverStatus = (typeof SwitchoverStatus)[keyof typeof SwitchoverStatus];

/** The switchover's proof that no acknowledged write is lost (steps/source-read-only.ts, steps/switchover-writers.ts). */
/** A copy pass waiting out an infrastructure fault (Migration.copy_fault). */
export interface CopyFaultProgress {
  /** Faults in a row of this pass (the retry ladder's included). */
  readonly attempts: number;
  /** When the pass began waiting faults out (past the retry ladder). */
  readonly since: string;
  /** The last fault: the stopped task's reason, as cleanup would show it. */
  readonly last_error: string;
  readonly next_attempt_at: string;
}

export interface SwitchoverProgress {
  readonly status: SwitchoverStatus;
  /** When the source's rules were read-only (applyAccessRules returned): clients connected later cannot write. */
  readonly read_only_at: string;
  /** Connections the driver last reported that may still write. */
  readonly connections: number;
  /** Whose connections: `enforced` (none to count), `instance` (this share's), `shared` (other shares' too: only zero proves anything). */
  readonly scope: 'enforced' | 'instance' | 'shared';
  /** What the driver last measured, in words. */
  readonly detail: string;
  readonly polls: number;
  readonly checked_at: string | null;
  readonly next_check_at: string | null;
  /** From when no client could write (clear), or when the operator confirmed. */
  readonly clear_since: string | null;
  readonly confirmed_at: string | null;
  readonly gave_up_at: string | null;
}

/** What became of the data a deleted instance left on its backend. */
export const PurgeStatus = {
  PENDING: 'pending',
  /** The purge task was started on it (or is about to be). */
  PURGING: 'purging',
  PURGED: 'purged',
  /** The driver said deleting the instance removed everything. */
  NOTHING_LEFT: 'nothing_left',
  FAILED: 'failed',
} as const;
export type PurgeStatus = (typeof PurgeStatus)[keyof typeof PurgeStatus];

/** One deleted instance's leftover data (ShareDriver.dataLeftBehind), recorded until it is purged. */
export interface DataPurgeRecord {
  /** The instance as it was when it was deleted: the driver finds its leftovers from it. */
  readonly instance: ShareInstance;
  readonly status: PurgeStatus;
  /** Where the data is, in the backend's words, once the driver named it. */
  readonly location: string | null;
  readonly error: string | null;
  readonly updated_at: string;
}
