import { parseHost } from '../../core/host.ts';
import { ALL_TASK_STATES, isTaskState, type TaskState } from '../../core/task-state.ts';
import { versionMatches } from '../api-version.ts';
import { badRequest } from '../http-error.ts';
import { loadShareType, orIfNotFound } from '../lookups.ts';
import { loadShare, requireAdmin } from '../policy.ts';
import { accepted, json, type ApiRequest, type ApiResponse } from '../request.ts';
import { FIELD_LIMITS } from '../request-limits.ts';
import { booleanParam, checkLength, isObject, optionalString, pythonStr, requireParams } from '../validation.ts';

/** The migration actions of POST /shares/{id}/action (manila/api/v2/shares.py, 2.22+; migration_start 2.29+). */

/** The guarantees a 2.29+ client must state, in Manila's order (its messages list them so). */
const DRIVER_ASSISTED_PARAMS = ['preserve_metadata', 'writable', 'nondisruptive', 'preserve_snapshots'] as const;

/**
 * migration_start (2.29+): host and the four guarantees are mandatory, the flags are booleans by
 * oslo's spelling, a new share type must exist (400 otherwise). Which combinations a migration can
 * honour (force_host_assisted_migration with nondisruptive or preserve_snapshots) is the domain's to
 * say: its host-assisted path keeps the source writable and preserves metadata, unlike Manila's.
 */
export async function migrationStart(req: ApiRequest, shareId: string, payload: unknown): Promise<ApiResponse> {
  requireAdmin(req, 'share:migration_start');
  const share = await loadShare(req, shareId, 'write', 'share:migration_start');
  if (!isObject(payload) || Object.keys(payload).length === 0) throw badRequest('Request is missing body.');
  requireParams(payload, [...DRIVER_ASSISTED_PARAMS, 'host']);
  // Checked in Manila's order, so the first bad flag named is the one Manila would name.
  const flags = {
    preserve_metadata: booleanParam(payload, 'preserve_metadata'),
    writable: booleanParam(payload, 'writable'),
    nondisruptive: booleanParam(payload, 'nondisruptive'),
    preserve_snapshots: booleanParam(payload, 'preserve_snapshots'),
    force_host_assisted_migration: booleanParam(payload, 'force_host_assisted_migration'),
  };
  const host = payload['host'];
  if (typeof host !== 'string' || host.trim() === '') throw badRequest(`Invalid host ${pythonStr(host)}: expected host@backend#pool.`);
  checkLength(host, 'host', FIELD_LIMITS.string);
  parseHost(host);

  const newShareTypeId = optionalString(payload, 'new_share_type_id') || null;
  if (newShareTypeId !== null) {
    await orIfNotFound(loadShareType(req, newShareTypeId), () => badRequest(`Share type ${pythonStr(newShareTypeId)} not found.`));
  }
  const newShareNetworkId = optionalString(payload, 'new_share_network_id') || null;
  const autoComplete = 'auto_complete' in payload ? booleanParam(payload, 'auto_complete') : undefined;
  // Our extension: refresh the bulk copy every refresh_interval seconds while waiting for migration_complete.
  const refresh = payload['refresh_interval'];
  if (refresh !== undefined && refresh !== null && !(Number.isInteger(refresh) && (refresh as number) > 0 && (refresh as number) <= FIELD_LIMITS.integer)) {
    throw badRequest(`Invalid refresh_interval ${pythonStr(refresh)}: a whole number of seconds.`);
  }

  // Our extensions: a partitioned copy (partitions copy tasks, max_copy_tasks of them at once) and the copy
  // tasks' size (copy_task_cpu, copy_task_memory, copy_concurrency); checked by the service.
  const copyTasks = Object.fromEntries((['partitions', 'max_copy_tasks', 'copy_task_cpu', 'copy_task_memory', 'copy_concurrency'] as const).filter((key) => payload[key] !== undefined).map((key) => [key, payload[key]]));
  const migration = await req.services.migrations.start(share.id, {
    ...copyTasks,
    ...(typeof refresh === 'number' ? { refresh_interval: refresh } : {}),
    host,
    ...flags,
    new_share_type_id: newShareTypeId,
    new_share_network_id: newShareNetworkId,
    ...(autoComplete !== undefined ? { auto_complete: autoComplete } : {}),
  });
  req.logger.appendPersistentKeys({ migrationId: migration.id });
  req.logger.info('migration started', { destinationHost: migration.destination_host });
  return accepted();
}

