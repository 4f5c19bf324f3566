import { parseHost } from '../../host.ts';
import { GuaranteeUnmetError } from '../../errors.ts';
import { instanceOf } from '../../shares/share-instances.ts';
import { snapshotsOf } from '../../snapshots/share-snapshots.ts';
import { snapshotReplayProblem } from '../../snapshots/snapshot-migration.ts';
import { TaskState } from '../../task-state.ts';
import type { MigrationExecutionState } from '../../workflow.ts';
import { describeUnmet, unmetByDriver, unmetByHostAssisted } from '../guarantees.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { advance, loadMigration, loadShare, patchMigration } from '../migration-records.ts';

/**
 * The blueprint's approach 1: ask the source driver whether it can migrate natively and whether that
 * meets every guarantee the operator asked for. If not, the host-assisted path runs, unless it cannot
 * meet a requested guarantee either: then the migration fails here, before anything is created.
 */
export async function driverCompatibilityStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const migration = await loadMigration(deps, state.migration_id);
  if (migration.mechanism !== null) return { ...state, driver_assisted: migration.mechanism === 'driver_assisted' };
  const ids = { shareId: migration.share_id, migrationId: migration.id };

  await advance(deps, migration.id, TaskState.MIGRATION_IN_PROGRESS);
  let driverAssisted = false;
  let whyNotDriver = 'force_host_assisted_migration was requested';
  const share = await loadShare(deps, migration.share_id, migration.id);
  if (!migration.options.force_host_assisted_migration) {
    const source = instanceOf(share, migration.source_instance_id);
    const answer = await deps.drivers
      .forHost(source.host)
      .migrationCheckCompatibility(source, parseHost(migration.destination_host));
    const unmet = unmetByDriver(answer, migration.options);
    // Manila: a driver that cannot preserve snapshots cannot migrate a share that has some.
    const leavesSnapshots = !answer.preserve_snapshots && snapshotsOf(share).length > 0;
    driverAssisted = answer.compatible && unmet.length === 0 && !leavesSnapshots;
    whyNotDriver = !answer.compatible
      ? (answer.reason ?? 'the driver cannot migrate to the destination')
      : unmet.length > 0 ? `the driver cannot guarantee ${unmet.join(', ')}` : 'the driver cannot carry the share\'s snapshots';
  }
  if (!driverAssisted) {
    const hostUnmet = unmetByHostAssisted(migration.options);
    if (hostUnmet.length > 0) {
      throw new GuaranteeUnmetError(
        `No migration path meets the requested guarantees. Driver-assisted: ${whyNotDriver}. Host-assisted: ${describeUnmet(hostUnmet)}.`,
        ids,
      );
    }
    const snapshotProblem = await snapshotReplayProblem(deps, share, migration.destination_host);
    if (snapshotProblem !== null) {
      throw new GuaranteeUnmetError(`No migration path can carry the share's snapshots. Driver-assisted: ${whyNotDriver}. Host-assisted: ${snapshotProblem}.`, ids);
    }
  }
  await patchMigration(deps, migration.id, (m) => (m.mechanism !== null ? null : {
    mechanism: driverAssisted ? 'driver_assisted' : 'host_assisted',
    mechanism_reason: driverAssisted ? 'the driver migrates natively' : `host-assisted: ${whyNotDriver}`,
  }));
  return { ...state, driver_assisted: driverAssisted };
}
