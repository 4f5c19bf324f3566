import { ConflictError, InvalidShareStateError, NotFoundError, errorMessage } from '../errors.ts';
import { withPartitionProgress } from '../partitions/partition-progress.ts';
import type { Migration } from '../model.ts';
import type { MigrationProgressView, MigrationService, RetypeRequest, RetypeResult, StartMigrationRequest } from '../services.ts';
import { retypeShare } from './retype.ts';
import { PHASE1_DONE_STATES, SWITCHOVER_STATES, TaskState, isTerminal } from '../task-state.ts';
import type { TaskState as TaskStateValue } from '../task-state.ts';
import { WorkflowError, type PurgeExecutionInput } from '../workflow.ts';
import { updateVersioned } from '../versioned-update.ts';
import type { MigrationDeps } from './migration-deps.ts';
import { validateAndLock } from './migration-lock.ts';
import { loadMigration, loadShare, patchMigration } from './migration-records.ts';
import { toExecutionInput, validateMigrationInput } from './migration-request.ts';
import { ShareStatus, SwitchoverStatus } from '../model.ts';
import { progressView } from './progress-view.ts';

/** The migration actions of Manila's share API, on top of the workflow. */
export class WorkflowMigrationService implements MigrationService {
  private readonly deps: MigrationDeps;

  constructor(deps: MigrationDeps) {
    this.deps = deps;
  }

  async start(shareId: string, request: StartMigrationRequest): Promise<Migration> {
    const validated = validateMigrationInput({ share_id: shareId, ...request });
    const migration = await validateAndLock(this.deps, validated);
    const input = toExecutionInput(shareId, migration.destination_host, migration.options, migration.id);
    try {
      const { executionId } = await this.deps.workflow.startExecution(migration.id, input);
      return await patchMigration(this.deps, migration.id, () => ({ execution_id: executionId }));
    } catch (err) {
      await this.abandon(migration, `The workflow could not be started: ${errorMessage(err)}`);
      throw err;
    }
  }

  async getProgress(shareId: string): Promise<MigrationProgressView> {
    const share = await loadShare(this.deps, shareId);
    const latest = (await this.deps.migrations.listByShare(shareId))[0];
    if (!latest || share.task_state === null) {
      throw new InvalidShareStateError('No migration is in progress for this share: task_state is empty.', { shareId });
    }
    return progressView(await withPartitionProgress(this.deps.partitions, latest, this.deps.clock.now()), share.task_state);
  }

  async complete(shareId: string): Promise<void> {
    const migration = await this.current(shareId);
    const ids = { shareId, migrationId: migration.id };
    const updated = await patchMigration(this.deps, migration.id, (m) => {
      // Called again while the switchover waits for clients that may still write to the read-only source:
      // the operator confirms what the driver cannot prove (switchover-writers.ts proceeds on it).
      if (SWITCHOVER_STATES.includes(m.task_state) && m.switchover?.status === SwitchoverStatus.WAITING) {
        return m.switchover.confirmed_at !== null ? null : { switchover: { ...m.switchover, confirmed_at: this.deps.clock.now().toISOString() } };
      }
      if (!PHASE1_DONE_STATES.includes(m.task_state)) {
        throw new InvalidShareStateError(`First migration phase of share ${shareId} is not completed yet (task_state ${m.task_state}).`, ids);
      }
      return m.complete_requested ? null : { complete_requested: true };
    });
    // The token is the wait's: for migration_complete, or between two switchover checks (await-switchover.ts),
    // which then checks again at once. A token recorded before (spent) is ignored by the workflow; one not
    // recorded yet is answered by the waiting step itself, as it finds the request or the confirmation.
    const switchoverWaits = SWITCHOVER_STATES.includes(updated.task_state) && updated.switchover?.status === SwitchoverStatus.WAITING;
    if (updated.task_token && (PHASE1_DONE_STATES.includes(updated.task_state) || switchoverWaits)) {
      await this.deps.workflow.sendTaskSuccess(updated.task_token, {});
    }
  }

