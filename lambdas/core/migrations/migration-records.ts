import { NotFoundError } from '../errors.ts';
import type { Migration, Share } from '../model.ts';
import { canTransition } from '../task-state-transitions.ts';
import { TaskState, isTerminal } from '../task-state.ts';
import { IllegalTransitionError } from '../errors.ts';
import { updateVersioned } from '../versioned-update.ts';
import { TASK_STATE_CHANGE, taskStateChange } from '../events/migration-event.ts';
import type { MigrationDeps } from './migration-deps.ts';

/** The happy paths' order, so a replayed step can tell "already past this state" from a real conflict. */
const PATH_RANK: Partial<Record<TaskState, number>> = {
  [TaskState.MIGRATION_STARTING]: 0,
  [TaskState.MIGRATION_IN_PROGRESS]: 1,
  [TaskState.MIGRATION_DRIVER_STARTING]: 2,
  [TaskState.MIGRATION_DRIVER_IN_PROGRESS]: 3,
  [TaskState.DATA_COPYING_STARTING]: 4,
  [TaskState.DATA_COPYING_IN_PROGRESS]: 5,
  [TaskState.MIGRATION_DRIVER_PHASE1_DONE]: 6,
  [TaskState.DATA_COPYING_COMPLETED]: 6,
  [TaskState.DATA_COPYING_COMPLETING]: 7,
  [TaskState.MIGRATION_COMPLETING]: 8,
  [TaskState.MIGRATION_SUCCESS]: 9,
};

export async function loadMigration(deps: MigrationDeps, migrationId: string): Promise<Migration> {
  const migration = await deps.migrations.get(migrationId);
  if (!migration) throw new NotFoundError(`Migration ${migrationId} not found`, { migrationId });
  return migration;
}

export async function loadShare(deps: MigrationDeps, shareId: string, migrationId?: string): Promise<Share> {
  const share = await deps.shares.get(shareId);
  if (!share) throw new NotFoundError(`Share ${shareId} could not be found.`, { shareId, migrationId });
  return share;
}

/** Applies `patch` to the migration record (conditional write; retried on a lost race). */
export function patchMigration(
  deps: MigrationDeps,
  migrationId: string,
  patch: (m: Migration) => Partial<Migration> | null,
): Promise<Migration> {
  return updateVersioned(deps.migrations, migrationId, (m) => {
    const change = patch(m);
    return change === null ? m : { ...m, ...change, updated_at: deps.clock.now().toISOString() };
  }, { migrationId }, 'Migration');
}

/** Applies `patch` to the share, only while this migration holds it. */
export function patchLockedShare(
  deps: MigrationDeps,
  shareId: string,
  migrationId: string,
  patch: (s: Share) => Partial<Share> | null,
): Promise<Share> {
  return updateVersioned(deps.shares, shareId, (s) => {
    if (s.migration_id !== migrationId) {
      throw new IllegalTransitionError(`locked by ${s.migration_id ?? 'nobody'}`, `changed by ${migrationId}`, { shareId, migrationId });
    }
    const change = patch(s);
    return change === null ? s : { ...s, ...change, updated_at: deps.clock.now().toISOString() };
  }, { shareId, migrationId }, 'Share');
}

/**
 * Moves the migration to `to` and mirrors task_state on the share. Idempotent: a step that runs again
 * after its transition was written (a Step Functions retry, a restart) finds the record at or past
 * `to` and changes nothing. An illegal transition throws instead of overwriting.
 */
export async function advance(
  deps: MigrationDeps,
  migrationId: string,
  to: TaskState,
  extra: (m: Migration) => Partial<Migration> = () => ({}),
  options: { mirror: boolean } = { mirror: true },
): Promise<Migration> {
  let previous: TaskState | null = null;
  let migration = await patchMigration(deps, migrationId, (m) => {
    previous = m.task_state;
    if (alreadyReached(m.task_state, to)) return null;
    if (!canTransition(m.task_state, to)) {
      throw new IllegalTransitionError(m.task_state, to, { shareId: m.share_id, migrationId });
    }
    const at = deps.clock.now().toISOString();
    return { ...extra(m), task_state: to, history: [...m.history, { task_state: to, at }] };
  });
  migration = await publishTaskState(deps, migration, previous);
  // A final state is mirrored by releaseShare, in the same write that makes the share available, so
  // no reader sees migration_success on a share that is still `migrating`.
  if (options.mirror) await mirrorTaskState(deps, migration);
  return migration;
}

/** Ends the migration in a final state; the caller then releases the share (share-release.ts). */
export function finish(
  deps: MigrationDeps,
  migrationId: string,
  to: TaskState,
  extra: (m: Migration) => Partial<Migration> = () => ({}),
): Promise<Migration> {
  return advance(deps, migrationId, to, extra, { mirror: false });
}

/**
 * Publishes the change to the migration's current task_state unless that was done: a step replayed
 * after a failed publish publishes again, so every change is delivered at least once.
 */
export async function publishTaskState(deps: MigrationDeps, migration: Migration, previous: TaskState | null): Promise<Migration> {
  if (migration.published_task_state === migration.task_state) return migration;
  const before = previous === migration.task_state ? (migration.history.at(-2)?.task_state ?? null) : previous;
  await deps.events.publish(TASK_STATE_CHANGE, taskStateChange(migration, before));
  return patchMigration(deps, migration.id, (m) => (m.task_state === migration.task_state ? { published_task_state: m.task_state } : null));
}

export function alreadyReached(current: TaskState, to: TaskState): boolean {
  if (current === to) return true;
  if (isTerminal(current)) return false;
  const rCurrent = PATH_RANK[current];
  const rTo = PATH_RANK[to];
  return rCurrent !== undefined && rTo !== undefined && rCurrent > rTo;
}

/** The share shows the migration's task_state (Manila clients read it there). */
export async function mirrorTaskState(deps: MigrationDeps, migration: Migration): Promise<void> {
  await updateVersioned(deps.shares, migration.share_id, (s) => {
    if (s.migration_id !== migration.id || s.task_state === migration.task_state) return s;
    return { ...s, task_state: migration.task_state, updated_at: deps.clock.now().toISOString() };
  }, { shareId: migration.share_id, migrationId: migration.id }, 'Share');
}
