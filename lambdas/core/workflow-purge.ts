/**
 * The purge loop's part of the contract between the state machine and its steps (workflow.ts): the purge
 * task's job and its container environment and exit codes, the loop's state, and an execution that only
 * purges. workflow.ts re-exports all of it.
 */
import type { StepError } from './workflow.ts';

/** The purge task's job: the file system root mounted at `root`, the folder in it to remove. */
export interface PurgeJob {
  readonly task_definition: string;
  readonly root: string;
  readonly folder: string;
}

/**
 * The purge loop (plan, purge, plan again...) after a cutover, a cleanup, or a share's deletion. Whose
 * records it works through: `share_id` for a share being deleted, else `migration_id` (or the state's).
 */
export interface PurgeState {
  readonly share_id?: string;
  readonly migration_id?: string;
  /** Instance ids tried in this execution: each at most once. */
  readonly attempted?: readonly string[];
  /** A purge task is to run: `current` and `job`. */
  readonly more?: boolean;
  /** Purges that failed in this execution (the execution then fails once the loop ends). */
  readonly failed?: number;
  readonly current?: { readonly instance_id: string; readonly location: string };
  readonly job?: PurgeJob;
  /** Set by the Catch of the purge task: why it failed. */
  readonly error?: StepError;
}

/**
 * An execution that only purges (README: "Data of deleted instances"): the API starts one for a deleted
 * share whose instances left data; an operator may start one to retry a migration's failed purges.
 */
export interface PurgeExecutionInput {
  readonly purge: { readonly share_id: string } | { readonly migration_id: string };
}

/** The purge task's entry in the copy image, run by node (the purge task definition's entry point). */
export const PURGE_ENTRY = 'copy-task/bin/smig-purge-container.ts';

/** Container environment the purge task reads its job from. */
export const PurgeTaskEnv = {
  /** Where the file system's root is mounted in the container. */
  ROOT: 'SMIG_PURGE_ROOT',
  /** The folder to remove, relative to the root: `shares/share-<instance id>`. */
  FOLDER: 'SMIG_PURGE_FOLDER',
  /** The deleted instance's id, for the logs. */
  INSTANCE_ID: 'SMIG_PURGE_INSTANCE_ID',
} as const;

/** Exit codes of the purge task. */
export const PurgeExitCode = {
  /** Removed, or already gone. */
  OK: 0,
  FAILED: 1,
  /** The environment does not describe a job. */
  USAGE: 2,
  /** The folder is not a driver-made instance folder (or is a link): nothing was touched. */
  REFUSED: 3,
  /** Stopped (SIGTERM): what was removed stays removed; running it again finishes. */
  CANCELLED: 143,
} as const;
