import { errorMessage } from '../errors.ts';
import { isTerminal } from '../task-state.ts';
import type { FailedStartState, StepError } from '../workflow.ts';
import { executionMigrationId } from './execution-migration-id.ts';
import type { MigrationDeps } from './migration-deps.ts';
import { cleanupStep } from './steps/cleanup.ts';
import { releaseShareStep } from './steps/release-share.ts';

/** How an execution ended that its own states did not see end: Step Functions' execution status. */
export const EndedStatus = {
  ABORTED: 'ABORTED',
  TIMED_OUT: 'TIMED_OUT',
  FAILED: 'FAILED',
} as const;
export type EndedStatus = (typeof EndedStatus)[keyof typeof EndedStatus];

/** An execution of the migration state machine that ended without its cleanup path (a status change event). */
export interface EndedExecution {
  /** The execution's ARN. */
  readonly executionArn: string;
  readonly name: string;
  readonly status: EndedStatus;
  /** The execution input, parsed (null when Step Functions left it out of the event). */
  readonly input: unknown;
  /** Step Functions' error and cause, when it gives them (a failure; an abort from the console has none). */
  readonly error?: string | null;
  readonly cause?: string | null;
}

/** What the end of an execution did to its migration. */
export type EndedExecutionOutcome =
  /** The execution only purged data (no migration), or named none that exists. */
  | 'no-migration'
  /** The migration had already ended (its cleanup ran, or a cutover): at most the share was released again. */
  | 'already-ended'
  /** Another execution (a handover's, a restart's) has taken the migration over: left alone. */
  | 'continued-elsewhere'
  /** Cleaned up as the workflow's cleanup would have: the source restored, the migration ended with the cause. */
  | 'cleaned-up'
  /** Cleanup failed: the migration ended in error with what was left behind, the share released. */
  | 'released';

/**
 * An execution stopped from the console, timed out, or failed outside any Catch (a history that outgrew
 * its limit, a runtime error) leaves its migration where it was: the share `migrating`, a replication
 * running. This cleans up as the workflow's own cleanup would (cleanup.ts: the driver's migration undone,
 * the source restored, the destination deleted, the migration ended with the cause), and if that fails
 * releases the share with what was left behind (release-share.ts). Idempotent: an ended migration is left
 * as it is, and a migration whose record names another execution (execution_id: a handover, a restart)
 * is that execution's, not this one's.
 */
export async function cleanUpEndedExecution(deps: MigrationDeps, ended: EndedExecution): Promise<EndedExecutionOutcome> {
  const request = ended.input;
  if (typeof request === 'object' && request !== null && 'purge' in request) return 'no-migration';
  const start: FailedStartState = {
    request: request ?? {},
    execution_name: ended.name,
    error: describeEnd(ended),
  };
  const migration = await deps.migrations.get(executionMigrationId(start));
  if (!migration) return 'no-migration';
  if (migration.execution_id !== null && migration.execution_id !== ended.executionArn) return 'continued-elsewhere';
  const wasEnded = isTerminal(migration.task_state);
  // Named by the migration's id, as every state after validate names it.
  const input = { ...start, request: { ...(typeof request === 'object' && request !== null ? request : {}), migration_id: migration.id } };
  try {
    await cleanupStep(deps, input);
    return wasEnded ? 'already-ended' : 'cleaned-up';
  } catch (err) {
    const cleanupError: StepError = { Error: err instanceof Error ? err.name : 'Error', Cause: errorMessage(err) };
    await releaseShareStep(deps, { ...input, cleanup_error: cleanupError });
    return 'released';
  }
}

/** The end as the migration record keeps an error: by Step Functions' status, with its cause when it gives one. */
function describeEnd(ended: EndedExecution): StepError {
  const how = {
    [EndedStatus.ABORTED]: 'was stopped (from the console or the API) before it finished',
    [EndedStatus.TIMED_OUT]: 'timed out',
    [EndedStatus.FAILED]: 'failed outside the workflow\'s own error handling',
  }[ended.status];
  const detail = [ended.error, ended.cause].filter((part): part is string => typeof part === 'string' && part !== '').join(': ');
  return {
    Error: `Execution${ended.status === EndedStatus.TIMED_OUT ? 'TimedOut' : ended.status === EndedStatus.ABORTED ? 'Aborted' : 'Failed'}`,
    Cause: `Execution ${ended.name} ${how}${detail ? ` (${detail})` : ''}; the migration was cleaned up after it`,
  };
}
