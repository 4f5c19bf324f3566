import type { Migration } from '../model.ts';
import type { TaskState } from '../task-state.ts';

/** The `source` and `detail-type` of the events (README: "Events"). */
export const EVENT_SOURCE = 'share-migration';
export const TASK_STATE_CHANGE = 'Share Migration Task State Change';

/** The detail of a task_state change event: enough to route on without reading the record. */
export interface TaskStateChangeDetail {
  readonly migration_id: string;
  readonly share_id: string;
  readonly task_state: TaskState;
  readonly previous_task_state: TaskState | null;
  readonly mechanism: Migration['mechanism'];
  readonly source_host: string;
  readonly destination_host: string;
  readonly at: string;
  readonly error: Migration['error'];
}

/**
 * A copy pass waiting out an infrastructure fault past its retry ladder (copy-fault.ts): published at every
 * wait, so that operators' rules (and the monitoring's alarm) see a migration that the platform holds up.
 */
export const COPY_FAULT_WAIT = 'Share Migration Copy Fault Wait';

export interface CopyFaultWaitDetail {
  readonly migration_id: string;
  readonly share_id: string;
  readonly task_state: TaskState;
  readonly copy_fault: NonNullable<Migration['copy_fault']>;
}

/** Publishes migration events (an EventBridge bus on AWS, a JSON-lines file at home). */
export interface MigrationEventPublisher {
  publish(detailType: string, detail: TaskStateChangeDetail | CopyFaultWaitDetail): Promise<void>;
}

export function taskStateChange(migration: Migration, previous: TaskState | null): TaskStateChangeDetail {
  const last = migration.history.at(-1);
  return {
    migration_id: migration.id,
    share_id: migration.share_id,
    task_state: migration.task_state,
    previous_task_state: previous,
    mechanism: migration.mechanism,
    source_host: migration.source_host,
    destination_host: migration.destination_host,
    at: last?.at ?? migration.updated_at,
    error: migration.error,
  };
}
