import { instanceOf } from '../../shares/share-instances.ts';
import { TaskState } from '../../task-state.ts';
import type { MigrationExecutionState } from '../../workflow.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { advance, loadShare } from '../migration-records.ts';

/** Switchover begins: the source keeps its rules but every one becomes read-only for the final delta. */
export async function sourceReadOnlyStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const migration = await advance(deps, state.migration_id, TaskState.DATA_COPYING_COMPLETING, (m) => ({
    read_only_since: m.read_only_since ?? deps.clock.now().toISOString(),
  }));
  const share = await loadShare(deps, migration.share_id, migration.id);
  const source = instanceOf(share, migration.source_instance_id);
  await deps.drivers.forHost(source.host).applyAccessRules(source, share.access_rules, { readOnly: true });
  return state;
}
