import { parseHost } from '../../core/host.ts';
import type { Share, ShareProto } from '../../core/model.ts';
import type { ShareFilter } from '../../core/services.ts';
import { versionMatches } from '../api-version.ts';
import { HttpError, badRequest, notFound } from '../http-error.ts';
import { isNotFound, shareViewContext } from '../lookups.ts';
import { canSeeShare, loadShare, requireAdmin } from '../policy.ts';
import { accepted, json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { booleanOr, booleanParam, isObject, objectEntity, optionalString, pythonStr, stringMap } from '../validation.ts';
import { exportLocationView } from '../views/export-locations.ts';
import { activeInstanceOf, shareDetail, shareSummary, visibleExportLocations } from '../views/shares.ts';

const PROTOCOLS: readonly ShareProto[] = ['NFS', 'CIFS'];
/** Manila's osapi_max_limit. */
const MAX_LIMIT = 1000;
const SORT_KEYS: Readonly<Record<string, (s: Share) => string | number>> = {
  created_at: (s) => s.created_at,
  updated_at: (s) => s.updated_at,
  id: (s) => s.id,
  name: (s) => s.name ?? '',
  size: (s) => s.size,
  status: (s) => s.status,
  share_proto: (s) => s.share_proto,
  share_type_id: (s) => s.share_type_id,
  project_id: (s) => s.project_id,
  host: (s) => activeInstanceOf(s)?.host ?? '',
};

/** POST /shares (manila/api/v1/shares.py _create). */
async function createShare(req: ApiRequest): Promise<ApiResponse> {
  const share = objectEntity(req.body, 'share');
  if (!share) throw new HttpError(422);
  if ('share_type' in share && 'volume_type' in share) throw badRequest('Cannot specify both share_type and volume_type');
  if (share['snapshot_id'] !== undefined && share['snapshot_id'] !== null) {
    throw badRequest('Creating a share from a snapshot is not supported.');
  }
  const size = asInteger(share['size']);
  if (size === undefined || size <= 0) {
    throw badRequest(`Share size '${pythonStr(share['size'])}' must be an integer and greater than 0`);
  }
  const proto = typeof share['share_proto'] === 'string' ? share['share_proto'].toUpperCase() : undefined;
  if (!proto || !PROTOCOLS.includes(proto as ShareProto)) {
    throw badRequest(
      `Invalid share protocol provided: ${pythonStr(share['share_proto'])}. It is either disabled or unsupported. Available protocols: [${PROTOCOLS.map((p) => `'${p}'`).join(', ')}]`,
    );
  }
  const onlyHost = onlyHostHint(req, share['scheduler_hints']);
  const created = await req.services.shares.create({
    name: optionalString(share, 'name') ?? null,
    description: optionalString(share, 'description') ?? null,
    size,
    share_proto: proto as ShareProto,
    share_type: optionalString(share, 'share_type') ?? optionalString(share, 'volume_type') ?? null,
    availability_zone: optionalString(share, 'availability_zone') ?? null,
    metadata: stringMap(share['metadata'], 'metadata'),
    is_public: booleanParam(share, 'is_public', false),
    share_network_id: optionalString(share, 'share_network_id') ?? null,
    ...(onlyHost !== undefined ? { only_host: onlyHost } : {}),
    project_id: req.identity.projectId,
    user_id: req.identity.userId,
  });
  req.logger.appendPersistentKeys({ shareId: created.id });
  return json(200, { share: shareDetail(created, await shareViewContext(req)) });
}

/**
 * The `only_host` scheduler hint (2.67+, admin): place the share on exactly that pool. Before 2.67
 * Manila drops it; the other hints (same_host, different_host) are not supported here and ignored.
 */
function onlyHostHint(req: ApiRequest, hints: unknown): string | undefined {
  if (hints === undefined || hints === null) return undefined;
  if (!isObject(hints)) throw badRequest('Invalid scheduler_hints: expected an object.');
  if (!versionMatches(req.version, '2.67')) return undefined;
  const onlyHost = optionalString(hints, 'only_host');
  if (onlyHost === undefined || onlyHost === '') return undefined;
  requireAdmin(req, 'share:only_host');
  parseHost(onlyHost);
  return onlyHost;
}

/** Manila tolerates a size sent as a string of digits. */
function asInteger(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

/** GET /shares and /shares/detail (ShareMixin._get_shares). */
async function listShares(req: ApiRequest, detail: boolean): Promise<ApiResponse> {
  const { query, identity, services } = req;
  // Shares are deleted for good here: Manila's recycle bin (2.69+) is always empty. The manila CLI
  // asks for it when it looks a share up by name, so live shares must not answer that query.
  if (versionMatches(req.version, '2.69') && booleanOr(query.get('is_soft_deleted'), false)) {
    return json(200, { shares: [] });
  }
  const filter: { -readonly [K in keyof ShareFilter]: ShareFilter[K] } = {};
  const name = query.get('name') ?? query.get('display_name');
  if (name !== undefined) filter.name = name;
  const status = query.get('status');
  if (status !== undefined) filter.status = status;
  const host = query.get('host');
  if (host !== undefined) filter.host = host;
  const typeRef = query.get('share_type_id') ?? query.get('share_type');
  if (typeRef !== undefined) {
    const type = await services.shareTypes.get(typeRef).catch((err: unknown) => {
      if (isNotFound(err)) return null;
      throw err;
    });
    if (!type) return json(200, { shares: [] });
    filter.share_type_id = type.id;
  }
  const allTenants = identity.isAdmin && booleanOr(query.get('all_tenants'), false);
  const includePublic = booleanOr(query.get('is_public'), false);
  const projectFilter = identity.isAdmin ? query.get('project_id') : undefined;
  let shares = (await services.shares.list(filter)).filter((s) =>
    allTenants ? projectFilter === undefined || s.project_id === projectFilter : canSeeShare(req, s, includePublic),
  );
  shares = sortShares(shares, query.get('sort_key') ?? 'created_at', query.get('sort_dir') ?? 'desc');
  const total = shares.length;
  const offset = nonNegativeInt(query.get('offset'), 'offset') ?? 0;
  const limit = Math.min(nonNegativeInt(query.get('limit'), 'limit') ?? MAX_LIMIT, MAX_LIMIT);
  const page = shares.slice(offset, offset + limit);
  const ctx = await shareViewContext(req);
  const body: Record<string, unknown> = { shares: page.map((s) => (detail ? shareDetail(s, ctx) : shareSummary(s, ctx))) };
  if (versionMatches(req.version, '2.42') && booleanOr(query.get('with_count'), false)) body['count'] = total;
  return json(200, body);
}

function sortShares(shares: readonly Share[], key: string, dir: string): Share[] {
  const value = SORT_KEYS[key];
  if (!value) throw badRequest(`Wrong sorting key provided - '${key}'.`);
  if (dir !== 'asc' && dir !== 'desc') throw badRequest(`Wrong sorting data provided: sort key is '${key}' and sort direction is '${dir}'.`);
  const sign = dir === 'asc' ? 1 : -1;
  return [...shares].sort((a, b) => sign * compare(value(a), value(b)));
}

function compare(a: string | number, b: string | number): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}

/** manila.api.common.limited's checks. */
function nonNegativeInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(value)) throw badRequest(`${name} param must be an integer`);
  const n = Number(value);
  if (n < 0) throw badRequest(`${name} param must be positive`);
  return n;
}

