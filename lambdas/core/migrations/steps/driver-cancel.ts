import { ShareStatus } from '../../model.ts';
import { withInstance, withoutInstance, instanceOf } from '../../shares/share-instances.ts';
import type { MigrationExecutionState } from '../../workflow.ts';
import { driverRequest } from '../destination-instance.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { GuaranteeUnmetError } from '../../errors.ts';
import { describeUnmet, unmetByHostAssisted } from '../guarantees.ts';
import { loadMigration, loadShare, patchLockedShare, patchMigration } from '../migration-records.ts';
import { snapshotReplayProblem } from '../../snapshots/snapshot-migration.ts';

/**
 * The driver failed: undo what it allocated and hand over to the host-assisted path
 * (the blueprint's "try approach 1, then approach 2").
 */
export async function driverCancelStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const migration = await loadMigration(deps, state.migration_id);
  const request = await driverRequest(deps, migration);
  await deps.drivers.forHost(request.source.host).migrationCancel(request);
  const cause = state.error ? `${state.error.Error}: ${state.error.Cause}` : 'driver-assisted migration failed';
  const hostUnmet = unmetByHostAssisted(migration.options);
  if (hostUnmet.length > 0) {
    // Only the driver could give what was asked: no fallback; cleanup ends it in migration_error.
    throw new GuaranteeUnmetError(
      `The driver-assisted migration failed (${cause}) and the host-assisted path cannot take over: ${describeUnmet(hostUnmet)}.`,
      { shareId: migration.share_id, migrationId: migration.id },
    );
  }
  const snapshotProblem = await snapshotReplayProblem(deps, await loadShare(deps, migration.share_id, migration.id), migration.destination_host);
  if (snapshotProblem !== null) {
    throw new GuaranteeUnmetError(
      `The driver-assisted migration failed (${cause}) and the host-assisted path cannot carry the share's snapshots: ${snapshotProblem}.`,
      { shareId: migration.share_id, migrationId: migration.id },
    );
  }
  await patchLockedShare(deps, migration.share_id, migration.id, (s) => {
    const source = instanceOf(s, migration.source_instance_id);
    return withInstance(withoutInstance(s, migration.destination_instance_id), { ...source, status: ShareStatus.MIGRATING });
  });
  await patchMigration(deps, migration.id, (m) => (m.mechanism === 'host_assisted' ? null : {
    mechanism: 'host_assisted',
    mechanism_reason: `driver-assisted migration failed, fell back to host-assisted: ${cause}`,
  }));
  const { error: _handled, ...rest } = state;
  return { ...rest, driver_assisted: false };
}
