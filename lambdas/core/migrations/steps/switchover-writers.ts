import { InvalidRequestError } from '../../errors.ts';
import { SwitchoverStatus, type SwitchoverProgress } from '../../model.ts';
import { instanceOf } from '../../shares/share-instances.ts';
import type { MigrationExecutionState, SwitchoverState } from '../../workflow.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { loadMigration, loadShare, patchMigration } from '../migration-records.ts';
import { nextWaitSeconds, reopenPhase1, waitExhausted } from '../switchover.ts';

/**
 * After the source went read-only: may a client that connected before still write? Asks the source driver
 * (switchoverBlockers) and answers the workflow's Choice: `clear` (the final copy, or the driver's
 * completion, may run), `confirmed` (the operator called migration_complete again to vouch for what the
 * driver could not prove), `waiting` (wait `wait_seconds`, longer each time, and ask again: the wait,
 * await-switchover.ts, ends early when the operator confirms), or `gave_up`
 * (the wait outlasted its bounds: the source gets its writes back and the migration waits for
 * migration_complete again, its copied data kept). Every answer is recorded on the migration
 * (`switchover`), which migration_get_progress shows. Runs safely more than once.
 */
export async function switchoverWritersStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const migration = await loadMigration(deps, state.migration_id);
  const ids = { shareId: migration.share_id, migrationId: migration.id };
  const current = migration.switchover;
  if (!current) throw new InvalidRequestError('The source was not made read-only: this step runs after it', ids);
  const { switchover_wait_seconds: _previousWait, ...rest } = state;
  // While waiting, the wait's length is also at the top of the state, where the wait's timeout reads it.
  const answer = (switchover: SwitchoverProgress, waitSeconds = 0): MigrationExecutionState => ({
    ...rest,
    switchover: { outcome: switchover.status, polls: switchover.polls, wait_seconds: waitSeconds } satisfies SwitchoverState,
    ...(switchover.status === SwitchoverStatus.WAITING ? { switchover_wait_seconds: waitSeconds } : {}),
  });
  if (current.status !== SwitchoverStatus.WAITING) return answer(current);
  const now = deps.clock.now();
  if (current.confirmed_at !== null) {
    const confirmed = await settle(deps, migration.id, (s) => ({ ...s, status: SwitchoverStatus.CONFIRMED, clear_since: s.confirmed_at }));
    return answer(confirmed);
  }

  const share = await loadShare(deps, migration.share_id, migration.id);
  const source = instanceOf(share, migration.source_instance_id);
  const blockers = await deps.drivers.forHost(source.host).switchoverBlockers(source, new Date(current.read_only_at));
  const polls = current.polls + 1;
  const measured = { connections: blockers.connections, scope: blockers.scope, detail: blockers.detail, polls, checked_at: now.toISOString() };
  if (blockers.clear) {
    const clear = await settle(deps, migration.id, (s) => ({
      ...s, ...measured, connections: 0, status: SwitchoverStatus.CLEAR, clear_since: blockers.clearSince ?? now.toISOString(), next_check_at: null,
    }));
    return answer(clear);
  }
  if (waitExhausted(current, polls, now)) {
    // Nothing has been copied under read-only yet: give the source its writes back and let the operator decide.
    await deps.drivers.forHost(source.host).applyAccessRules(source, share.access_rules, { readOnly: false });
    const gaveUp: SwitchoverProgress = { ...current, ...measured, status: SwitchoverStatus.GAVE_UP, gave_up_at: now.toISOString(), next_check_at: null };
    await reopenPhase1(deps, migration.id, gaveUp);
    return answer(gaveUp);
  }
  const waitSeconds = nextWaitSeconds(polls, blockers.retryAfterSeconds);
  const waiting = await settle(deps, migration.id, (s) => ({ ...s, ...measured, next_check_at: new Date(now.getTime() + waitSeconds * 1000).toISOString() }));
  // A confirmation that arrived while the driver was asked is kept (settle starts from the record as it is
  // now): the wait that follows finds it and ends at once.
  return answer(waiting, waitSeconds);
}

/** Writes the switchover's new state, unless another run already settled it (then that one stands). */
async function settle(deps: MigrationDeps, migrationId: string, next: (s: SwitchoverProgress) => SwitchoverProgress): Promise<SwitchoverProgress> {
  const updated = await patchMigration(deps, migrationId, (m) => (m.switchover && m.switchover.status === SwitchoverStatus.WAITING ? { switchover: next(m.switchover) } : null));
  return updated.switchover!;
}

