import type { Clock } from '../ports.ts';
import type { MigrationErrorInfo } from '../model.ts';
import type { CleanupInput, StepError } from '../workflow.ts';
import { executionMigrationId } from './execution-migration-id.ts';

/**
 * The migration cleanup (or the release step after it) works on: the state's, or, after a failed first
 * state, the one that state named (and may have locked) from the execution input and name.
 */
export function cleanupMigrationId(input: CleanupInput): string {
  return 'migration_id' in input ? input.migration_id : executionMigrationId(input);
}

/** The error a Catch put into the state, as the migration record keeps it. */
export function describeStepError(error: StepError | undefined, clock: Clock): MigrationErrorInfo {
  const at = clock.now().toISOString();
  if (!error) return { error: 'MigrationFailed', cause: 'The migration failed for an unknown reason', at };
  return { error: error.Error, cause: causeMessage(error.Cause), at };
}

/**
 * What a Catch's Cause says, for people: Lambda errors arrive as JSON ({"errorType","errorMessage",...}),
 * a stopped ECS task (runTask.sync) as its task description (StoppedReason, Containers[].ExitCode and
 * Reason): both are shown as their message; any other Cause as it is.
 */
export function causeMessage(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown; StoppedReason?: unknown; StopCode?: unknown; Containers?: { ExitCode?: unknown; Reason?: unknown }[] };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
    if (typeof parsed.StoppedReason === 'string') {
      const container = parsed.Containers?.[0];
      const code = typeof container?.ExitCode === 'number' ? ` (exit code ${container.ExitCode})` : '';
      const reason = typeof container?.Reason === 'string' && container.Reason !== '' ? `: ${container.Reason}` : '';
      return `${parsed.StoppedReason}${code}${reason}`;
    }
    return cause;
  } catch {
    return cause;
  }
}
