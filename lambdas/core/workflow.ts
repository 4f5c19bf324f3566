/**
 * The contract between the state machine and its steps: the documented execution input, the state
 * that flows from step to step, and the step names. The CDK definition, the Lambda handlers and the
 * local runtime all take these from here.
 */
import type { PurgeState } from './workflow-purge.ts';

// The purge loop's contract (its job, state and task) lives beside this one.
export * from './workflow-purge.ts';

/**
 * The execution input (README: "Starting a migration from the console"). Names follow Manila's
 * migration_start body; `share_id` and `auto_complete` are ours; `migration_id` is set by the API,
 * which has already locked the share, and left out when starting from the console or a schedule.
 */
export interface MigrationExecutionInput {
  readonly share_id: string;
  readonly host: string;
  readonly writable?: boolean;
  readonly preserve_metadata?: boolean;
  readonly preserve_snapshots?: boolean;
  readonly nondisruptive?: boolean;
  readonly force_host_assisted_migration?: boolean;
  readonly new_share_type_id?: string | null;
  readonly new_share_network_id?: string | null;
  readonly auto_complete?: boolean;
  /** Seconds between refreshes of the bulk copy while waiting for migration_complete (host-assisted). */
  readonly refresh_interval?: number | null;
  readonly migration_id?: string;
  /**
   * Set by a schedule's trigger (EventBridge Scheduler on AWS): the first state records on that
   * schedule the migration it started, or why it refused to start one.
   */
  readonly schedule_id?: string;
}

/** What the first state receives: the execution input and the execution's name. */
export interface ValidateStepInput {
  readonly request: unknown;
  /** Used as the migration id when the input has none, so a retried console start locks only once. */
  readonly execution_name: string;
  /**
   * The execution's ARN ($$.Execution.Id): recorded on the migration, so that the execution a handover
   * started is the one the record names (and the end-of-execution cleanup leaves the migration to it).
   */
  readonly execution_id?: string;
}

/** Loop iterations of one execution (MigrationExecutionState.loop). */
export interface LoopCount {
  readonly cycles: number;
}

/**
 * Where a handed-over execution picks the migration up (long-migrations.md): the driver's phase-1 poll,
 * the wait for migration_complete, or a copy pass waiting out an infrastructure fault (it runs the pass again). Any other point re-derives itself from the migration record.
 */
export type HandoverPoint = 'driver-poll' | 'await-completion' | 'copy-fault';

/**
 * What an execution that hands over adds to its own input for the next one (HANDOVER_AFTER_CYCLES):
 * the migration it works on, the point to resume at, and the state it had there. A `schedule_id` the
 * input keeps is not recorded again: the first execution recorded the schedule's firing.
 */
export interface HandoverInput {
  readonly migration_id: string;
  readonly resume: { readonly at: HandoverPoint; readonly state: MigrationExecutionState };
}

/** Where the copy task reads and writes: given to the ECS task as container environment. */
export interface CopyPlan {
  readonly source: string;
  readonly destination: string;
  /**
   * A file of the modes the source's entries really have while the source's read-only mode has
   * stripped their write bits ('' when the driver keeps none): the destination must get the real ones.
   */
  readonly source_modes: string;
  /**
   * The migration's preserve_metadata, as the container environment takes it (a string): 'false' lets the
   * copy leave out the extended attributes and ACLs the destination refuses instead of failing on them.
   */
  readonly preserve_metadata: 'true' | 'false';
  /** The ECS task definition that mounts both instances (CopyTaskDefinitions); the local runner ignores it. */
  readonly task_definition: string;
  /**
   * A partitioned copy (the migration's `partitions`, when more than 1): the bulk pass plans that many
   * partitions, and every pass runs them as a Distributed Map, `max_copy_tasks` at once. Absent: one task.
   */
  readonly partitions?: number;
  readonly max_copy_tasks?: number;
}

/**
 * Host-assisted with snapshots: before the live data, each snapshot, oldest first, is copied onto the
 * destination (the copy task reads `copy.source`, the snapshot) and the destination is snapshotted.
 */
export interface SnapshotReplayState {
  /** A snapshot is left to replay: the one at `index`. */
  readonly more: boolean;
  /** Its place among the share's snapshots, oldest first (0-based); `count` once all are replayed. */
  readonly index: number;
  readonly count: number;
  readonly snapshot_id?: string;
  /** The copy task's job for it (only while `more`). */
  readonly copy?: CopyPlan;
}

