import { versionMatches } from '../api-version.ts';
import { badRequest, forbidden } from '../http-error.ts';
import { loadShare, requireAdmin } from '../policy.ts';
import { accepted, type ApiRequest, type ApiResponse } from '../request.ts';
import { ShareSizeExceedsAvailableQuotaError } from '../../core/quotas/quota-errors.ts';
import { asInteger, isObject, parseBoolean, pythonStr } from '../validation.ts';

/**
 * The extend and shrink actions of POST /shares/{id}/action (manila/api/v2/shares.py _extend and _shrink):
 * `os-extend` / `os-shrink` below 2.7, `extend` / `shrink` from 2.7, `force` on extend from 2.64 (admin:
 * share:force_extend; ignored before). 202 with no body once the share has its new size (see
 * lambdas/core/shares/share-resize.ts for what is checked).
 */

export async function extendShare(req: ApiRequest, shareId: string, payload: unknown): Promise<ApiResponse> {
  const share = await loadShare(req, shareId, 'write', 'share:extend');
  const newSize = newSizeOf(payload);
  const force = versionMatches(req.version, '2.64') ? forceOf(payload) : false;
  if (force) requireAdmin(req, 'share:force_extend');
  try {
    await req.services.resizes.extend(share.id, newSize, { force, isAdmin: req.identity.isAdmin });
  } catch (err) {
    // Manila's _extend answers this quota error with 403, where a create answers it with 413.
    if (err instanceof ShareSizeExceedsAvailableQuotaError) throw forbidden(err.message);
    throw err;
  }
  req.logger.info('share extended', { newSize, force });
  return accepted();
}

export async function shrinkShare(req: ApiRequest, shareId: string, payload: unknown): Promise<ApiResponse> {
  const share = await loadShare(req, shareId, 'write', 'share:shrink');
  const newSize = newSizeOf(payload);
  await req.services.resizes.shrink(share.id, newSize);
  req.logger.info('share shrunk', { newSize });
  return accepted();
}

/** int(body[action]['new_size']), as Manila reads it. */
function newSizeOf(payload: unknown): number {
  const size = isObject(payload) ? asInteger(payload['new_size']) : undefined;
  if (size === undefined) throw badRequest('New share size must be specified as an integer.');
  return size;
}

/** strutils.bool_from_string(strict=True); absent is false. */
function forceOf(payload: unknown): boolean {
  if (!isObject(payload) || !('force' in payload)) return false;
  const force = parseBoolean(payload['force']);
  if (force === undefined) throw badRequest(`Invalid boolean force : ${pythonStr(payload['force'])}`);
  return force;
}
