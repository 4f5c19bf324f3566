import type { CopyPass } from '../model.ts';
import type { CopyProgress, CopyProgressSink } from '../progress.ts';
import type { PartitionProgressRecord } from './partition-records.ts';
import { partitionItem } from './partition-records.ts';
import type { PartitionStore } from './partition-store.ts';

export interface PartitionSinkOptions {
  readonly store: PartitionStore;
  /** The migration's own sink: cancel requests, and a failure's message on the migration record. */
  readonly migration: CopyProgressSink;
  readonly migrationId: string;
  readonly index: number;
  readonly pass: CopyPass;
  readonly taskId: string | null;
  /** At most one progress write per this many ms (as the migration's sink). @default 2000 */
  readonly minIntervalMs?: number;
  readonly now?: () => Date;
}

/**
 * A partition's copy task reports into its own item (partition-records.ts), so that many tasks report at
 * once without writing one large record; cancel requests still come from the migration record, and a
 * failure is also said there (the cleanup and the operator read it). `start` counts the attempt: a
 * partition retried after an infrastructure fault shows it.
 */
export async function startPartitionSink(options: PartitionSinkOptions): Promise<CopyProgressSink> {
  const { store, migration, migrationId, index, pass } = options;
  const now = options.now ?? (() => new Date());
  const minInterval = options.minIntervalMs ?? 2000;
  const previous = await store.getPartition(migrationId, index);
  const startedAt = now().toISOString();
  let record: PartitionProgressRecord = {
    migration_id: migrationId,
    item: partitionItem(index),
    index,
    pass,
    state: 'copying',
    attempts: (previous?.pass === pass && previous.state !== 'done' ? previous.attempts : 0) + 1,
    task_id: options.taskId,
    files_done: 0, files_total: 0, bytes_done: 0, bytes_total: 0, bytes_per_second: 0, eta_seconds: null,
    phase: 'starting',
    started_at: startedAt,
    updated_at: startedAt,
  };
  await store.putPartition(record);
  let lastWrite = 0;
  const put = async (change: Partial<PartitionProgressRecord>): Promise<void> => {
    record = { ...record, ...change, updated_at: now().toISOString() };
    await store.putPartition(record);
  };
  return {
    async report(progress: CopyProgress): Promise<void> {
      const at = now().getTime();
      if (at - lastWrite < minInterval && progress.phase !== 'done') return;
      lastWrite = at;
      await put({
        phase: progress.phase, files_done: progress.files_done, files_total: progress.files_total, bytes_done: progress.bytes_done,
        bytes_total: progress.bytes_total, bytes_per_second: progress.bytes_per_second, eta_seconds: progress.eta_seconds,
      });
    },
    async finished(outcome): Promise<void> {
      await put({
        state: 'done', phase: 'done', files_done: outcome.files, files_total: outcome.files, bytes_done: outcome.bytes, bytes_total: outcome.bytes,
        bytes_per_second: 0, eta_seconds: 0, seconds: outcome.seconds, verified: outcome.verified,
      });
    },
    async failed(failedPass: CopyPass, message: string): Promise<void> {
      await put({ state: 'failed', error: message }).catch(() => undefined);
      await migration.failed(failedPass, `partition ${index}: ${message}`);
    },
    cancelRequested: () => migration.cancelRequested(),
  };
}
