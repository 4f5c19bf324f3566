import type { Share, ShareSnapshot } from '../../core/model.ts';
import { versionMatches, type ApiVersion } from '../api-version.ts';
import type { Links } from '../request.ts';

export interface SnapshotViewContext {
  readonly version: ApiVersion;
  readonly isAdmin: boolean;
  readonly links: Links;
}

/** manila/api/views/share_snapshots.py summary. */
export function snapshotSummary(snapshot: ShareSnapshot, ctx: SnapshotViewContext): Record<string, unknown> {
  return { id: snapshot.id, name: snapshot.name, links: ctx.links.forResource('snapshots', snapshot.id) };
}

/**
 * manila/api/views/share_snapshots.py detail, with its modifiers up to 2.72: provider_location for admins
 * (2.12, the copy on the share's active instance), user and project ids (2.17).
 */
export function snapshotDetail(snapshot: ShareSnapshot, share: Share | undefined, ctx: SnapshotViewContext): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: snapshot.id,
    share_id: snapshot.share_id,
    share_size: share?.size ?? snapshot.size,
    created_at: snapshot.created_at,
    status: snapshot.status,
    name: snapshot.name,
    description: snapshot.description,
    size: snapshot.size,
    share_proto: share?.share_proto ?? null,
    links: ctx.links.forResource('snapshots', snapshot.id),
  };
  if (versionMatches(ctx.version, '2.12') && ctx.isAdmin) {
    const active = snapshot.instances.find((i) => i.share_instance_id === share?.active_instance_id) ?? snapshot.instances[0];
    view['provider_location'] = active?.provider_location ?? null;
  }
  if (versionMatches(ctx.version, '2.17')) {
    view['user_id'] = snapshot.user_id;
    view['project_id'] = snapshot.project_id;
  }
  return view;
}
