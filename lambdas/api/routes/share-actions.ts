import { versionMatches } from '../api-version.ts';
import { badRequest, notFound } from '../http-error.ts';
import type { ApiRequest, ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { quoteValue } from '../quote.ts';
import { isObject } from '../validation.ts';
import { accessList, allowAccess, denyAccess } from './access-actions.ts';
import { forceDelete, resetStatus } from './admin-actions.ts';
import { extendShare, shrinkShare } from './share-resize-actions.ts';
import { migrationCancel, migrationComplete, migrationGetProgress, migrationStart, resetTaskState, retype } from './migration-actions.ts';

/**
 * POST /shares/{id}/action: the body's one key names the action (wsgi.action_peek_json). Each action
 * exists only in its microversion range, as in manila/api/v2/shares.py; outside it the action is a 404.
 *
 * Manila marks the migration actions experimental and hides them unless the request carries
 * X-OpenStack-Manila-API-Experimental: True. Migration is this service's purpose, not an experiment,
 * so they answer with or without the header (the manila CLI sends it; plain scripts need not).
 */
interface ShareAction {
  readonly minVersion: string;
  readonly maxVersion?: string;
  readonly run: (req: ApiRequest, shareId: string, payload: unknown) => Promise<ApiResponse>;
}

const ACTIONS: Readonly<Record<string, ShareAction>> = {
  'os-allow_access': { minVersion: '2.0', maxVersion: '2.6', run: allowAccess },
  allow_access: { minVersion: '2.7', run: allowAccess },
  'os-deny_access': { minVersion: '2.0', maxVersion: '2.6', run: denyAccess },
  deny_access: { minVersion: '2.7', run: denyAccess },
  'os-access_list': { minVersion: '2.0', maxVersion: '2.6', run: accessList },
  access_list: { minVersion: '2.7', maxVersion: '2.44', run: accessList },
  'os-reset_status': { minVersion: '2.0', maxVersion: '2.6', run: resetStatus },
  reset_status: { minVersion: '2.7', run: resetStatus },
  'os-force_delete': { minVersion: '2.0', maxVersion: '2.6', run: forceDelete },
  force_delete: { minVersion: '2.7', run: forceDelete },
  'os-extend': { minVersion: '2.0', maxVersion: '2.6', run: extendShare },
  extend: { minVersion: '2.7', run: extendShare },
  'os-shrink': { minVersion: '2.0', maxVersion: '2.6', run: shrinkShare },
  shrink: { minVersion: '2.7', run: shrinkShare },
  migration_start: { minVersion: '2.29', run: migrationStart },
  migration_complete: { minVersion: '2.22', run: migrationComplete },
  migration_cancel: { minVersion: '2.22', run: migrationCancel },
  migration_get_progress: { minVersion: '2.22', run: migrationGetProgress },
  reset_task_state: { minVersion: '2.22', run: resetTaskState },
  // Our extension (README): retype built on migration.
  retype: { minVersion: '2.29', run: retype },
};

async function dispatchAction(req: ApiRequest): Promise<ApiResponse> {
  const body = req.body;
  if (!isObject(body) || Object.keys(body).length !== 1) throw badRequest('Malformed request body');
  const [name] = Object.keys(body) as [string];
  const action = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
  if (!action) throw badRequest(`There is no such action: ${quoteValue(name)}`);
  if (!versionMatches(req.version, action.minVersion, action.maxVersion)) throw notFound();
  const shareId = req.params['id']!;
  req.logger.appendPersistentKeys({ shareId, action: name });
  return action.run(req, shareId, body[name]);
}

export const shareActionRoutes: readonly Route[] = [{ method: 'POST', path: '/shares/{id}/action', handler: dispatchAction }];
