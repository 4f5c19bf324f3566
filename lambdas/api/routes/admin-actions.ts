import { ShareStatus } from '../../core/model.ts';
import { badRequest } from '../http-error.ts';
import { loadShare, requireAdmin } from '../policy.ts';
import { accepted, type ApiRequest, type ApiResponse } from '../request.ts';
import { isObject } from '../validation.ts';

/**
 * The admin actions of POST /shares/{id}/action (manila/api/v2/shares.py share_reset_status and
 * share_force_delete, through manila/api/openstack/wsgi.py AdminActionsMixin): `reset_status` /
 * `os-reset_status` and `force_delete` / `os-force_delete`, admin only, 202 with no body.
 */

/** AdminActionsMixin.valid_statuses['status'], in Manila's constants order. */
const RESETTABLE_STATUSES: readonly ShareStatus[] = [
  ShareStatus.CREATING, ShareStatus.AVAILABLE, ShareStatus.DELETING, ShareStatus.ERROR, ShareStatus.ERROR_DELETING,
  ShareStatus.MIGRATING, ShareStatus.MIGRATING_TO, ShareStatus.SERVER_MIGRATING,
];

export async function resetStatus(req: ApiRequest, shareId: string, payload: unknown): Promise<ApiResponse> {
  requireAdmin(req, 'share:reset_status');
  const share = await loadShare(req, shareId, 'write', 'share:reset_status');
  if (!isObject(payload) || !('status' in payload)) throw badRequest("Must specify 'status'");
  const status = payload['status'];
  if (!RESETTABLE_STATUSES.includes(status as ShareStatus)) {
    throw badRequest(`Invalid state. Valid states: ${RESETTABLE_STATUSES.join(', ')}.`);
  }
  await req.services.shares.resetStatus(share.id, status as ShareStatus);
  req.logger.info('share status reset', { status });
  return accepted();
}

/** As DELETE /shares/{id} (routes/shares.ts), whatever the share's status; data left behind is purged. */
export async function forceDelete(req: ApiRequest, shareId: string): Promise<ApiResponse> {
  requireAdmin(req, 'share:force_delete');
  const share = await loadShare(req, shareId, 'write', 'share:force_delete');
  const deletion = await req.services.shares.delete(share.id, { force: true });
  if (deletion.purge_pending) {
    await req.services.migrations.startDataPurge(share.id);
    req.logger.info('share data purge started', { shareId: share.id });
  }
  req.logger.info('share force-deleted', { shareId: share.id });
  return accepted();
}
