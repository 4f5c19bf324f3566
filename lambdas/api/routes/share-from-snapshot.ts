import { NotFoundError } from '../../core/errors.ts';
import type { ShareSnapshot } from '../../core/model.ts';
import { parseBooleanSpec } from '../../core/pools/pool-filter.ts';
import { cannotCreateFrom } from '../../core/shares/share-from-snapshot.ts';
import { versionMatches } from '../api-version.ts';
import { isNotFound, isReference } from '../lookups.ts';
import { quoteValue } from '../quote.ts';
import type { ApiRequest } from '../request.ts';

/**
 * POST /shares with `snapshot_id`, the part manila/api/v2/shares.py _create checks before the share API: the
 * snapshot must be one the caller may see (another project's is not found, as Manila's snapshot query
 * answers a tenant), and from 2.24 its parent share must have create_share_from_snapshot_support (its type's
 * extra spec, as the share view shows it), else 400. The rest (status, size, type, zone, network, the pool's
 * capability) is the domain's (lambdas/core/shares/share-from-snapshot.ts). Returns null when the request
 * names no snapshot (absent, null or "", which Manila ignores).
 */
export async function requestedSnapshot(req: ApiRequest, value: unknown): Promise<ShareSnapshot | null> {
  if (value === undefined || value === null || value === '') return null;
  const notFound = () => new NotFoundError(`Snapshot ${quoteValue(value)} could not be found.`);
  if (typeof value !== 'string' || !isReference(value)) throw notFound();
  const snapshot = await req.services.snapshots.get(value);
  if (!req.identity.isAdmin && snapshot.project_id !== req.identity.projectId) throw notFound();
  if (versionMatches(req.version, '2.24')) {
    const parent = await req.services.shares.get(snapshot.share_id);
    const type = await req.services.shareTypes.get(parent.share_type_id).catch((err: unknown) => {
      if (isNotFound(err)) return null;
      throw err;
    });
    if (parseBooleanSpec(type?.extra_specs['create_share_from_snapshot_support']) !== true) throw cannotCreateFrom(snapshot.id);
  }
  return snapshot;
}
