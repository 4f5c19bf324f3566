import { CopyFailedError, MigrationCancelledError } from '../errors.ts';
import type { Migration } from '../model.ts';

/**
 * Steps that start work check this first, so a cancel takes effect at the next step boundary and a
 * migration whose copy already recorded a failure (e.g. before a restart) goes to cleanup, not on.
 */
export function throwIfStopped(migration: Migration): void {
  const ids = { shareId: migration.share_id, migrationId: migration.id };
  if (migration.cancel_requested) throw new MigrationCancelledError('Migration was cancelled by the operator', ids);
  if (migration.error) throw new CopyFailedError(`Migration had failed: ${migration.error.cause}`, ids);
}
