import { parseHost } from '../../host.ts';
import { TaskState } from '../../task-state.ts';
import { copyPassTimeoutSeconds, type CopyPlan, type MigrationExecutionState } from '../../workflow.ts';
import type { MigrationOptions } from '../../model.ts';
import { DEFAULT_MAX_COPY_TASKS } from '../../partitions/partition-records.ts';
import { copyTaskSizeOf } from '../copy-task-size.ts';
import { throwIfStopped } from '../cancellation.ts';
import { ensureDestinationInstance } from '../destination-instance.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { advance, loadMigration, patchLockedShare, patchMigration } from '../migration-records.ts';
import { withInstance } from '../../shares/share-instances.ts';
import { planSnapshotReplay } from '../../snapshots/snapshot-migration.ts';

/** A partitioned copy's size and concurrency (absent: one copy task, as before partitions existed). */
function copyTasksOf(options: MigrationOptions): Pick<CopyPlan, 'partitions' | 'max_copy_tasks'> {
  const partitions = options.partitions ?? 1;
  if (partitions <= 1) return {};
  return { partitions, max_copy_tasks: Math.min(partitions, options.max_copy_tasks ?? DEFAULT_MAX_COPY_TASKS) };
}

/**
 * Host-assisted: create the destination instance and tell the copy task where both sides are, and which
 * of the share's snapshots it replays first (snapshot-migration.ts). Each copy pass may run as long as the
 * share's size needs at a conservative rate (copyPassTimeoutSeconds), not a fixed time.
 */
export async function prepareDestinationStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  throwIfStopped(await loadMigration(deps, state.migration_id));
  const migration = await advance(deps, state.migration_id, TaskState.DATA_COPYING_STARTING);
  const { share, source, destination } = await ensureDestinationInstance(deps, migration);
  const destinationDriver = deps.drivers.forHost(destination.host);
  const exportLocations = await destinationDriver.createInstance({
    instance: destination,
    pool: parseHost(destination.host).pool,
    size_gb: share.size,
    share_proto: share.share_proto,
  });
  const created = { ...destination, export_locations: exportLocations };
  await patchLockedShare(deps, share.id, migration.id, (s) => withInstance(s, created));
  const [sourceMount, destinationMount] = await Promise.all([
    deps.drivers.forHost(source.host).getCopyMount(source),
    destinationDriver.getCopyMount(created),
  ]);
  const taskDefinition = migration.copy_task_definition
    ?? await deps.copyTaskDefinitions.forMigration(migration.id, [sourceMount, destinationMount], copyTaskSizeOf(migration.options));
  if (migration.copy_task_definition !== taskDefinition) {
    await patchMigration(deps, migration.id, () => ({ copy_task_definition: taskDefinition }));
  }
  const snapshotReplay = await planSnapshotReplay(deps, migration, 0);
  await advance(deps, migration.id, TaskState.DATA_COPYING_IN_PROGRESS);
  return {
    ...state,
    copy: {
      source: sourceMount.path,
      destination: destinationMount.path,
      source_modes: sourceMount.originalModesFile ?? '',
      // What the copy may leave out of what the destination refuses (extended attributes, ACLs): nothing unless asked.
      preserve_metadata: migration.options.preserve_metadata ? 'true' : 'false',
      task_definition: taskDefinition,
      ...copyTasksOf(migration.options),
    },
    snapshot_replay: snapshotReplay,
    copy_timeout_seconds: copyPassTimeoutSeconds(share.size),
  };
}
