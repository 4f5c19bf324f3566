import type { MigrationExecutionState } from '../../workflow.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { validateAndLock } from '../migration-lock.ts';
import { validateMigrationInput } from '../migration-request.ts';

/** First state: the same checks and lock as the API, for executions started from the console or a schedule. */
export async function validateStep(deps: MigrationDeps, input: unknown): Promise<MigrationExecutionState> {
  const request = validateMigrationInput(input);
  const migration = await validateAndLock(deps, request);
  return { migration_id: migration.id, share_id: migration.share_id, auto_complete: migration.options.auto_complete };
}
