import { ShareStatus } from '../../model.ts';
import { findInstance, withInstance, withoutInstance } from '../../shares/share-instances.ts';
import { TaskState } from '../../task-state.ts';
import type { MigrationExecutionState } from '../../workflow.ts';
import { driverRequest } from '../destination-instance.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { advance, finish, loadShare, patchLockedShare } from '../migration-records.ts';
import { releaseShare } from '../share-release.ts';
import { withSnapshotInstancesMoved } from '../../snapshots/share-snapshots.ts';
import { recordDeletedInstance } from '../../purges/data-purges.ts';
import { writersGone } from '../switchover.ts';

/**
 * Driver-assisted switchover (Manila's migration_complete on the driver): the driver completes, the
 * access rules go onto the destination, the share points at it, then the source instance is deleted
 * (a no-op where the driver moved it, a real delete where it copied it, e.g. EFS replication) and its
 * leftovers recorded for the purge loop. The driver is told from when no client could still write to the
 * source, when the switchover established it (switchover-writers.ts); a resumed completion lets the
 * driver establish it again.
 */
export async function driverCompleteStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const migration = await advance(deps, state.migration_id, TaskState.MIGRATION_COMPLETING, (m) => ({
    read_only_since: m.read_only_since ?? deps.clock.now().toISOString(),
  }));
  const share = await loadShare(deps, migration.share_id, migration.id);
  if (share.migration_id === migration.id && share.active_instance_id !== migration.destination_instance_id) {
    const request = await driverRequest(deps, migration);
    const gone = writersGone(migration.switchover) ? migration.switchover?.clear_since : null;
    const exportLocations = await deps.drivers.forHost(request.source.host).migrationComplete({
      ...request, ...(gone ? { writersGoneSince: new Date(gone) } : {}),
    });
    const destination = { ...request.destination, status: ShareStatus.AVAILABLE, export_locations: exportLocations };
    await deps.drivers.forHost(destination.host).applyAccessRules(destination, share.access_rules, { readOnly: false });
    await patchLockedShare(deps, share.id, migration.id, (s) => ({
      // The driver took the snapshots along (it promised preserve_snapshots, or there were none).
      ...withInstance(withInstance(withSnapshotInstancesMoved(s, migration.source_instance_id, destination.id), destination), { ...request.source, status: ShareStatus.INACTIVE }),
      active_instance_id: destination.id,
      share_type_id: migration.options.new_share_type_id ?? s.share_type_id,
      share_network_id: migration.destination_share_network_id ?? null,
      // The share is in its new pool's zone (Manila's share record follows its instance's).
      ...(migration.destination_availability_zone !== undefined ? { availability_zone: migration.destination_availability_zone } : {}),
    }));
  }
  const switched = await loadShare(deps, migration.share_id, migration.id);
  const source = findInstance(switched, migration.source_instance_id);
  if (source && switched.active_instance_id === migration.destination_instance_id) {
    await deps.drivers.forHost(source.host).deleteInstance(source);
    await recordDeletedInstance(deps, migration.id, source);
  }
  const done = await finish(deps, migration.id, TaskState.MIGRATION_SUCCESS, (m) => ({
    read_only_until: m.read_only_until ?? deps.clock.now().toISOString(),
  }));
  await releaseShare(deps, done, (s) => withoutInstance(s, migration.source_instance_id));
  return state;
}
