import { parseHost } from '../../core/host.ts';
import type { ShareProto } from '../../core/model.ts';
import { versionMatches } from '../api-version.ts';
import { HttpError, badRequest, notFound } from '../http-error.ts';
import { loadShareType, shareViewContext } from '../lookups.ts';
import { NotFoundError } from '../../core/errors.ts';
import { typeVisibleTo } from '../../core/share-types/share-type-access.ts';
import { quoteValue } from '../quote.ts';
import { loadShare, requireAdmin } from '../policy.ts';
import { accepted, json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { asInteger, booleanParam, displayField, isObject, objectEntity, optionalString, pythonStr, stringMap } from '../validation.ts';
import { exportLocationView } from '../views/export-locations.ts';
import { activeInstanceOf, shareDetail, visibleExportLocations } from '../views/shares.ts';
import { requestedSnapshot } from './share-from-snapshot.ts';
import { listShares } from './share-list.ts';

const PROTOCOLS: readonly ShareProto[] = ['NFS', 'CIFS'];

/** POST /shares (manila/api/v2/shares.py _create), empty or from a snapshot. */
async function createShare(req: ApiRequest): Promise<ApiResponse> {
  const share = objectEntity(req.body, 'share');
  if (!share) throw new HttpError(422);
  if ('share_type' in share && 'volume_type' in share) throw badRequest('Cannot specify both share_type and volume_type');
  // From a snapshot (share-from-snapshot.ts): a size left out or null is the snapshot's, as Manila's share API takes it.
  const snapshot = await requestedSnapshot(req, share['snapshot_id']);
  const sizeLeftOut = share['size'] === undefined || share['size'] === null;
  // Manila tolerates a size sent as a string of digits; it stores at most DB_MAX_INT.
  const size = snapshot && sizeLeftOut ? snapshot.size : asInteger(share['size']);
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
  const shareType = optionalString(share, 'share_type') ?? optionalString(share, 'volume_type') ?? null;
  if (shareType) await requireVisibleType(req, shareType);
  if (snapshot) req.logger.appendPersistentKeys({ snapshotId: snapshot.id });
  const created = await req.services.shares.create({
    name: displayField(share, 'name') ?? null,
    description: displayField(share, 'description') ?? null,
    size,
    share_proto: proto as ShareProto,
    share_type: shareType,
    availability_zone: optionalString(share, 'availability_zone') ?? null,
    metadata: stringMap(share['metadata'], 'metadata'),
    is_public: booleanParam(share, 'is_public', false),
    share_network_id: optionalString(share, 'share_network_id') ?? null,
    ...(onlyHost !== undefined ? { only_host: onlyHost } : {}),
    ...(snapshot ? { snapshot_id: snapshot.id } : {}),
    project_id: req.identity.projectId,
    user_id: req.identity.userId,
  });
  req.logger.appendPersistentKeys({ shareId: created.id });
  return json(200, { share: shareDetail(created, await shareViewContext(req)) });
}

/** A private type the caller's project was not granted is not found, as Manila's type query answers a tenant. */
async function requireVisibleType(req: ApiRequest, ref: string): Promise<void> {
  const type = await loadShareType(req, ref);
  if (!typeVisibleTo(type, req.identity.projectId, req.identity.isAdmin)) throw new NotFoundError(`Share type ${quoteValue(ref)} could not be found.`);
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
