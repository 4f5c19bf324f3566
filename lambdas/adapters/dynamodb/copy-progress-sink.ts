import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CopyOutcome, CopyPass, MigrationProgress } from '../../core/model.ts';
import type { CopyProgress, CopyProgressSink } from '../../core/progress.ts';
import { createDocumentClient } from './document-client.ts';

export interface DynamoCopyProgressSinkOptions {
  readonly migrationId: string;
  readonly tableName: string;
  /** At most one progress write per this many ms, so a fast copy does not hammer the table. @default 2000 */
  readonly minIntervalMs?: number;
  /** @default a client from the standard SDK configuration (at home, the copy task child gets one over the state store's Unix socket: SMIG_DYNAMODB_SOCKET) */
  readonly client?: DynamoDBDocumentClient;
  /** Recorded as the migration's copy_task_id so a cancel can stop this task. @default resolveCopyTaskId() */
  readonly taskId?: () => Promise<string | null>;
}

/**
 * Who this copy task is: SMIG_TASK_ID when the local runtime started it, else the ECS task ARN from
 * the container metadata endpoint (v4), else nobody (a plain CLI run).
 */
export async function resolveCopyTaskId(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (env['SMIG_TASK_ID']) return env['SMIG_TASK_ID'];
  const metadata = env['ECS_CONTAINER_METADATA_URI_V4'];
  if (!metadata) return null;
  try {
    const task = (await (await fetch(`${metadata}/task`)).json()) as { TaskARN?: string };
    return task.TaskARN ?? null;
  } catch {
    return null;
  }
}

/**
 * The copy task's reports, written into the migration record. Every write bumps `version`, so a step
 * or API call that read the record before keeps its conditional write honest.
 */
export function createDynamoCopyProgressSink(options: DynamoCopyProgressSinkOptions): CopyProgressSink {
  const client = options.client ?? createDocumentClient();
  const minInterval = options.minIntervalMs ?? 2000;
  let lastWrite = 0;
  let taskRecorded = false;

  const update = (set: string, values: Record<string, unknown>, names: Record<string, string> = {}) =>
    client.send(new UpdateCommand({
      TableName: options.tableName,
      Key: { id: options.migrationId },
      UpdateExpression: `SET ${set}, #version = #version + :one, updated_at = :now`,
      ConditionExpression: 'attribute_exists(id)',
      ExpressionAttributeNames: { '#version': 'version', ...names },
      ExpressionAttributeValues: { ...values, ':one': 1, ':now': new Date().toISOString() },
    }));

  return {
    async report(progress: CopyProgress): Promise<void> {
      const now = Date.now();
      if (now - lastWrite < minInterval && progress.phase !== 'done') return;
      lastWrite = now;
      if (!taskRecorded) {
        taskRecorded = true;
        const taskId = await (options.taskId ?? resolveCopyTaskId)();
        if (taskId) await update('copy_task_id = :t', { ':t': taskId });
      }
      await update('progress = :p', { ':p': toMigrationProgress(progress) });
    },
    async finished(outcome): Promise<void> {
      const record: CopyOutcome = { ...outcome, finished_at: new Date().toISOString() };
      await update('copies = list_append(if_not_exists(copies, :empty), :c), progress = :p', {
        ':empty': [],
        ':c': [record],
        ':p': {
          pass: outcome.pass, phase: 'done', files_done: outcome.files, files_total: outcome.files,
          bytes_done: outcome.bytes, bytes_total: outcome.bytes, bytes_per_second: outcome.seconds > 0 ? Math.round(outcome.bytes / outcome.seconds) : 0,
          eta_seconds: 0, total_progress: 100, updated_at: record.finished_at,
        } satisfies MigrationProgress,
      });
    },
    async failed(pass: CopyPass, message: string): Promise<void> {
      await update('#error = :e', { ':e': { error: 'CopyFailedError', cause: `${pass} copy failed: ${message}`, at: new Date().toISOString() } }, { '#error': 'error' })
        .catch(() => undefined);
    },
    async cancelRequested(): Promise<boolean> {
      const out = await client.send(new GetCommand({
        TableName: options.tableName,
        Key: { id: options.migrationId },
        ProjectionExpression: 'cancel_requested',
        ConsistentRead: true,
      }));
      return out.Item?.['cancel_requested'] === true;
    },
  };
}

/**
 * The engine's counters restart with each phase; one pass's percentage spans them: scanning 0,
 * copying (each file verified as it is copied) up to 99, a content comparison (--checksum) too;
 * 100 only when the pass has finished.
 */
const PHASE_SPAN: Readonly<Record<string, readonly [number, number]>> = {
  scanning: [0, 0],
  comparing: [0, 99],
  copying: [0, 99],
  verifying: [80, 99],
  deleting: [99, 99],
  done: [99, 99],
};

function toMigrationProgress(p: CopyProgress): MigrationProgress {
  const fraction = p.bytes_total > 0 ? p.bytes_done / p.bytes_total : p.files_total > 0 ? p.files_done / p.files_total : 0;
  const [from, to] = PHASE_SPAN[p.phase] ?? [0, 99];
  return {
    pass: p.pass,
    phase: p.phase,
    files_done: p.files_done,
    files_total: p.files_total,
    bytes_done: p.bytes_done,
    bytes_total: p.bytes_total,
    bytes_per_second: p.bytes_per_second,
    eta_seconds: p.eta_seconds,
    total_progress: Math.min(99, Math.floor(from + (to - from) * Math.min(1, fraction))),
    updated_at: new Date().toISOString(),
  };
}
