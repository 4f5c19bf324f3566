import { versionMatches } from '../api-version.ts';
import { badRequest, forbidden, notFound } from '../http-error.ts';
import { shareTypeOrNull } from '../lookups.ts';
import { requireAdmin } from '../policy.ts';
import { quoteValue } from '../quote.ts';
import { accepted, json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { asInteger, isObject, parseBoolean } from '../validation.ts';
import {
  QUOTA_KEYS, QUOTA_KEY_MIN_VERSION, SHARE_TYPE_QUOTA_KEYS, type QuotaKey, type QuotaLimits, type QuotaUsage,
} from '../../core/quotas/quota-model.ts';
import type { QuotaScope } from '../../core/quotas/quota-service.ts';

/**
 * Quota sets (manila/api/v2/quota_sets.py, views/quota_sets.py): `quota-sets` from 2.7, `os-quota-sets`
 * before; `/detail` with usage from 2.25; per share type with `?share_type=` from 2.39. A project's own
 * member or reader sees its quotas (another project's is 403), an admin sees and changes any.
 *
 * Not served: quotas per user. `?user_id=` on a show answers the project's quotas (what Manila answers
 * for a user without quotas of their own); setting them is refused (README).
 */

/** Keys a body may carry that are not quotas (NON_QUOTA_KEYS). */
const NON_QUOTA_KEYS = new Set(['tenant_id', 'id', 'force', 'share_type']);

/** The scope of a request: the path's project, and `?share_type=` (2.39+) as a type id. */
async function scopeOf(req: ApiRequest): Promise<QuotaScope> {
  const projectId = req.params['project_id']!;
  const userId = req.query.get('user_id');
  const shareType = req.query.get('share_type');
  if (shareType && !versionMatches(req.version, '2.39')) {
    throw badRequest("'share_type' key is not supported by this microversion. Use 2.39 or greater microversion to be able to use 'share_type' quotas.");
  }
  if (userId && shareType) throw badRequest("'user_id' and 'share_type' values are mutually exclusive");
  if (!shareType) return { projectId };
  const type = await shareTypeOrNull(req, shareType);
  if (!type) throw notFound(`Share type with name or id '${quoteValue(shareType)}' not found.`);
  return { projectId, shareTypeId: type.id };
}

/** db.authorize_project_context: a caller that is not an admin reads its own project's quotas only. */
function authorizeProject(req: ApiRequest): void {
  if (!req.identity.isAdmin && req.params['project_id'] !== req.identity.projectId) throw forbidden();
}

/** The view: Manila's keys by microversion, `id` when given, share_networks and the group keys only for a project. */
function quotaSetView(req: ApiRequest, values: (key: QuotaKey) => unknown, options: { projectId?: string; shareType?: boolean }): ApiResponse {
  const view: Record<string, unknown> = {};
  for (const key of ['shares', 'gigabytes', 'snapshots', 'snapshot_gigabytes'] as const) view[key] = values(key);
  if (options.projectId !== undefined) view['id'] = options.projectId;
  if (!options.shareType) view['share_networks'] = values('share_networks');
  for (const key of QUOTA_KEYS) {
    if (key in view || key === 'share_networks') continue;
    if (options.shareType && !SHARE_TYPE_QUOTA_KEYS.includes(key)) continue;
    const from = QUOTA_KEY_MIN_VERSION[key];
    if (from !== undefined && versionMatches(req.version, from)) view[key] = values(key);
  }
  return json(200, { quota_set: view });
}

async function showQuotas(req: ApiRequest, detail: boolean): Promise<ApiResponse> {
  authorizeProject(req);
  const scope = await scopeOf(req);
  const limits = await req.services.quotas.limits(scope);
  const shareType = scope.shareTypeId !== undefined;
  if (!detail) return quotaSetView(req, (key) => limits[key], { projectId: scope.projectId, shareType });
  const usage: QuotaUsage = await req.services.quotas.usage(scope);
  return quotaSetView(req, (key) => ({ in_use: usage[key], limit: limits[key], reserved: 0 }), { projectId: scope.projectId, shareType });
}

async function showDefaults(req: ApiRequest): Promise<ApiResponse> {
  const defaults: QuotaLimits = req.services.quotas.defaults();
  return quotaSetView(req, (key) => defaults[key], { projectId: req.params['project_id']! });
}

/** PUT (admin): the given limits, checked as Manila's _update checks them; answers the scope's limits (no id). */
async function updateQuotas(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'quota_set:update');
  const body = isObject(req.body) && isObject(req.body['quota_set']) ? req.body['quota_set'] : {};
  if (!QUOTA_KEYS.some((key) => body[key] !== undefined && body[key] !== null)) throw badRequest('Must supply at least one quota field to update.');
  if (req.query.get('user_id')) throw badRequest('Quotas per user are not supported by this service: set the project\'s quotas.');
  for (const [key, from] of Object.entries(QUOTA_KEY_MIN_VERSION)) {
    if (body[key] && !versionMatches(req.version, from)) {
      throw badRequest(`'${key}' key is not supported by this microversion. Use ${from} or greater microversion to be able to use '${key}' quotas.`);
    }
  }
  const scope = await scopeOf(req);
  if (scope.shareTypeId !== undefined && (body['share_groups'] ?? body['share_group_snapshots'])) {
    throw badRequest('Share type quotas cannot constrain share groups and share group snapshots.');
  }
  let force = false;
  const badKeys: string[] = [];
  const changes: Partial<Record<QuotaKey, number>> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'share_networks' && scope.shareTypeId !== undefined) {
      throw badRequest("'share_networks' quota cannot be set for share type. It can be set only for project or user.");
    }
    if (!(QUOTA_KEYS as readonly string[]).includes(key) && !NON_QUOTA_KEYS.has(key)) {
      badKeys.push(key);
    } else if (key === 'force') {
      force = parseBoolean(value) ?? false;
    } else if (!NON_QUOTA_KEYS.has(key) && value !== null && value !== undefined && value !== '') {
      const limit = asInteger(value);
      if (limit === undefined) throw badRequest(`Quota '${quoteValue(value)}' for ${key} should be integer.`);
      changes[key as QuotaKey] = limit;
    }
  }
  if (badKeys.length > 0) throw badRequest(`Bad key(s) ${badKeys.join(',')} in quota_set.`);
  const limits = await req.services.quotas.update(scope, changes, force);
  req.logger.info('quotas updated', { projectId: scope.projectId, shareTypeId: scope.shareTypeId, changes, force });
  return quotaSetView(req, (key) => limits[key], { shareType: scope.shareTypeId !== undefined });
}

/** DELETE (admin): back to the defaults. User quotas do not exist here: deleting them changes nothing. */
async function deleteQuotas(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'quota_set:delete');
  const scope = await scopeOf(req);
  if (!req.query.get('user_id')) await req.services.quotas.reset(scope);
  return accepted();
}

function quotaRoutes(root: string, range: { minVersion?: string; maxVersion?: string }): Route[] {
  return [
    { method: 'GET', path: `/${root}/{project_id}`, ...range, handler: (req) => showQuotas(req, false) },
    { method: 'GET', path: `/${root}/{project_id}/defaults`, ...range, handler: showDefaults },
    { method: 'PUT', path: `/${root}/{project_id}`, ...range, handler: updateQuotas },
    { method: 'DELETE', path: `/${root}/{project_id}`, ...range, handler: deleteQuotas },
  ];
}

export const quotaSetRoutes: readonly Route[] = [
  ...quotaRoutes('quota-sets', { minVersion: '2.7' }),
  { method: 'GET', path: '/quota-sets/{project_id}/detail', minVersion: '2.25', handler: (req) => showQuotas(req, true) },
  ...quotaRoutes('os-quota-sets', { maxVersion: '2.6' }),
];
