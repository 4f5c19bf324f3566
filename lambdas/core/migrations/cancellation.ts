import { MigrationCancelledError } from '../errors.ts';
import type { Migration } from '../model.ts';

/** Long-running steps check this, so a cancel takes effect at the next step boundary. */
export function throwIfCancelRequested(migration: Migration): void {
  if (migration.cancel_requested) {
    throw new MigrationCancelledError('Migration was cancelled by the operator', { shareId: migration.share_id, migrationId: migration.id });
  }
}
