import { CopyFailedError, SwitchoverBlockedError } from '../../errors.ts';
import { ShareStatus } from '../../model.ts';
import { findInstance, instanceOf, withInstance, withoutInstance } from '../../shares/share-instances.ts';
import { TaskState } from '../../task-state.ts';
import type { MigrationExecutionState } from '../../workflow.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { advance, finish, loadMigration, loadShare, patchLockedShare, patchMigration } from '../migration-records.ts';
import { releaseShare } from '../share-release.ts';
import { assertSnapshotsReplayed } from '../../snapshots/snapshot-migration.ts';
import { recordDeletedInstance } from '../../purges/data-purges.ts';
import { writersGone } from '../switchover.ts';

/**
 * Host-assisted switchover, after the verified final delta: access rules onto the destination, the
 * share points at the destination (the read-only window ends), then (and only then) the source instance is
 * deleted and its leftovers recorded for the purge loop. Refused before anything changes unless no client could still write to the
 * source when the final copy ran (switchover-writers.ts: proven or confirmed).
 */
export async function cutoverStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const before = await loadMigration(deps, state.migration_id);
  const ids = { shareId: before.share_id, migrationId: before.id };
  const finalPass = before.copies.find((c) => c.pass === 'final');
  if (before.task_state !== TaskState.MIGRATION_SUCCESS && (!finalPass || !finalPass.verified)) {
    throw new CopyFailedError('The final delta copy did not report a verified outcome; the source is kept', ids);
  }
  // Once migration_completing, the switch had begun before (a resumed cutover): it is finished, not judged again.
  if (before.task_state === TaskState.DATA_COPYING_COMPLETING && !writersGone(before.switchover)) {
    throw new SwitchoverBlockedError(
      `No proof that clients connected before the source went read-only had stopped writing when the final copy ran (switchover ${before.switchover?.status ?? 'never checked'}); the source is kept`,
      ids,
    );
  }
  const migration = await advance(deps, before.id, TaskState.MIGRATION_COMPLETING);
  const share = await loadShare(deps, migration.share_id, migration.id);
  const source = findInstance(share, migration.source_instance_id);
  const destination = instanceOf(share, migration.destination_instance_id);

  if (share.migration_id === migration.id && share.active_instance_id !== destination.id) {
    assertSnapshotsReplayed(share, migration);
    await deps.drivers.forHost(destination.host).applyAccessRules(destination, share.access_rules, { readOnly: false });
    await patchLockedShare(deps, share.id, migration.id, (s) => {
      const switched = withInstance(s, { ...destination, status: ShareStatus.AVAILABLE });
      const src = findInstance(s, migration.source_instance_id);
      return {
        ...(src ? withInstance(switched, { ...src, status: ShareStatus.INACTIVE }) : switched),
        active_instance_id: destination.id,
        share_type_id: migration.options.new_share_type_id ?? s.share_type_id,
        share_network_id: migration.destination_share_network_id ?? null,
      // The share is in its new pool's zone (Manila's share record follows its instance's).
      ...(migration.destination_availability_zone !== undefined ? { availability_zone: migration.destination_availability_zone } : {}),
      };
    });
  }
  // Clients write again from here, through the destination: the read-only window ends now, not after the
  // source's deletion below (a million files on some arrays), which no client waits for.
  await patchMigration(deps, migration.id, (m) => (m.read_only_until ? null : { read_only_until: deps.clock.now().toISOString() }));
  if (source) {
    await deps.drivers.forHost(source.host).deleteInstance(source);
    await recordDeletedInstance(deps, migration.id, source);
  }
  if (migration.copy_task_definition) await deps.copyTaskDefinitions.release(migration.copy_task_definition);
  const done = await finish(deps, migration.id, TaskState.MIGRATION_SUCCESS, (m) => ({
    read_only_until: m.read_only_until ?? deps.clock.now().toISOString(),
  }));
  await releaseShare(deps, done, (s) => withoutInstance(s, migration.source_instance_id));
  return state;
}