/**
 * The switchover's wait for the clients that may still write to the read-only source: what the check
 * step answers and the Choice after it routes on.
 */
export interface SwitchoverState {
  /**
   * `clear` or `confirmed`: go on to the final copy (or the driver's completion); `waiting`: wait
   * `wait_seconds` and check again; `gave_up`: the source is writable again, wait for migration_complete.
   */
  readonly outcome: 'waiting' | 'clear' | 'confirmed' | 'gave_up';
  readonly polls: number;
  /** How long to wait before the next check (only while waiting). */
  readonly wait_seconds: number;
}

/** What each step returns and the next one receives. */
export interface MigrationExecutionState {
  readonly migration_id: string;
  readonly share_id: string;
  readonly auto_complete: boolean;
  /** Set by the compatibility check. */
  readonly driver_assisted?: boolean;
  /** Set by the driver loop. */
  readonly phase1_done?: boolean;
  /**
   * Set by each driver poll: how long to wait before the next one (the Wait's SecondsPath), growing from
   * DRIVER_POLL.FIRST_SECONDS to DRIVER_POLL.MAX_SECONDS. Carried over a handover, so the backoff does not restart.
   */
  readonly driver_wait_seconds?: number;
  /**
   * Loop iterations in this execution (driver polls, waits for migration_complete that timed out): set to 0
   * by the first state, counted by the loops (an object: a Pass state counts it with States.MathAdd, and a
   * Pass result is an object). At HANDOVER_AFTER_CYCLES the execution hands the migration over to a new
   * execution before its history (at most 25,000 events) fills.
   */
  readonly loop?: LoopCount;
  /** Set by the Pass before a handover: the new execution's name, and what its input adds to this one's. */
  readonly handover?: { readonly name: string; readonly input: HandoverInput };
  /**
   * Set by prepare destination: TimeoutSeconds of one copy pass, from the share's size (copyPassTimeoutSeconds).
   * At the top of the state: the local runtime's adaptation of TimeoutSecondsPath reads top-level fields only.
   */
  readonly copy_timeout_seconds?: number;
  /**
   * Set by phase 1 done: how long one wait for migration_complete lasts before the bulk copy is
   * refreshed (refresh_interval, else the longest wait the workflow makes in one go).
   */
  readonly wait_seconds?: number;
  /** Set by prepare destination, for the copy task. */
  readonly copy?: CopyPlan;
  /**
   * A copy pass's infrastructure faults in a row (cdk/lib/workflow-copy-faults.ts): `{attempts: 0}` after a
   * pass that succeeded; while faults last, their count, the last fault, and the copy state to run again.
   */
  readonly copy_faults?: CopyFaultsState;
  /**
   * Set while a pass waits a fault out past the retry ladder: the wait's length (COPY_FAULT_RETRY.PARK_SECONDS),
   * at the top of the state where the wait's TimeoutSecondsPath reads it (the local runtime reads top-level fields
   * only). More than 0: the migration record shows the wait, and the next pass that succeeds clears it (then 0).
   */
  readonly copy_fault_wait_seconds?: number;
  /** Set by prepare destination and by each snapshot of the destination: the share's next snapshot to replay. */
  readonly snapshot_replay?: SnapshotReplayState;
  /** Set by a Catch: the error that sent the execution to cleanup. */
  readonly error?: StepError;
  /** Set by the Catch on cleanup: why cleanup gave up (the release step records it). */
  readonly cleanup_error?: StepError;
  /** Set by cleanup. */
  readonly outcome?: 'cancelled' | 'error';
  /**
   * Set by validate when a resumed migration's switchover had begun (`cutover`, `driver-complete`), or when
   * a handed-over execution resumes a loop (HandoverPoint): where the workflow picks it up.
   */
  readonly resume_at?: 'cutover' | 'driver-complete' | HandoverPoint;
  /** Set by the check of who may still write to the read-only source. */
  readonly switchover?: SwitchoverState;
  /**
   * Set by that check while it waits: `switchover.wait_seconds` at the top of the state, where the wait's
   * TimeoutSecondsPath reads it (the local runtime's adaptation of TimeoutSecondsPath takes top-level fields only).
   */
  readonly switchover_wait_seconds?: number;
  /** Set by the purge planning step. */
  readonly purge?: PurgeState;
}

