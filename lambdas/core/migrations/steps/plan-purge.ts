import { errorMessage, InvalidRequestError } from '../../errors.ts';
import { PurgeStatus } from '../../model.ts';
import { deletedSharePurges, migrationPurges, SETTLED_PURGES, type PurgeOwner } from '../../purges/data-purges.ts';
import type { PurgeState } from '../../workflow.ts';
import { causeMessage } from '../cleanup-input.ts';
import type { MigrationDeps } from '../migration-deps.ts';

/** What the purge loop receives: a migration's state after cutover or cleanup, or a purge-only execution's input. */
export interface PlanPurgeInput {
  readonly migration_id?: string;
  readonly purge?: PurgeState;
  readonly [key: string]: unknown;
}

/**
 * The purge loop's planner, after a cutover (the source instance), a cleanup (the destination), or a
 * share's deletion (its instances): records what became of the purge task that just ran (`purge.current`:
 * purged, or failed with the error its Catch put in `purge.error`), then plans the next recorded instance
 * that is not settled and not tried yet in this execution. The driver says what the instance left
 * (dataLeftBehind: nothing, or a folder and the root that holds it); the purge task's definition is
 * registered for that root, and `purge.job` is the task's job. With none left, `purge.more` is false,
 * `purge.failed` counts this execution's failures, and a deleted share whose purges are all settled goes.
 * A failure of one record is recorded and the others go on; nothing here stops the migration's own outcome.
 */
export async function planPurgeStep(deps: MigrationDeps, input: PlanPurgeInput): Promise<PlanPurgeInput & { purge: PurgeState }> {
  const previous = input.purge ?? {};
  const owner = ownerOf(deps, input);
  let failed = previous.failed ?? 0;
  const attempted = [...(previous.attempted ?? [])];
  const at = () => deps.clock.now().toISOString();
  if (previous.current) {
    const error = previous.error ? `${previous.error.Error}: ${causeMessage(previous.error.Cause)}` : null;
    if (error !== null) failed += 1;
    await owner.update(previous.current.instance_id, { status: error === null ? PurgeStatus.PURGED : PurgeStatus.FAILED, error, updated_at: at() });
  }
  const base: PurgeState = {
    ...(previous.share_id !== undefined ? { share_id: previous.share_id } : {}),
    ...(previous.migration_id !== undefined ? { migration_id: previous.migration_id } : {}),
    attempted,
  };
  for (const record of await owner.records()) {
    if (SETTLED_PURGES.includes(record.status) || attempted.includes(record.instance.id)) continue;
    attempted.push(record.instance.id);
    try {
      const left = await deps.drivers.forHost(record.instance.host).dataLeftBehind(record.instance);
      if (left === null) {
        await owner.update(record.instance.id, { status: PurgeStatus.NOTHING_LEFT, error: null, updated_at: at() });
        continue;
      }
      const taskDefinition = await deps.copyTaskDefinitions.forPurge(left.mount);
      await owner.update(record.instance.id, { status: PurgeStatus.PURGING, location: left.location, error: null, updated_at: at() });
      return {
        ...withoutPurge(input),
        purge: {
          ...base,
          attempted,
          more: true,
          failed,
          current: { instance_id: record.instance.id, location: left.location },
          job: { task_definition: taskDefinition, root: left.mount.path, folder: left.folder },
        },
      };
    } catch (err) {
      failed += 1;
      await owner.update(record.instance.id, { status: PurgeStatus.FAILED, error: `${(err as Error).name ?? 'Error'}: ${errorMessage(err)}`, updated_at: at() });
    }
  }
  await owner.done();
  return { ...withoutPurge(input), purge: { ...base, attempted, more: false, failed } };
}

function ownerOf(deps: MigrationDeps, input: PlanPurgeInput): PurgeOwner {
  const shareId = input.purge?.share_id;
  if (shareId !== undefined) return deletedSharePurges(deps, shareId);
  const migrationId = input.purge?.migration_id ?? input.migration_id;
  if (migrationId === undefined) throw new InvalidRequestError('A purge names a share being deleted (purge.share_id) or a migration (purge.migration_id)');
  return migrationPurges(deps, migrationId);
}

function withoutPurge(input: PlanPurgeInput): PlanPurgeInput {
  const { purge: _purge, ...rest } = input;
  return rest;
}
