import type { DriverMigrationRequest } from '../../../drivers/driver.ts';
import { DriverMigrationCommittedError } from '../../errors.ts';
import type { CleanupProgress, Migration } from '../../model.ts';
import { ShareStatus } from '../../model.ts';
import { findInstance, withInstance, withoutInstance } from '../../shares/share-instances.ts';
import { TaskState, isTerminal } from '../../task-state.ts';
import { canTransition } from '../../task-state-transitions.ts';
import type { CleanupInput, CleanupOutput } from '../../workflow.ts';
import { WorkflowError } from '../../workflow.ts';
import { cleanupMigrationId, describeStepError } from '../cleanup-input.ts';
import { driverRequest } from '../destination-instance.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { advance, finish, loadShare, patchLockedShare, patchMigration } from '../migration-records.ts';
import { releaseShare } from '../share-release.ts';
import { recordDeletedInstance } from '../../purges/data-purges.ts';

/** Nothing undone yet. */
export const NOTHING_UNDONE: CleanupProgress = { driver_cancelled: false, driver_committed: false, destination_deleted: false, source_restored: false };

/**
 * Every error or cancel before switchover lands here, and every failure of the first state that is not
 * a refusal. The source is restored as it was (writable, same rules, same data), whatever the migration
 * created is removed, and the migration ends in migration_cancelled or migration_error with the share
 * `available`. Each undo is recorded once done (`cleanup_progress`), so a cleanup that gives up says what
 * it left (release-share.ts). Runs safely more than once.
 */
export async function cleanupStep(deps: MigrationDeps, input: CleanupInput): Promise<CleanupOutput> {
  const migrationId = cleanupMigrationId(input);
  const ended = (outcome: CleanupOutput['outcome']): CleanupOutput => ({ ...input, migration_id: migrationId, outcome });
  let migration = await deps.migrations.get(migrationId);
  // The first state failed before it created the migration: it locked nothing, there is nothing to undo.
  if (!migration) return ended('error');
  if (isTerminal(migration.task_state)) {
    await releaseShare(deps, migration, () => ({}));
    return ended(migration.task_state === TaskState.MIGRATION_CANCELLED ? 'cancelled' : 'error');
  }
  const cancelled = migration.cancel_requested || input.error?.Error === WorkflowError.CANCELLED;
  const error = migration.error ?? describeStepError(input.error, deps.clock);
  if (!migration.error && !cancelled) migration = await patchMigration(deps, migration.id, () => ({ error }));

  const share = await loadShare(deps, migration.share_id, migration.id);
  // Not held: the first state died between creating the migration and locking the share. Only the record ends.
  if (share.migration_id === migration.id) {
    migration = await markUndoing(deps, migration, cancelled);
    if (share.active_instance_id === migration.destination_instance_id) {
      // The data may already live only on the destination: keep everything, tell the operator.
      migration = await patchMigration(deps, migration.id, (m) => ({
        error: { ...(m.error ?? error), cause: `${(m.error ?? error).cause} (switchover had begun: nothing was deleted; check both instances)` },
      }));
    } else {
      await restoreSource(deps, migration);
    }
    if (migration.copy_task_definition) await deps.copyTaskDefinitions.release(migration.copy_task_definition);
  }
  const final = cancelled ? TaskState.MIGRATION_CANCELLED : TaskState.MIGRATION_ERROR;
  const done = await finish(deps, migration.id, final, (m) => ({
    read_only_until: m.read_only_since && !m.read_only_until ? deps.clock.now().toISOString() : m.read_only_until,
  }));
  await releaseShare(deps, done, () => ({}));
  return ended(cancelled ? 'cancelled' : 'error');
}

/** The states in which a failure is the data copy's (Manila's data service then reports data_copying_error). */
const COPYING_STATES: readonly TaskState[] = [TaskState.DATA_COPYING_STARTING, TaskState.DATA_COPYING_IN_PROGRESS, TaskState.DATA_COPYING_COMPLETED];

/**
 * Says, before anything is undone, that the migration is being undone, in Manila's words: a cancel is
 * `migration_cancel_in_progress`, a failed copy `data_copying_error`. A cleanup that takes long (a driver
 * that is not ready, retries) then shows what it does instead of the step that failed, and migration_cancel
 * is refused rather than accepted with nothing left to cancel. Other failures keep their state until the end.
 */
