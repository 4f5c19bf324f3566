import { InvalidRequestError } from '../errors.ts';
import type { MigrationOptions } from '../model.ts';
import { parseHost } from '../host.ts';
import { MAX_PARTITIONS } from '../partitions/partition-records.ts';
import { copyTaskSizeOptions } from './copy-task-size.ts';
import { describeUnmet, unmetByHostAssisted } from './guarantees.ts';
import { MAX_COMPLETION_WAIT_SECONDS, MIN_REFRESH_INTERVAL_SECONDS, type HandoverPoint, type MigrationExecutionInput, type MigrationExecutionState } from '../workflow.ts';

export interface ValidatedMigrationRequest {
  readonly shareId: string;
  readonly destinationHost: string;
  readonly options: MigrationOptions;
  readonly migrationId: string | null;
  /** The schedule whose firing started this execution, if one did. */
  readonly scheduleId: string | null;
  /** Set when an execution handed the migration over to this one: where it was, with its state. */
  readonly resume: { readonly at: HandoverPoint; readonly state: MigrationExecutionState } | null;
}

const BOOLEAN_OPTIONS = ['writable', 'preserve_metadata', 'preserve_snapshots', 'nondisruptive', 'force_host_assisted_migration', 'auto_complete'] as const;

/**
 * Checks the documented execution input, whoever sent it (API, console, schedule). The four
 * guarantees default to false here; the API enforces Manila's rule that clients at 2.29+ state them.
 */
export function validateMigrationInput(input: unknown): ValidatedMigrationRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequestError('Migration input must be a JSON object with share_id and host.');
  }
  const raw = input as Record<string, unknown>;
  const shareId = raw['share_id'];
  if (typeof shareId !== 'string' || shareId.length === 0) throw new InvalidRequestError('share_id is required.');
  const ids = { shareId };
  const host = raw['host'];
  if (typeof host !== 'string' || host.length === 0) throw new InvalidRequestError('Destination host is required (host@backend#pool).', ids);
  parseHost(host);
  for (const key of BOOLEAN_OPTIONS) {
    if (raw[key] !== undefined && typeof raw[key] !== 'boolean') {
      throw new InvalidRequestError(`Invalid value ${JSON.stringify(raw[key])} for ${key}: expected a boolean.`, ids);
    }
  }
  const refresh = raw['refresh_interval'];
  if (refresh !== undefined && refresh !== null
    && (!Number.isInteger(refresh) || (refresh as number) < MIN_REFRESH_INTERVAL_SECONDS || (refresh as number) > MAX_COMPLETION_WAIT_SECONDS)) {
    throw new InvalidRequestError(
      `Invalid refresh_interval ${JSON.stringify(refresh)}: whole seconds from ${MIN_REFRESH_INTERVAL_SECONDS} to ${MAX_COMPLETION_WAIT_SECONDS} `
      + '(each refresh is a whole bulk copy pass).',
      ids,
    );
  }
  const copyTasks = { ...copyTaskOptions(raw, ids), ...copyTaskSizeOptions(raw, ids) };
  const resume = handoverResume(raw['resume'], ids);
  for (const key of ['new_share_type_id', 'new_share_network_id', 'migration_id', 'schedule_id'] as const) {
    if (raw[key] !== undefined && raw[key] !== null && typeof raw[key] !== 'string') {
      throw new InvalidRequestError(`Invalid value for ${key}: expected a string.`, ids);
    }
  }
  const known = new Set<string>([...BOOLEAN_OPTIONS, 'share_id', 'host', 'new_share_type_id', 'new_share_network_id', 'migration_id', 'refresh_interval', 'schedule_id', 'resume', 'partitions', 'max_copy_tasks', 'copy_task_cpu', 'copy_task_memory', 'copy_concurrency']);
  const unknown = Object.keys(raw).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new InvalidRequestError(`Unknown migration option(s): ${unknown.join(', ')}.`, ids);

  const flag = (k: (typeof BOOLEAN_OPTIONS)[number]) => (raw[k] as boolean | undefined) ?? false;
  const options: MigrationOptions = {
    writable: flag('writable'),
    preserve_metadata: flag('preserve_metadata'),
    preserve_snapshots: flag('preserve_snapshots'),
    nondisruptive: flag('nondisruptive'),
    force_host_assisted_migration: flag('force_host_assisted_migration'),
    auto_complete: flag('auto_complete'),
    new_share_type_id: (raw['new_share_type_id'] as string | null | undefined) ?? null,
    new_share_network_id: (raw['new_share_network_id'] as string | null | undefined) ?? null,
    refresh_interval: (refresh as number | null | undefined) ?? null,
    ...copyTasks,
  };
  // Forcing the host-assisted path while asking for what only a driver can give is a contradiction.
  const hostUnmet = unmetByHostAssisted(options);
  if (options.force_host_assisted_migration && hostUnmet.length > 0) {
    throw new InvalidRequestError(
      `Invalid parameter combination: force_host_assisted_migration cannot be combined with ${hostUnmet.map((u) => u.guarantee).join(' or ')}: ${describeUnmet(hostUnmet)}.`,
      ids,
    );
  }
  const migrationId = (raw['migration_id'] as string | undefined) ?? null;
  if (resume !== null && migrationId === null) throw new InvalidRequestError('resume needs the migration_id of the migration it resumes.', ids);
  return { shareId, destinationHost: host, options, migrationId, scheduleId: (raw['schedule_id'] as string | null | undefined) ?? null, resume };
}

/**
 * `partitions` (1 to MAX_PARTITIONS: how many copy tasks, each a partition of the tree) and `max_copy_tasks`
 * (how many of them at once), both whole numbers; left out of the options when not given.
 */
function copyTaskOptions(raw: Record<string, unknown>, ids: { shareId: string }): Pick<MigrationOptions, 'partitions' | 'max_copy_tasks'> {
  const options: { partitions?: number; max_copy_tasks?: number } = {};
  for (const key of ['partitions', 'max_copy_tasks'] as const) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_PARTITIONS) {
      throw new InvalidRequestError(`Invalid ${key} ${JSON.stringify(value)}: a whole number from 1 to ${MAX_PARTITIONS}.`, ids);
    }
    options[key] = value as number;
  }
  return options;
}

const HANDOVER_POINTS: readonly HandoverPoint[] = ['driver-poll', 'await-completion', 'copy-fault'];

/** The `resume` a handing-over execution adds to the next one's input (HandoverInput), checked for its shape. */
function handoverResume(value: unknown, ids: { shareId: string }): ValidatedMigrationRequest['resume'] {
  if (value === undefined || value === null) return null;
  const resume = value as { at?: unknown; state?: unknown };
  if (typeof value !== 'object' || Array.isArray(value) || !HANDOVER_POINTS.includes(resume.at as HandoverPoint)
    || typeof resume.state !== 'object' || resume.state === null || Array.isArray(resume.state)) {
    throw new InvalidRequestError(`Invalid resume: expected {"at": ${HANDOVER_POINTS.map((p) => `"${p}"`).join(' or ')}, "state": {...}} (set by a handover, not by hand).`, ids);
  }
  return { at: resume.at as HandoverPoint, state: resume.state as MigrationExecutionState };
}

export function toExecutionInput(shareId: string, host: string, options: MigrationOptions, migrationId: string): MigrationExecutionInput {
  return { share_id: shareId, host, ...options, migration_id: migrationId };
}
