import type { Share, ShareSnapshot } from '../../core/model.ts';
import { compareCodePoints, type SortDirection } from '../../core/shares/share-list.ts';
import { parseBooleanSpec } from '../../core/pools/pool-filter.ts';
import { HttpError, badRequest, notFound } from '../http-error.ts';
import { nextPageLinks, pageParams, sortParams } from '../list-params.ts';
import { isNotFound, isReference } from '../lookups.ts';
import { loadShare } from '../policy.ts';
import { accepted, json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { booleanOr, booleanParam, displayField, objectEntity, optionalString } from '../validation.ts';
import { snapshotDetail, snapshotSummary, type SnapshotViewContext } from '../views/snapshots.ts';

type SnapshotSortValue = (snapshot: ShareSnapshot, share: Share | undefined) => string | number;

/**
 * Manila's snapshot sort keys (models.ShareSnapshot's columns; name and description are its
 * display_name and display_description), in a Map so that no name inherited from Object.prototype is
 * one. share_proto and share_size are the share's.
 */
export const SNAPSHOT_SORT_KEYS: ReadonlyMap<string, SnapshotSortValue> = new Map<string, SnapshotSortValue>([
  ['id', (s) => s.id],
  ['created_at', (s) => s.created_at],
  ['updated_at', (s) => s.updated_at ?? ''],
  ['display_name', (s) => s.name ?? ''],
  ['name', (s) => s.name ?? ''],
  ['display_description', (s) => s.description ?? ''],
  ['description', (s) => s.description ?? ''],
  ['status', (s) => s.status],
  ['size', (s) => s.size],
  ['share_size', (s) => s.size],
  ['share_id', (s) => s.share_id],
  ['share_proto', (_s, share) => share?.share_proto ?? ''],
  ['project_id', (s) => s.project_id],
  ['user_id', (s) => s.user_id],
]);

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
    name: displayField(body, 'name') ?? displayField(body, 'display_name') ?? null,
    description: displayField(body, 'description') ?? displayField(body, 'display_description') ?? null,
    force: booleanParam(body, 'force', false),
    project_id: req.identity.projectId,
    user_id: req.identity.userId,
  });
  req.logger.appendPersistentKeys({ shareId: share.id, snapshotId: snapshot.id });
  return json(202, { snapshot: snapshotDetail(snapshot, await req.services.shares.get(share.id), viewContext(req)) });
}

/**
 * GET /snapshots and /snapshots/detail (ShareSnapshotMixin._get_snapshots). Snapshots live in their
 * share's record: the service reads only the shares that have snapshots (the store's sparse index of
 * them), and this sorts and pages the caller's snapshots among those.
 */
async function listSnapshots(req: ApiRequest, detail: boolean): Promise<ApiResponse> {
  const { query, identity, services } = req;
  const sort = sortParams(query, SNAPSHOT_SORT_KEYS);
  const page = pageParams(query);
  const allTenants = identity.isAdmin && booleanOr(query.get('all_tenants'), false);
  const projectFilter = identity.isAdmin ? query.get('project_id') : undefined;
  const name = query.get('name') ?? query.get('display_name');
  const status = query.get('status');
  const shareId = query.get('share_id');
  const size = query.get('size');
  // A share id too long to be one has no snapshots, and must not reach the store as a key (issue 16 item 10).
  if (shareId !== undefined && !isReference(shareId)) return json(200, { snapshots: [] });
  const visible = (await services.snapshots.list({
    ...(shareId !== undefined ? { share_id: shareId } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(status !== undefined ? { status } : {}),
  }))
    .filter((s) => size === undefined || String(s.size) === size)
    .filter((s) => (allTenants ? projectFilter === undefined || s.project_id === projectFilter : s.project_id === identity.projectId));
  const shares = await sharesOf(req, sort.key === 'share_proto' ? visible : []);
  const sorted = sortSnapshots(visible, sort.field, sort.dir, shares);
  let start = 0;
  if (page.marker !== undefined) {
    start = sorted.findIndex((s) => s.id === page.marker) + 1;
    if (start === 0) throw badRequest(`The marker ${page.marker} could not be found.`);
  }
  const items = sorted.slice(start + page.offset, start + page.offset + page.limit);
  const ctx = viewContext(req);
  const links = nextPageLinks(`${req.links.baseUrl}/v2/${identity.projectId}/snapshots${detail ? '/detail' : ''}`, query, page, items);
  const withLinks = (body: Record<string, unknown>) => (links.length > 0 ? { ...body, snapshots_links: links } : body);
  if (!detail) return json(200, withLinks({ snapshots: items.map((s) => snapshotSummary(s, ctx)) }));
  const itemShares = await sharesOf(req, items);
  return json(200, withLinks({ snapshots: items.map((s) => snapshotDetail(s, itemShares.get(s.share_id), ctx)) }));
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

/** The shares of these snapshots, each read once by id. */
async function sharesOf(req: ApiRequest, snapshots: readonly ShareSnapshot[]): Promise<Map<string, Share>> {
  const ids = [...new Set(snapshots.map((s) => s.share_id))];
  const shares = await Promise.all(ids.map((id) => req.services.shares.get(id).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  })));
  return new Map(shares.flatMap((share) => (share ? [[share.id, share] as const] : [])));
}

function viewContext(req: ApiRequest): SnapshotViewContext {
  return { version: req.version, isAdmin: req.identity.isAdmin, links: req.links };
}

/** In the key's order, then by id, as Manila's apply_sorting. */
function sortSnapshots(snapshots: readonly ShareSnapshot[], value: SnapshotSortValue, dir: SortDirection, shares: ReadonlyMap<string, Share>): ShareSnapshot[] {
  const sign = dir === 'asc' ? 1 : -1;
  const keyed = snapshots.map((snapshot) => ({ snapshot, key: value(snapshot, shares.get(snapshot.share_id)) }));
  return keyed
    .sort((a, b) => {
      const byKey = typeof a.key === 'number' && typeof b.key === 'number' ? a.key - b.key : compareCodePoints(String(a.key), String(b.key));
      return sign * (byKey !== 0 ? byKey : compareCodePoints(a.snapshot.id, b.snapshot.id));
    })
    .map(({ snapshot }) => snapshot);
}

export const snapshotRoutes: readonly Route[] = [
  { method: 'POST', path: '/snapshots', handler: createSnapshot },
  { method: 'GET', path: '/snapshots', handler: (req) => listSnapshots(req, false) },
  { method: 'GET', path: '/snapshots/detail', handler: (req) => listSnapshots(req, true) },
  { method: 'GET', path: '/snapshots/{id}', handler: showSnapshot },
  { method: 'DELETE', path: '/snapshots/{id}', handler: deleteSnapshot },
  { method: 'GET', path: '/snapshots/{id}/export-locations', minVersion: '2.32', handler: listSnapshotExportLocations },
];