/** A copy pass's count of infrastructure faults in a row (MigrationExecutionState.copy_faults). */
export interface CopyFaultsState {
  readonly attempts: number;
  /** The last fault, as the Catch put it. */
  readonly error?: StepError;
  /** The copy state that faulted: the one a wait (or a handed-over execution) runs again. */
  readonly resume?: string;
}

/**
 * Input of the wait-out-a-copy-fault step (Step.COPY_FAULT), a waitForTaskToken task timing out after
 * `wait_seconds`: records the fault on the migration with the token, which migration_cancel answers.
 */
export interface CopyFaultWaitInput {
  readonly migration_id: string;
  readonly share_id: string;
  readonly attempts: number;
  readonly last_error: StepError;
  readonly wait_seconds: number;
  readonly task_token: string;
}

/** Input of the same step once a pass ran after a recorded fault: the fault is over, the record cleared. */
export interface CopyFaultClearedInput {
  readonly migration_id: string;
  readonly share_id: string;
  readonly cleared: true;
}

/** An error as a Catch puts it into the state. */
export interface StepError {
  readonly Error: string;
  readonly Cause: string;
}

/**
 * What cleanup receives when the first state failed other than by refusing (a Lambda error or timeout,
 * a DynamoDB error, an error after it locked the share): what validate received, and the error. There is
 * no migration_id yet; cleanup finds the migration as validate names it (`executionMigrationId`), if
 * validate got as far as creating it.
 */
export interface FailedStartState extends ValidateStepInput {
  readonly error: StepError;
}

/** What cleanup receives: the state of a started migration, or what a failed first state left. */
export type CleanupInput = MigrationExecutionState | FailedStartState;

/** What cleanup returns: its input, the migration's id, and how the migration ended. */
export type CleanupOutput = CleanupInput & { readonly migration_id: string; readonly outcome: 'cancelled' | 'error' };

/** What the release step receives when cleanup gave up: cleanup's input and cleanup's last error. */
export type ReleaseShareInput = CleanupInput & { readonly cleanup_error: StepError };

/** Input of the waitForTaskToken step: the state plus Step Functions' task token. */
export interface AwaitCompletionInput extends MigrationExecutionState {
  readonly task_token: string;
}

/**
 * Input of the switchover's wait between two checks (a waitForTaskToken task): the token migration_complete
 * answers when the operator confirms, so that the next check runs at once.
 */
export interface AwaitSwitchoverInput {
  readonly migration_id: string;
  readonly share_id: string;
  readonly task_token: string;
}

export const Step = {
  VALIDATE: 'validate',
  DRIVER_COMPATIBILITY: 'driver-compatibility',
  DRIVER_START: 'driver-start',
  DRIVER_CONTINUE: 'driver-continue',
  DRIVER_CANCEL: 'driver-cancel',
  DRIVER_COMPLETE: 'driver-complete',
  PREPARE_DESTINATION: 'prepare-destination',
  SNAPSHOT_DESTINATION: 'snapshot-destination',
  PHASE1_DONE: 'phase1-done',
  AWAIT_COMPLETION: 'await-completion',
  SOURCE_READ_ONLY: 'source-read-only',
  CUTOVER: 'cutover',
  CLEANUP: 'cleanup',
  /** Cleanup gave up: record what it left behind and release the share (status available, lock cleared). */
  RELEASE_SHARE: 'release-share',
  /** The source is read-only: may a client connected before still write? Waits, proceeds, or gives back to the operator. */
  SWITCHOVER_WRITERS: 'switchover-writers',
  /** Waits between two of those checks, until the wait ends or the operator confirms (its task token). */
  AWAIT_SWITCHOVER: 'await-switchover',
  /** Records the last purge's outcome and plans the next one (the data a deleted instance left). */
  PLAN_PURGE: 'plan-purge',
  /**
   * A copy pass the platform kept stopping past the retry ladder: records the fault on the migration and waits
   * (a task token that migration_cancel answers); also clears the record once a pass ran.
   */
  COPY_FAULT: 'copy-fault',
} as const;
export type Step = (typeof Step)[keyof typeof Step];
/**
 * The longest single wait for migration_complete: about 24.8 days, what a Node timer (and so the local
 * runtime) can wait. A longer wait refreshes the bulk copy and waits again, which is also what an
 * operator wants of a migration left waiting for weeks.
 */
export const MAX_COMPLETION_WAIT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

export const ALL_STEPS: readonly Step[] = Object.values(Step);

