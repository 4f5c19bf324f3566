import { NotFoundError } from '../core/errors.ts';
import type { Share } from '../core/model.ts';
import { forbidden } from './http-error.ts';
import { isReference } from './lookups.ts';
import { quoteValue } from './quote.ts';
import type { ApiRequest } from './request.ts';

/**
 * Manila's default policies, the part this API needs: migration, share types and pools are
 * admin-only; a tenant sees its own shares and public ones, and changes only its own.
 */
export function requireAdmin(req: ApiRequest, action: string): void {
  if (!req.identity.isAdmin) throw forbidden(`Policy doesn't allow ${action} to be performed.`);
}

/** The share, as the caller may see it; an id too long to be one is not found without a lookup. */
export async function loadShare(req: ApiRequest, shareId: string, mode: 'read' | 'write', action = 'share:update'): Promise<Share> {
  if (!isReference(shareId)) throw new NotFoundError(`Share ${quoteValue(shareId)} could not be found.`);
  const share = await req.services.shares.get(shareId);
  if (req.identity.isAdmin || share.project_id === req.identity.projectId) return share;
  if (!share.is_public) throw new NotFoundError(`Share ${shareId} could not be found.`, { shareId });
  if (mode === 'write') throw forbidden(`Policy doesn't allow ${action} to be performed.`);
  return share;
}

export function canSeeShare(req: ApiRequest, share: Share, includePublic: boolean): boolean {
  return share.project_id === req.identity.projectId || (includePublic && share.is_public);
}
