import type { MigrationCompatibility } from '../../../drivers/driver.ts';
import { parseHost } from '../../host.ts';
import type { MigrationOptions } from '../../model.ts';
import { instanceOf } from '../../shares/share-instances.ts';
import { TaskState } from '../../task-state.ts';
import type { MigrationExecutionState } from '../../workflow.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { advance, loadMigration, loadShare, patchMigration } from '../migration-records.ts';

/**
 * The blueprint's approach 1: ask the source driver whether it can migrate natively and whether that
 * meets every guarantee the operator asked for. If not, the host-assisted path runs.
 */
export async function driverCompatibilityStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const migration = await loadMigration(deps, state.migration_id);
  if (migration.mechanism !== null) return { ...state, driver_assisted: migration.mechanism === 'driver_assisted' };

  await advance(deps, migration.id, TaskState.MIGRATION_IN_PROGRESS);
  let driverAssisted = false;
  let reason = 'force_host_assisted_migration was requested';
  if (!migration.options.force_host_assisted_migration) {
    const share = await loadShare(deps, migration.share_id, migration.id);
    const source = instanceOf(share, migration.source_instance_id);
    const answer = await deps.drivers
      .forHost(source.host)
      .migrationCheckCompatibility(source, parseHost(migration.destination_host));
    const unmet = unmetGuarantee(answer, migration.options);
    driverAssisted = answer.compatible && unmet === null;
    reason = !answer.compatible ? (answer.reason ?? 'the driver cannot migrate to the destination') : (unmet ?? '');
  }
  await patchMigration(deps, migration.id, (m) => (m.mechanism !== null ? null : {
    mechanism: driverAssisted ? 'driver_assisted' : 'host_assisted',
    mechanism_reason: driverAssisted ? 'the driver migrates natively' : `host-assisted: ${reason}`,
  }));
  return { ...state, driver_assisted: driverAssisted };
}

function unmetGuarantee(answer: MigrationCompatibility, options: MigrationOptions): string | null {
  for (const key of ['writable', 'nondisruptive', 'preserve_metadata', 'preserve_snapshots'] as const) {
    if (options[key] && !answer[key]) return `the driver cannot guarantee ${key}`;
  }
  return null;
}
