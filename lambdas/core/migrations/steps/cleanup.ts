import { errorMessage } from '../../errors.ts';
import type { Migration, MigrationErrorInfo } from '../../model.ts';
import { ShareStatus } from '../../model.ts';
import { findInstance, withInstance, withoutInstance } from '../../shares/share-instances.ts';
import { TaskState, isTerminal } from '../../task-state.ts';
import type { MigrationExecutionState } from '../../workflow.ts';
import { WorkflowError } from '../../workflow.ts';
import { driverRequest } from '../destination-instance.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { finish, loadMigration, loadShare, patchLockedShare, patchMigration } from '../migration-records.ts';
import { releaseShare } from '../share-release.ts';

/**
 * Every error or cancel before switchover lands here. The source is restored as it was (writable, same
 * rules, same data), whatever the migration created is removed, and the migration ends in
 * migration_cancelled or migration_error with the share `available`. Runs safely more than once.
 */
export async function cleanupStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  let migration = await loadMigration(deps, state.migration_id);
  if (isTerminal(migration.task_state)) {
    await releaseShare(deps, migration, () => ({}));
    return { ...state, outcome: migration.task_state === TaskState.MIGRATION_CANCELLED ? 'cancelled' : 'error' };
  }
  const cancelled = migration.cancel_requested || state.error?.Error === WorkflowError.CANCELLED;
  const error = migration.error ?? describeError(state, deps);
  if (!migration.error && !cancelled) migration = await patchMigration(deps, migration.id, () => ({ error }));

  const share = await loadShare(deps, migration.share_id, migration.id);
  const switched = share.active_instance_id === migration.destination_instance_id;
  const driverMayHaveMoved = migration.mechanism === 'driver_assisted' && migration.history.some((h) => h.task_state === TaskState.MIGRATION_COMPLETING);
  if (!switched && !driverMayHaveMoved) {
    await restoreSource(deps, migration);
  } else {
    // The data may already live only on the destination: keep everything, tell the operator.
    migration = await patchMigration(deps, migration.id, (m) => ({
      error: { ...(m.error ?? error), cause: `${(m.error ?? error).cause} (switchover had begun: nothing was deleted; check both instances)` },
    }));
  }
  if (migration.copy_task_definition) await deps.copyTaskDefinitions.release(migration.copy_task_definition);
  const final = cancelled ? TaskState.MIGRATION_CANCELLED : TaskState.MIGRATION_ERROR;
  const ended = await finish(deps, migration.id, final, (m) => ({
    read_only_until: m.read_only_since && !m.read_only_until ? deps.clock.now().toISOString() : m.read_only_until,
  }));
  await releaseShare(deps, ended, () => ({}));
  return { ...state, outcome: cancelled ? 'cancelled' : 'error' };
}

async function restoreSource(deps: MigrationDeps, migration: Migration): Promise<void> {
  const request = await driverRequest(deps, migration);
  const sourceDriver = deps.drivers.forHost(request.source.host);
  const share = await loadShare(deps, migration.share_id, migration.id);
  if (migration.mechanism === 'driver_assisted') {
    await sourceDriver.migrationCancel(request);
  }
  // Deleting an instance the driver never created is a no-op, so this is safe at any point.
  await deps.drivers.forHost(request.destination.host).deleteInstance(request.destination);
  await sourceDriver.applyAccessRules(request.source, share.access_rules, { readOnly: false });
  await patchLockedShare(deps, share.id, migration.id, (s) => {
    const source = findInstance(s, migration.source_instance_id);
    const withSource = source ? withInstance(s, { ...source, status: ShareStatus.AVAILABLE }) : s;
    return withoutInstance(withSource, migration.destination_instance_id);
  });
}

function describeError(state: MigrationExecutionState, deps: MigrationDeps): MigrationErrorInfo {
  const at = deps.clock.now().toISOString();
  if (!state.error) return { error: 'MigrationFailed', cause: 'The migration failed for an unknown reason', at };
  return { error: state.error.Error, cause: causeMessage(state.error.Cause), at };
}

/** Lambda errors arrive as a JSON Cause ({"errorType","errorMessage",...}); show the message. */
function causeMessage(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch (err) {
    return cause || errorMessage(err);
  }
}
