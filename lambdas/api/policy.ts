import { NotFoundError } from '../core/errors.ts';
import type { Share } from '../core/model.ts';
import { forbidden } from './http-error.ts';
import { isReference } from './lookups.ts';
import { quoteValue } from './quote.ts';
import type { ApiRequest, Identity } from './request.ts';

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

/** Manila's policy prefix per resource root, for the message a refused reader gets. */
const POLICY_PREFIX: Readonly<Record<string, string>> = {
  shares: 'share',
  snapshots: 'share_snapshot',
  'share-networks': 'share_network',
  'security-services': 'security_service',
  types: 'share_type',
  'share-access-rules': 'share_access_metadata',
  'migration-schedules': 'migration_schedule',
  'quota-sets': 'quota_set',
  'os-quota-sets': 'quota_set',
};

/** Share actions a reader may take (Manila: `share:access_get_all` is a reader's). */
const READ_ACTIONS = new Set(['access_list', 'os-access_list']);

/**
 * Manila's default policies (secure RBAC): a `reader` may read its project and change nothing, so every
 * write is refused with 403 before it reaches a controller. Answers the policy the request would need,
 * or undefined when the identity may go on (the controllers' own checks still apply).
 */
export function refusedToReader(identity: Identity, method: string, resourcePath: string, rawBody: string | null | undefined): string | undefined {
  if (!identity.isReader || method === 'GET' || method === 'HEAD') return undefined;
  const segments = resourcePath.split('/').filter(Boolean);
  const prefix = POLICY_PREFIX[segments[0] ?? ''] ?? segments[0] ?? 'share';
  if (segments[2] === 'action') {
    const action = firstKey(rawBody);
    if (action !== undefined && READ_ACTIONS.has(action)) return undefined;
    return `${prefix}:${(action ?? 'action').replace(/^os-/, '')}`;
  }
  if (segments[2] === 'metadata') {
    const verb = method === 'DELETE' ? 'delete' : 'update';
    return prefix === 'share' ? `share:${verb}_share_metadata` : `${prefix}:${verb}`;
  }
  const verb = method === 'POST' ? 'create' : method === 'DELETE' ? 'delete' : 'update';
  return prefix === 'share_snapshot' ? `${prefix}:${verb}_snapshot` : `${prefix}:${verb}`;
}

function firstKey(rawBody: string | null | undefined): string | undefined {
  try {
    const body: unknown = JSON.parse(rawBody ?? '');
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body)[0] : undefined;
  } catch {
    return undefined;
  }
}
