import type { Migration, Share } from '../model.ts';
import { ShareStatus } from '../model.ts';
import { updateVersioned } from '../versioned-update.ts';
import type { MigrationDeps } from './migration-deps.ts';

/**
 * Ends the migration's hold on the share: status back to `available` whatever the outcome, the lock
 * cleared. Idempotent: a share this migration no longer holds is left alone.
 */
export function releaseShare(deps: MigrationDeps, migration: Migration, patch: (s: Share) => Partial<Share>): Promise<Share> {
  return updateVersioned(deps.shares, migration.share_id, (s) => {
    if (s.migration_id !== migration.id) return s;
    return {
      ...s,
      ...patch(s),
      status: ShareStatus.AVAILABLE,
      task_state: migration.task_state,
      migration_id: null,
      updated_at: deps.clock.now().toISOString(),
    };
  }, { shareId: migration.share_id, migrationId: migration.id }, 'Share');
}