async function showShare(req: ApiRequest): Promise<ApiResponse> {
  const share = await loadShare(req, req.params['id']!, 'read');
  return json(200, { share: shareDetail(share, await shareViewContext(req)) });
}

/**
 * DELETE /shares/{id}: 202; a share a migration holds is refused (403, as Manila's InvalidShare here). When
 * its instances left data their drivers cannot remove (an EFS access point's folder), the share stays
 * `deleting` and a purge execution removes the data, then the record: the data of a deleted share is
 * never left billed and forgotten. If that execution cannot be started, the request fails and the share
 * stays `deleting` with its purges recorded: a DELETE again starts it.
 */
async function deleteShare(req: ApiRequest): Promise<ApiResponse> {
  const share = await loadShare(req, req.params['id']!, 'write', 'share:delete');
  const deletion = await req.services.shares.delete(share.id);
  if (deletion.purge_pending) {
    await req.services.migrations.startDataPurge(share.id);
    req.logger.info('share data purge started', { shareId: share.id });
  }
  return accepted();
}

async function listExportLocations(req: ApiRequest): Promise<ApiResponse> {
  const share = await loadShare(req, req.params['id']!, 'read');
  const instance = activeInstanceOf(share);
  if (!instance) return json(200, { export_locations: [] });
  const ctx = { version: req.version, isAdmin: req.identity.isAdmin };
  const locations = visibleExportLocations(share, req.identity.isAdmin).map((l) => exportLocationView(l, instance, ctx, false));
  return json(200, { export_locations: locations });
}

async function showExportLocation(req: ApiRequest): Promise<ApiResponse> {
  const share = await loadShare(req, req.params['id']!, 'read');
  const wanted = req.params['export_location_id']!;
  const instance = activeInstanceOf(share);
  const location = visibleExportLocations(share, req.identity.isAdmin).find((l) => l.id === wanted);
  if (!instance || !location) throw notFound(`Export location ${wanted} not found.`);
  return json(200, { export_location: exportLocationView(location, instance, { version: req.version, isAdmin: req.identity.isAdmin }, true) });
}

export const shareRoutes: readonly Route[] = [
  { method: 'POST', path: '/shares', handler: createShare },
  { method: 'GET', path: '/shares', handler: (req) => listShares(req, false) },
  { method: 'GET', path: '/shares/detail', handler: (req) => listShares(req, true) },
  { method: 'GET', path: '/shares/{id}', handler: showShare },
  { method: 'DELETE', path: '/shares/{id}', handler: deleteShare },
  { method: 'GET', path: '/shares/{id}/export_locations', minVersion: '2.9', handler: listExportLocations },
  { method: 'GET', path: '/shares/{id}/export_locations/{export_location_id}', minVersion: '2.9', handler: showExportLocation },
];
