import { SwitchoverStatus } from '../../model.ts';
import { instanceOf } from '../../shares/share-instances.ts';
import { TaskState } from '../../task-state.ts';
import type { MigrationExecutionState } from '../../workflow.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { advance, loadMigration, loadShare, patchMigration } from '../migration-records.ts';
import { switchoverStarted } from '../switchover.ts';

/**
 * Switchover begins (both mechanisms): the source keeps its rules but every one becomes read-only, and the
 * moment they are (when the driver returned) starts the wait for the clients that connected before and may
 * still write (switchover-writers.ts). A switchover that gave up before starts afresh: a new read-only
 * window, a new wait. Driver-assisted migrations enter migration_completing here, as Manila's driver
 * completion does; host-assisted ones data_copying_completing, for the final copy.
 */
export async function sourceReadOnlyStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const before = await loadMigration(deps, state.migration_id);
  const to = before.mechanism === 'driver_assisted' ? TaskState.MIGRATION_COMPLETING : TaskState.DATA_COPYING_COMPLETING;
  const migration = await advance(deps, before.id, to, (m) => {
    const again = m.switchover?.status === SwitchoverStatus.GAVE_UP;
    return { read_only_since: again || !m.read_only_since ? deps.clock.now().toISOString() : m.read_only_since, read_only_until: null };
  });
  const share = await loadShare(deps, migration.share_id, migration.id);
  const source = instanceOf(share, migration.source_instance_id);
  await deps.drivers.forHost(source.host).applyAccessRules(source, share.access_rules, { readOnly: true });
  const readOnlyAt = deps.clock.now().toISOString();
  await patchMigration(deps, migration.id, (m) => (m.switchover && m.switchover.status !== SwitchoverStatus.GAVE_UP ? null : { switchover: switchoverStarted(readOnlyAt) }));
  const { switchover: _previous, ...rest } = state;
  return rest;
}