// How long a migration may take and how its loops stay within an execution's history (docs/long-migrations.md).
export {
  COPY_FAULT_RETRY, COPY_PASS_TIMEOUT, DRIVER_POLL, HANDOVER_AFTER_CYCLES, MIN_REFRESH_INTERVAL_SECONDS, copyPassTimeoutSeconds, nextDriverPollSeconds,
} from './workflow-limits.ts';

/** Container environment the copy task reads its job from (ECS container overrides, or the child's env). */
export const CopyTaskEnv = {
  MIGRATION_ID: 'SMIG_MIGRATION_ID',
  SOURCE: 'SMIG_SOURCE',
  DESTINATION: 'SMIG_DESTINATION',
  PASS: 'SMIG_PASS',
  VERIFY: 'SMIG_VERIFY',
  SOURCE_MODES: 'SMIG_SOURCE_MODES',
  /**
   * 'true' (also when absent: the safe default) or 'false', the migration's preserve_metadata: with 'false'
   * the copy leaves out the extended attributes and POSIX ACLs the destination refuses, and says so.
   */
  PRESERVE_METADATA: 'SMIG_PRESERVE_METADATA',
  /** The engine's operations in flight (a migration's copy_concurrency, in its task definition revision). @default the engine's */
  CONCURRENCY: 'SMIG_COPY_CONCURRENCY',
  /** A cap on reads from the source, bytes per second (deployment setting): spares users during the bulk copy. */
  BYTES_PER_SECOND: 'SMIG_COPY_BYTES_PER_SECOND',
  MIGRATIONS_TABLE: 'SMIG_MIGRATIONS_TABLE',
  /** The partitions table (a partitioned copy's plan and reports). */
  PARTITIONS_TABLE: 'SMIG_PARTITIONS_TABLE',
  /**
   * A partitioned copy's step: `plan` (survey the source, cut it into SMIG_PARTITIONS ranges, store the plan)
   * or `seal` (after every partition of a pass: the folders on the cuts, and the pass's summary). Absent: a copy.
   */
  PARTITION_STEP: 'SMIG_PARTITION_STEP',
  /** How many partitions the plan step cuts the source into. */
  PARTITIONS: 'SMIG_PARTITIONS',
  /** This copy task copies partition N of the stored plan (0-based), not the whole tree. */
  PARTITION_INDEX: 'SMIG_PARTITION_INDEX',
  /** The ends of the partition a copy task copies, base64 of the paths' bytes (absent: open; copy-task/engine/partition-range.ts). */
  PARTITION_FROM: 'SMIG_PARTITION_FROM', PARTITION_TO: 'SMIG_PARTITION_TO',
} as const;

/**
 * How the switchover waits for the clients that may still write (steps/switchover-writers.ts): checks
 * `FIRST_SECONDS` apart (or as the driver suggests) and doubling up to `MAX_SECONDS`; after `LIMIT_SECONDS`
 * since the source went read-only, or `MAX_POLLS` checks, it gives the source its writes back and waits
 * for migration_complete again. Between two checks it waits on a task token that migration_complete answers,
 * so a confirmation acts at once. At most MAX_POLLS x 13 history events: far under Step Functions' 25,000.
 */
export const SWITCHOVER_WAIT = {
  FIRST_SECONDS: 15,
  MAX_SECONDS: 300,
  LIMIT_SECONDS: 3600,
  MAX_POLLS: 60,
} as const;

/** Exit codes of the copy task. 143 (128+SIGTERM) is what a stopped container reports. */
export const CopyExitCode = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  CANCELLED: 143,
} as const;

/** Error names the workflow matches in Catch; Step Functions sees them as the thrown error's name. */
export const WorkflowError = {
  CANCELLED: 'MigrationCancelledError',
  DRIVER: 'DriverError',
  ALL: 'States.ALL',
} as const;

/**
 * The errors by which the first state refuses a request before it has locked anything (lambdas/core/errors.ts,
 * migration-lock.ts): the input is invalid, the share or a named resource is not found, the share is busy
 * or not available, a requested guarantee cannot be met. The execution ends with the refusal and nothing
 * to undo. Any other error of the first state (Lambda errors, timeouts, DynamoDB errors, an error after
 * the lock) goes to cleanup.
 */
export const REFUSAL_ERRORS: readonly string[] = ['InvalidRequestError', 'InvalidShareStateError', 'NotFoundError', 'GuaranteeUnmetError'];