async function markUndoing(deps: MigrationDeps, migration: Migration, cancelled: boolean): Promise<Migration> {
  const to = cancelled ? TaskState.MIGRATION_CANCEL_IN_PROGRESS : COPYING_STATES.includes(migration.task_state) ? TaskState.DATA_COPYING_ERROR : null;
  if (to === null || migration.task_state === to || !canTransition(migration.task_state, to)) return migration;
  return advance(deps, migration.id, to);
}

/**
 * Driver-assisted: the source driver undoes its migration (replication, a destination it made, the
 * source's write access it took), unless its switch is committed. Then the source gets its rules back,
 * writable (first: that is what users wait for), and the destination is deleted (a no-op for an
 * instance never created) unless the driver committed its switch to it.
 */
async function restoreSource(deps: MigrationDeps, migration: Migration): Promise<void> {
  const request = await driverRequest(deps, migration);
  let progress = migration.cleanup_progress ?? NOTHING_UNDONE;
  if (migration.mechanism === 'driver_assisted' && !progress.driver_cancelled && !progress.driver_committed) {
    progress = await undoDriverMigration(deps, migration, request);
  }
  const share = await loadShare(deps, migration.share_id, migration.id);
  if (!progress.source_restored) {
    await deps.drivers.forHost(request.source.host).applyAccessRules(request.source, share.access_rules, { readOnly: false });
    progress = await recordProgress(deps, migration.id, { source_restored: true });
  }
  if (!progress.driver_committed && !progress.destination_deleted) {
    await deps.drivers.forHost(request.destination.host).deleteInstance(request.destination);
    // The purge loop after cleanup removes what the deletion left (an access point's folder on EFS).
    if (findInstance(share, migration.destination_instance_id)) await recordDeletedInstance(deps, migration.id, request.destination);
    progress = await recordProgress(deps, migration.id, { destination_deleted: true });
  }
  const keepDestination = progress.driver_committed;
  await patchLockedShare(deps, share.id, migration.id, (s) => {
    const source = findInstance(s, migration.source_instance_id);
    const withSource = source ? withInstance(s, { ...source, status: ShareStatus.AVAILABLE }) : s;
    return keepDestination ? withSource : withoutInstance(withSource, migration.destination_instance_id);
  });
}

/**
 * Asks the source driver to undo its migration. A driver whose switch is committed refuses by name
 * (DriverMigrationCommittedError): the destination may hold the only current data, so both instances are
 * kept and the record says so. Any other error propagates, and the workflow retries cleanup.
 */
async function undoDriverMigration(deps: MigrationDeps, migration: Migration, request: DriverMigrationRequest): Promise<CleanupProgress> {
  try {
    await deps.drivers.forHost(request.source.host).migrationCancel(request);
    return await recordProgress(deps, migration.id, { driver_cancelled: true });
  } catch (err) {
    if (!isCommittedRefusal(err)) throw err;
    const note = `the source driver refused to undo its migration because the switch to destination instance ${migration.destination_instance_id} `
      + `on ${migration.destination_host} is committed: both instances are kept, nothing was deleted, the share stays on source instance `
      + `${migration.source_instance_id}; compare both before deleting either`;
    const updated = await patchMigration(deps, migration.id, (m) => ({
      cleanup_progress: { ...(m.cleanup_progress ?? NOTHING_UNDONE), driver_committed: true },
      error: m.error
        ? { ...m.error, cause: `${m.error.cause} (${note})` }
        : { error: (err as Error).name, cause: note, at: deps.clock.now().toISOString() },
    }));
    return updated.cleanup_progress ?? NOTHING_UNDONE;
  }
}

/** By name as well as class: Step Functions and the drivers agree on error names. */
function isCommittedRefusal(err: unknown): boolean {
  return err instanceof DriverMigrationCommittedError || (err instanceof Error && err.name === 'DriverMigrationCommittedError');
}

async function recordProgress(deps: MigrationDeps, migrationId: string, done: Partial<CleanupProgress>): Promise<CleanupProgress> {
  const updated = await patchMigration(deps, migrationId, (m) => ({ cleanup_progress: { ...(m.cleanup_progress ?? NOTHING_UNDONE), ...done } }));
  return updated.cleanup_progress ?? NOTHING_UNDONE;
}