export async function migrationComplete(req: ApiRequest, shareId: string): Promise<ApiResponse> {
  requireAdmin(req, 'share:migration_complete');
  await loadShare(req, shareId, 'write', 'share:migration_complete');
  await req.services.migrations.complete(shareId);
  return accepted();
}

export async function migrationCancel(req: ApiRequest, shareId: string): Promise<ApiResponse> {
  requireAdmin(req, 'share:migration_cancel');
  await loadShare(req, shareId, 'write', 'share:migration_cancel');
  await req.services.migrations.cancel(shareId);
  return accepted();
}

/** 200 with total_progress and task_state; the details from 2.59, as Manila's share_migration view. */
export async function migrationGetProgress(req: ApiRequest, shareId: string): Promise<ApiResponse> {
  requireAdmin(req, 'share:migration_get_progress');
  await loadShare(req, shareId, 'read');
  const progress = await req.services.migrations.getProgress(shareId);
  const body: Record<string, unknown> = { total_progress: progress.total_progress, task_state: progress.task_state };
  if (versionMatches(req.version, '2.59')) body['details'] = progress.details;
  return json(200, body);
}

/** reset_task_state: `{"task_state": <state or null>}` (wsgi.AdminActionsMixin.validate_update). */
export async function resetTaskState(req: ApiRequest, shareId: string, payload: unknown): Promise<ApiResponse> {
  requireAdmin(req, 'share:reset_task_state');
  if (!isObject(payload) || !('task_state' in payload)) throw badRequest("Must specify 'task_state'");
  const state = payload['task_state'];
  if (state !== null && !isTaskState(state)) {
    throw badRequest(`Invalid state. Valid states: ${[...ALL_TASK_STATES, 'None'].join(', ')}.`);
  }
  await loadShare(req, shareId, 'write', 'share:reset_task_state');
  await req.services.migrations.resetTaskState(shareId, state as TaskState | null);
  return accepted();
}

/**
 * retype (our extension): `{"retype": {"new_share_type": <id or name>, "migration_policy": "on-demand"|"never",
 * "auto_complete": bool}}`. 202 with the new type and the migration that moves the share, if one does.
 */
export async function retype(req: ApiRequest, shareId: string, payload: unknown): Promise<ApiResponse> {
  requireAdmin(req, 'share:retype');
  if (!isObject(payload)) throw badRequest('retype needs {"new_share_type": ...}');
  const newShareType = payload['new_share_type'];
  if (typeof newShareType !== 'string' || newShareType.trim() === '') throw badRequest('new_share_type is required.');
  checkLength(newShareType, 'new_share_type', FIELD_LIMITS.reference);
  const policy = optionalString(payload, 'migration_policy') || undefined;
  if (policy !== undefined && policy !== 'on-demand' && policy !== 'never') throw badRequest(`Invalid migration_policy ${pythonStr(policy)}: on-demand or never.`);
  const autoComplete = 'auto_complete' in payload ? booleanParam(payload, 'auto_complete') : undefined;
  await loadShare(req, shareId, 'write', 'share:retype');
  const result = await req.services.migrations.retype(shareId, {
    new_share_type: newShareType,
    ...(policy ? { migration_policy: policy } : {}),
    ...(autoComplete !== undefined ? { auto_complete: autoComplete } : {}),
  });
  return json(202, {
    retype: {
      share_type_id: result.share_type_id,
      migration_id: result.migration?.id ?? null,
      destination_host: result.migration?.destination_host ?? null,
    },
  });
}
