import type { Share, ShareSnapshot } from '../../core/model.ts';
import { parseBooleanSpec } from '../../core/pools/pool-filter.ts';
import { HttpError, badRequest, notFound } from '../http-error.ts';
import { isNotFound } from '../lookups.ts';
import { loadShare } from '../policy.ts';
import { accepted, json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { booleanOr, booleanParam, objectEntity, optionalString } from '../validation.ts';
import { snapshotDetail, snapshotSummary, type SnapshotViewContext } from '../views/snapshots.ts';

/** Manila's osapi_max_limit. */
const MAX_LIMIT = 1000;
const SORT_KEYS: Readonly<Record<string, (s: ShareSnapshot) => string | number>> = {
  created_at: (s) => s.created_at,
  id: (s) => s.id,
  name: (s) => s.name ?? '',
  display_name: (s) => s.name ?? '',
  status: (s) => s.status,
  size: (s) => s.size,
  share_id: (s) => s.share_id,
  project_id: (s) => s.project_id,
  user_id: (s) => s.user_id,
};

/**
 * POST /snapshots (manila/api/v1/share_snapshots.py create): 202 with the snapshot. A share whose type
 * lacks snapshot_support is a 422, as in Manila; a share a migration holds is Manila's ShareBusyException.
 */
async function createSnapshot(req: ApiRequest): Promise<ApiResponse> {
  const body = objectEntity(req.body, 'snapshot');
  if (!body) throw new HttpError(422);
  const shareId = optionalString(body, 'share_id');
  if (!shareId) throw badRequest("Must specify 'share_id' to create a snapshot.");
  const share = await loadShare(req, shareId, 'write', 'share:create_snapshot');
  const type = await req.services.shareTypes.get(share.share_type_id).catch((err: unknown) => {
    if (isNotFound(err)) return null;
    throw err;
  });
  if (parseBooleanSpec(type?.extra_specs['snapshot_support']) !== true) {
    throw new HttpError(422, `Snapshots cannot be created for share '${share.id}' since it does not have that capability.`);
  }
  const snapshot = await req.services.snapshots.create({
    share_id: share.id,
    // v2 names, and the v1 names Manila still accepts.
    name: optionalString(body, 'name') ?? optionalString(body, 'display_name') ?? null,
    description: optionalString(body, 'description') ?? optionalString(body, 'display_description') ?? null,
    force: booleanParam(body, 'force', false),
    project_id: req.identity.projectId,
    user_id: req.identity.userId,
  });
  req.logger.appendPersistentKeys({ shareId: share.id, snapshotId: snapshot.id });
  return json(202, { snapshot: snapshotDetail(snapshot, await req.services.shares.get(share.id), viewContext(req)) });
}

/** GET /snapshots and /snapshots/detail (ShareSnapshotMixin._get_snapshots). */
async function listSnapshots(req: ApiRequest, detail: boolean): Promise<ApiResponse> {
  const { query, identity, services } = req;
  const allTenants = identity.isAdmin && booleanOr(query.get('all_tenants'), false);
  const projectFilter = identity.isAdmin ? query.get('project_id') : undefined;
  const name = query.get('name') ?? query.get('display_name');
  const status = query.get('status');
  const shareId = query.get('share_id');
  const size = query.get('size');
  let snapshots = (await services.snapshots.list({
    ...(shareId !== undefined ? { share_id: shareId } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(status !== undefined ? { status } : {}),
  }))
    .filter((s) => size === undefined || String(s.size) === size)
    .filter((s) => (allTenants ? projectFilter === undefined || s.project_id === projectFilter : s.project_id === identity.projectId));
  snapshots = sortSnapshots(snapshots, query.get('sort_key') ?? 'created_at', query.get('sort_dir') ?? 'desc');
  const offset = nonNegativeInt(query.get('offset'), 'offset') ?? 0;
  const limit = Math.min(nonNegativeInt(query.get('limit'), 'limit') ?? MAX_LIMIT, MAX_LIMIT);
  const page = snapshots.slice(offset, offset + limit);
  const ctx = viewContext(req);
  if (!detail) return json(200, { snapshots: page.map((s) => snapshotSummary(s, ctx)) });
  const shares = await sharesOf(req, page);
  return json(200, { snapshots: page.map((s) => snapshotDetail(s, shares.get(s.share_id), ctx)) });
}

async function showSnapshot(req: ApiRequest): Promise<ApiResponse> {
  const snapshot = await visibleSnapshot(req, req.params['id']!);
  const share = await req.services.shares.get(snapshot.share_id);
  return json(200, { snapshot: snapshotDetail(snapshot, share, viewContext(req)) });
}

/** DELETE /snapshots/{id}: 202. */
async function deleteSnapshot(req: ApiRequest): Promise<ApiResponse> {
  const snapshot = await visibleSnapshot(req, req.params['id']!);
  req.logger.appendPersistentKeys({ shareId: snapshot.share_id, snapshotId: snapshot.id });
  await req.services.snapshots.delete(snapshot.id);
  return accepted();
}

/**
 * GET /snapshots/{id}/export-locations (2.32+): a snapshot is mountable only where the pool reports
 * mount_snapshot_support, which no backend here does, so the list is empty (the manila CLI's snapshot-show
 * asks for it).
 */
async function listSnapshotExportLocations(req: ApiRequest): Promise<ApiResponse> {
  await visibleSnapshot(req, req.params['id']!);
  return json(200, { share_snapshot_export_locations: [] });
}

/** A tenant sees its project's snapshots; an admin sees all. Others' are not found, as in Manila. */
async function visibleSnapshot(req: ApiRequest, snapshotId: string): Promise<ShareSnapshot> {
  const snapshot = await req.services.snapshots.get(snapshotId);
  if (!req.identity.isAdmin && snapshot.project_id !== req.identity.projectId) throw notFound(`Snapshot ${snapshotId} could not be found.`);
  return snapshot;
}

async function sharesOf(req: ApiRequest, snapshots: readonly ShareSnapshot[]): Promise<Map<string, Share>> {
  const ids = new Set(snapshots.map((s) => s.share_id));
  if (ids.size === 0) return new Map();
  return new Map((await req.services.shares.list()).filter((s) => ids.has(s.id)).map((s) => [s.id, s]));
}

function viewContext(req: ApiRequest): SnapshotViewContext {
  return { version: req.version, isAdmin: req.identity.isAdmin, links: req.links };
}

function sortSnapshots(snapshots: readonly ShareSnapshot[], key: string, dir: string): ShareSnapshot[] {
  const value = SORT_KEYS[key];
  if (!value) throw badRequest(`Wrong sorting key provided - '${key}'.`);
  if (dir !== 'asc' && dir !== 'desc') throw badRequest(`Wrong sorting data provided: sort key is '${key}' and sort direction is '${dir}'.`);
  const sign = dir === 'asc' ? 1 : -1;
  return [...snapshots].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    return sign * (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y)));
  });
}

/** manila.api.common.limited's checks. */
function nonNegativeInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(value)) throw badRequest(`${name} param must be an integer`);
  const n = Number(value);
  if (n < 0) throw badRequest(`${name} param must be positive`);
  return n;
}

export const snapshotRoutes: readonly Route[] = [
  { method: 'POST', path: '/snapshots', handler: createSnapshot },
  { method: 'GET', path: '/snapshots', handler: (req) => listSnapshots(req, false) },
  { method: 'GET', path: '/snapshots/detail', handler: (req) => listSnapshots(req, true) },
  { method: 'GET', path: '/snapshots/{id}', handler: showSnapshot },
  { method: 'DELETE', path: '/snapshots/{id}', handler: deleteSnapshot },
  { method: 'GET', path: '/snapshots/{id}/export-locations', minVersion: '2.32', handler: listSnapshotExportLocations },
];