  /**
   * Records the cancel and signals whatever the migration waits on (its task token, its copy task). Refused
   * (Manila's 400) when there is nothing left to cancel: the switchover has begun, the migration has ended,
   * or it has failed and its cleanup is already restoring the source. A cancel repeated before the workflow
   * took it up signals again (a first cancel whose signal was lost must not leave the migration waiting);
   * once cleanup has begun (`migration_cancel_in_progress`) it is refused.
   */
  async cancel(shareId: string): Promise<void> {
    const migration = await this.current(shareId);
    const ids = { shareId, migrationId: migration.id };
    const updated = await patchMigration(this.deps, migration.id, (m) => {
      if (SWITCHOVER_STATES.includes(m.task_state) || isTerminal(m.task_state)) {
        throw new InvalidShareStateError(`Migration of share ${shareId} cannot be cancelled in task_state ${m.task_state}: the switchover has begun or it has ended.`, ids);
      }
      if (m.task_state === TaskState.MIGRATION_CANCEL_IN_PROGRESS) {
        throw new InvalidShareStateError(`Migration of share ${shareId} is already being cancelled: its cleanup is restoring the source.`, ids);
      }
      if (!m.cancel_requested && (m.error !== null || m.task_state === TaskState.DATA_COPYING_ERROR)) {
        const why = m.error ? `${m.error.error}: ${m.error.cause}` : m.task_state;
        throw new InvalidShareStateError(
          `Migration of share ${shareId} cannot be cancelled: it has failed (${why}) and its cleanup is restoring the source; it ends in migration_error.`,
          ids,
        );
      }
      return m.cancel_requested ? null : { cancel_requested: true };
    });
    // The token is the wait's: for migration_complete, or of a copy pass waiting out an infrastructure fault
    // (copy-fault.ts), which would otherwise try the pass again only after its wait.
    if (updated.task_token && (PHASE1_DONE_STATES.includes(updated.task_state) || updated.copy_fault)) {
      await this.deps.workflow.sendTaskFailure(updated.task_token, WorkflowError.CANCELLED, 'Migration was cancelled by the operator');
    }
    if (updated.copy_task_id) {
      // Only makes the stop prompt: the copy task polls cancel_requested every second and stops itself,
      // so a StopTask that fails (throttled, task already gone) must not fail the cancel that was recorded.
      await this.deps.copyTasks.stopCopyTask(updated.copy_task_id, `Migration ${updated.id} was cancelled by the operator`).catch(() => undefined);
    }
  }

  /**
   * Manila's reset_task_state: an admin override of the share's task_state field. It never releases a
   * share whose migration is still running (its record not in a final state): the lock would go while the
   * migration's workflow goes on, a second migration could start, and the first, its destination and its
   * task token would be out of reach of every API. That is refused (400) with what to do instead. A lock
   * whose migration has ended, or whose record is gone, is released by a null or final state.
   */
  async resetTaskState(shareId: string, taskState: TaskStateValue | null): Promise<void> {
    await updateVersioned(this.deps.shares, shareId, async (s) => {
      const holder = s.migration_id === null ? null : await this.deps.migrations.get(s.migration_id);
      if (holder && !isTerminal(holder.task_state)) {
        throw new InvalidShareStateError(
          `Share ${shareId} is held by migration ${holder.id}, which is still running (task_state ${holder.task_state}): `
          + 'reset_task_state would release the share under it. Cancel it with migration_cancel (before its switchover), '
          + 'finish it with migration_complete, or wait for it to end.',
          { shareId, migrationId: holder.id },
        );
      }
      const releases = taskState === null || isTerminal(taskState);
      return {
        ...s,
        task_state: taskState,
        // An operator resetting a stuck migration to a final state gets the share back.
        ...(releases && s.migration_id !== null ? { migration_id: null, status: ShareStatus.AVAILABLE } : {}),
        updated_at: this.deps.clock.now().toISOString(),
      };
    }, { shareId }, 'Share');
  }

  retype(shareId: string, request: RetypeRequest): Promise<RetypeResult> {
    return retypeShare(this.deps, this, shareId, request);
  }

  /**
   * The execution is named after the share and the moment (Step Functions keeps a name for 90 days), so a
   * retried delete starts another one; the purge is idempotent and the record goes once.
   */
  async startDataPurge(shareId: string): Promise<void> {
    const input: PurgeExecutionInput = { purge: { share_id: shareId } };
    await this.deps.workflow.startExecution(`purge-${shareId}-${this.deps.clock.now().getTime()}`, input);
  }

  async listForShare(shareId: string): Promise<Migration[]> {
    await loadShare(this.deps, shareId);
    const migrations = await this.deps.migrations.listByShare(shareId);
    return Promise.all(migrations.map((m) => withPartitionProgress(this.deps.partitions, m, this.deps.clock.now())));
  }

  async get(migrationId: string): Promise<Migration> {
    return withPartitionProgress(this.deps.partitions, await loadMigration(this.deps, migrationId), this.deps.clock.now());
  }

  private async current(shareId: string): Promise<Migration> {
    const share = await loadShare(this.deps, shareId);
    if (!share.migration_id) {
      throw new InvalidShareStateError(`Share ${shareId} is not being migrated (task_state ${share.task_state ?? 'None'}).`, { shareId });
    }
    const migration = await this.deps.migrations.get(share.migration_id);
    if (!migration) throw new NotFoundError(`Migration ${share.migration_id} not found`, { shareId, migrationId: share.migration_id });
    return migration;
  }

  /** The execution never started: end the migration and give the share back. */
  private async abandon(migration: Migration, cause: string): Promise<void> {
    const at = this.deps.clock.now().toISOString();
    await patchMigration(this.deps, migration.id, () => ({
      task_state: TaskState.MIGRATION_ERROR,
      history: [...migration.history, { task_state: TaskState.MIGRATION_ERROR, at }],
      error: { error: 'WorkflowStartFailed', cause, at },
    }));
    await updateVersioned(this.deps.shares, migration.share_id, (s) => {
      if (s.migration_id !== migration.id) throw new ConflictError('The share was taken by another migration', { shareId: s.id });
      return { ...s, status: ShareStatus.AVAILABLE, migration_id: null, task_state: TaskState.MIGRATION_ERROR, updated_at: at };
    }, { shareId: migration.share_id, migrationId: migration.id }, 'Share');
  }
}
