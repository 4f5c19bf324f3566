import { ShareStatus } from '../../model.ts';
import { withInstance, withoutInstance } from '../../shares/share-instances.ts';
import { TaskState } from '../../task-state.ts';
import type { MigrationExecutionState } from '../../workflow.ts';
import { driverRequest } from '../destination-instance.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { advance, finish, loadShare, patchLockedShare } from '../migration-records.ts';
import { releaseShare } from '../share-release.ts';

/** Driver-assisted switchover (Manila's migration_complete on the driver). */
export async function driverCompleteStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const migration = await advance(deps, state.migration_id, TaskState.MIGRATION_COMPLETING, (m) => ({
    read_only_since: m.read_only_since ?? deps.clock.now().toISOString(),
  }));
  const share = await loadShare(deps, migration.share_id, migration.id);
  if (share.migration_id === migration.id && share.active_instance_id !== migration.destination_instance_id) {
    const request = await driverRequest(deps, migration);
    const exportLocations = await deps.drivers.forHost(request.source.host).migrationComplete(request);
    const destination = { ...request.destination, status: ShareStatus.AVAILABLE, export_locations: exportLocations };
    await deps.drivers.forHost(destination.host).applyAccessRules(destination, share.access_rules, { readOnly: false });
    await patchLockedShare(deps, share.id, migration.id, (s) => ({
      ...withoutInstance(withInstance(s, destination), migration.source_instance_id),
      active_instance_id: destination.id,
      share_type_id: migration.options.new_share_type_id ?? s.share_type_id,
        share_network_id: migration.destination_share_network_id ?? null,
    }));
  }
  const done = await finish(deps, migration.id, TaskState.MIGRATION_SUCCESS, (m) => ({
    read_only_until: m.read_only_until ?? deps.clock.now().toISOString(),
  }));
  await releaseShare(deps, done, (s) => withoutInstance(s, migration.source_instance_id));
  return state;
}
