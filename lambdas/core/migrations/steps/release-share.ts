import type { LeftBehindInstance, Migration, Share } from '../../model.ts';
import { ShareStatus } from '../../model.ts';
import { findInstance, withInstance, withoutInstance } from '../../shares/share-instances.ts';
import { TaskState, isTerminal } from '../../task-state.ts';
import type { CleanupOutput, ReleaseShareInput } from '../../workflow.ts';
import { causeMessage, cleanupMigrationId, describeStepError } from '../cleanup-input.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { finish, loadShare, patchMigration } from '../migration-records.ts';
import { releaseShare } from '../share-release.ts';
import { NOTHING_UNDONE } from './cleanup.ts';

/** Where the migration's own cause ends and the release step's account begins (a retried release rewrites it). */
const GAVE_UP = '; cleanup gave up';

/**
 * Cleanup gave up (its retries exhausted): the last resort, so the share does not stay locked. The
 * migration ends in migration_error with a cause that says exactly what was left behind (from what
 * cleanup recorded as undone), and the share is released: `available` on its source, the lock cleared.
 * A destination cleanup could not delete leaves the share's record for the migration's `left_behind`,
 * where an operator finds it to delete it on its backend (the share itself must not list an instance
 * that is not its own: a later delete of the share would fail on it). No driver is called: whatever made
 * cleanup fail would fail here too. Runs safely more than once.
 */
export async function releaseShareStep(deps: MigrationDeps, input: ReleaseShareInput): Promise<CleanupOutput> {
  const migrationId = cleanupMigrationId(input);
  const ended: CleanupOutput = { ...input, migration_id: migrationId, outcome: 'error' };
  let migration = await deps.migrations.get(migrationId);
  if (!migration) return ended;
  if (!isTerminal(migration.task_state)) {
    const share = await loadShare(deps, migration.share_id, migration.id);
    const cleanupError = `${input.cleanup_error.Error}: ${causeMessage(input.cleanup_error.Cause)}`;
    const gaveUp = `${GAVE_UP} (${cleanupError}); left behind: ${leftBehind(migration, share)}`;
    const orphans = orphanedInstances(migration, share, cleanupError, deps.clock.now().toISOString());
    await patchMigration(deps, migration.id, (m) => {
      const error = m.error ?? describeStepError(input.error, deps.clock);
      return { error: { ...error, cause: `${error.cause.split(GAVE_UP)[0]}${gaveUp}` }, left_behind: m.left_behind ?? orphans };
    });
    migration = await finish(deps, migration.id, TaskState.MIGRATION_ERROR, (m) => ({
      read_only_until: m.read_only_since && !m.read_only_until ? deps.clock.now().toISOString() : m.read_only_until,
    }));
  }
  const done = migration;
  await releaseShare(deps, done, (s) => onItsSource(s, done));
  return ended;
}

/**
 * The destination cleanup did not delete, when the share is still on its source and the driver did not
 * commit a switch to it (then cleanup keeps both instances in the share, and so does this step).
 */
function orphanedInstances(migration: Migration, share: Share, cleanupError: string, at: string): LeftBehindInstance[] {
  const progress = migration.cleanup_progress ?? NOTHING_UNDONE;
  const destination = findInstance(share, migration.destination_instance_id);
  if (share.migration_id !== migration.id || share.active_instance_id !== migration.source_instance_id) return [];
  if (!destination || progress.destination_deleted || progress.driver_committed) return [];
  return [{
    instance: destination,
    role: 'destination',
    reason: `cleanup could not delete it (${cleanupError}); it may hold a partial copy of the share's data: `
      + `delete instance ${destination.id} on ${destination.host} once its backend answers`,
    at,
  }];
}

/**
 * What cleanup's last write would have made of the share: the source `available`, the destination gone
 * from the share's instances (deleted, or recorded in `left_behind`). A share already switched to the
 * destination, or whose driver committed its switch, keeps both instances, as cleanup keeps them.
 */
function onItsSource(share: Share, migration: Migration): Partial<Share> {
  if (share.active_instance_id !== migration.source_instance_id) return {};
  const progress = migration.cleanup_progress ?? NOTHING_UNDONE;
  const source = findInstance(share, migration.source_instance_id);
  let next = source && source.status !== ShareStatus.AVAILABLE ? withInstance(share, { ...source, status: ShareStatus.AVAILABLE }) : share;
  const orphaned = (migration.left_behind ?? []).some((left) => left.instance.id === migration.destination_instance_id);
  if (!progress.driver_committed && (progress.destination_deleted || orphaned)) next = withoutInstance(next, migration.destination_instance_id);
  return next;
}

/** What cleanup did not undo, by instance id and host, from its recorded progress. */
function leftBehind(migration: Migration, share: Share): string {
  if (share.migration_id !== migration.id) return 'nothing: the migration never held the share';
  const progress = migration.cleanup_progress ?? NOTHING_UNDONE;
  const source = findInstance(share, migration.source_instance_id);
  const sourceHost = source?.host ?? migration.source_host;
  const items: string[] = [];
  if (share.active_instance_id === migration.destination_instance_id) {
    items.push(`the share was already switched to destination instance ${migration.destination_instance_id} on ${migration.destination_host}`);
    items.push(`source instance ${migration.source_instance_id} on ${sourceHost} was not deleted`);
  } else {
    if (migration.mechanism === 'driver_assisted' && !progress.driver_cancelled) {
      items.push(progress.driver_committed
        ? 'the source driver had committed its switch to the destination (it refused to undo it)'
        : `the source driver's migration was not undone (replication to the destination may still run; the driver may still deny writes on the source)`);
    }
    items.push(progress.destination_deleted
      ? `destination instance ${migration.destination_instance_id} on ${migration.destination_host} was deleted`
      : `destination instance ${migration.destination_instance_id} on ${migration.destination_host} was NOT deleted`);
    items.push(progress.source_restored
      ? `the access rules of source instance ${migration.source_instance_id} on ${sourceHost} were restored (writable)`
      : `the access rules of source instance ${migration.source_instance_id} on ${sourceHost} were NOT restored (it may still be read-only: re-apply its rules)`);
  }
  if (migration.copy_task_definition) items.push(`copy task definition ${migration.copy_task_definition} (deregister it if it is still ACTIVE)`);
  return items.join('; ');
}
