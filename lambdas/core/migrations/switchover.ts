/**
 * The switchover's proof that no acknowledged write is lost. Making the source's rules read-only holds
 * only for clients that connect afterwards on some backends (EFS evaluates its file system policy when a
 * client connects), so before the final copy the workflow asks the source driver who may still write
 * (ShareDriver.switchoverBlockers) until it answers none, waiting longer each time; the operator may confirm
 * what the driver cannot prove; and a wait that outlasts its bounds gives the source its writes back and
 * returns the migration to phase 1 done, waiting for migration_complete again, its copied data kept.
 */
import { IllegalTransitionError } from '../errors.ts';
import { SwitchoverStatus, type Migration, type SwitchoverProgress } from '../model.ts';
import { canTransition } from '../task-state-transitions.ts';
import { TaskState } from '../task-state.ts';
import { SWITCHOVER_WAIT } from '../workflow.ts';
import type { MigrationDeps } from './migration-deps.ts';
import { mirrorTaskState, patchMigration, publishTaskState } from './migration-records.ts';

/** The wait as it starts, once the source's rules are read-only (`readOnlyAt`: when applyAccessRules returned). */
export function switchoverStarted(readOnlyAt: string): SwitchoverProgress {
  return {
    status: SwitchoverStatus.WAITING,
    read_only_at: readOnlyAt,
    connections: 0,
    scope: 'enforced',
    detail: 'not checked yet',
    polls: 0,
    checked_at: null,
    next_check_at: null,
    clear_since: null,
    confirmed_at: null,
    gave_up_at: null,
  };
}

/** Whether the final copy (or the driver's completion) may run: proven, or confirmed by the operator. */
export function writersGone(switchover: SwitchoverProgress | null | undefined): boolean {
  return switchover?.status === SwitchoverStatus.CLEAR || switchover?.status === SwitchoverStatus.CONFIRMED;
}

/**
 * Seconds until the next check: what the driver suggests (its backend's reporting period), else
 * FIRST_SECONDS, doubled at each further check, at most MAX_SECONDS.
 */
export function nextWaitSeconds(polls: number, retryAfterSeconds: number | undefined): number {
  const base = retryAfterSeconds !== undefined && retryAfterSeconds > 0 ? retryAfterSeconds : SWITCHOVER_WAIT.FIRST_SECONDS;
  return Math.ceil(Math.min(SWITCHOVER_WAIT.MAX_SECONDS, base * 2 ** Math.max(0, Math.min(polls - 1, 16))));
}

/** Whether the wait has outlasted its bounds (time since read-only, or number of checks). */
export function waitExhausted(switchover: SwitchoverProgress, polls: number, now: Date): boolean {
  const waited = (now.getTime() - Date.parse(switchover.read_only_at)) / 1000;
  return polls >= SWITCHOVER_WAIT.MAX_POLLS || waited >= SWITCHOVER_WAIT.LIMIT_SECONDS;
}

/** The phase 1 done state a switchover gives back to: host-assisted or driver-assisted. */
function phase1State(migration: Migration): TaskState {
  return migration.mechanism === 'driver_assisted' ? TaskState.MIGRATION_DRIVER_PHASE1_DONE : TaskState.DATA_COPYING_COMPLETED;
}

/**
 * The switchover gave up before anything was copied under read-only: back to phase 1 done, waiting for
 * migration_complete (which starts the switchover again), the source's writes already given back by the
 * caller. Idempotent: a migration already back there is left as it is.
 */
export async function reopenPhase1(deps: MigrationDeps, migrationId: string, switchover: SwitchoverProgress): Promise<Migration> {
  let previous: TaskState | null = null;
  const migration = await patchMigration(deps, migrationId, (m) => {
    previous = m.task_state;
    const to = phase1State(m);
    if (m.task_state === to && m.switchover?.status === SwitchoverStatus.GAVE_UP) return null;
    if (!canTransition(m.task_state, to)) throw new IllegalTransitionError(m.task_state, to, { shareId: m.share_id, migrationId });
    const at = deps.clock.now().toISOString();
    return {
      task_state: to,
      history: [...m.history, { task_state: to, at }],
      switchover,
      // migration_complete starts the switchover again; the old task token is spent.
      complete_requested: false,
      task_token: null,
      read_only_until: at,
    };
  });
  const published = await publishTaskState(deps, migration, previous);
  await mirrorTaskState(deps, published);
  return published;
}
