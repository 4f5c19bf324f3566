import type { ExportLocation, Share, ShareInstance, ShareType } from '../../core/model.ts';
import { versionMatches, type ApiVersion } from '../api-version.ts';
import type { Links } from '../request.ts';
import { parseBoolean } from '../validation.ts';

export interface ShareViewContext {
  readonly version: ApiVersion;
  readonly isAdmin: boolean;
  readonly links: Links;
  /** The share's type, when it still exists (for its name and capability extra specs). */
  readonly shareType: (id: string) => ShareType | undefined;
}

/** The instance users mount. */
export function activeInstanceOf(share: Share): ShareInstance | undefined {
  return share.instances.find((i) => i.id === share.active_instance_id) ?? share.instances[0];
}

export function visibleExportLocations(share: Share, isAdmin: boolean): readonly ExportLocation[] {
  const locations = activeInstanceOf(share)?.export_locations ?? [];
  return isAdmin ? locations : locations.filter((l) => !l.is_admin_only);
}

/** manila/api/views/shares.py summary. */
export function shareSummary(share: Share, ctx: ShareViewContext): Record<string, unknown> {
  return { id: share.id, name: share.name, links: ctx.links.forResource('shares', share.id) };
}

/** manila/api/views/shares.py detail, with its per-microversion modifiers up to 2.72. */
export function shareDetail(share: Share, ctx: ShareViewContext): Record<string, unknown> {
  const at = (min: string, max?: string) => versionMatches(ctx.version, min, max);
  const instance = activeInstanceOf(share);
  const type = ctx.shareType(share.share_type_id);
  const capability = (spec: string): boolean | null => (type ? (parseBoolean(type.extra_specs[spec]) ?? false) : null);
  const paths = visibleExportLocations(share, ctx.isAdmin).map((l) => l.path);

  const view: Record<string, unknown> = {
    id: share.id,
    size: share.size,
    availability_zone: share.availability_zone,
    created_at: share.created_at,
    status: share.status,
    name: share.name,
    description: share.description,
    project_id: share.project_id,
    snapshot_id: share.snapshot_id ?? null,
    share_network_id: share.share_network_id,
    share_proto: share.share_proto,
    metadata: { ...share.metadata },
    share_type: type?.name ?? share.share_type_id,
    volume_type: type?.name ?? share.share_type_id,
    links: ctx.links.forResource('shares', share.id),
    is_public: share.is_public,
  };
  if (at('2.0', '2.8')) {
    view['export_location'] = paths[0] ?? null;
    view['export_locations'] = paths;
  }
  if (at('2.2')) view['snapshot_support'] = capability('snapshot_support');
  if (at('2.5')) view['task_state'] = share.task_state;
  if (at('2.6')) {
    view['share_type'] = share.share_type_id;
    view['share_type_name'] = type?.name ?? null;
  }
  if (at('2.10')) view['access_rules_status'] = accessRulesStatus(share, at('2.28'));
  if (at('2.11')) {
    view['replication_type'] = null;
    view['has_replicas'] = false;
  }
  if (at('2.16')) view['user_id'] = share.user_id;
  if (at('2.24')) view['create_share_from_snapshot_support'] = capability('create_share_from_snapshot_support');
  if (at('2.27')) view['revert_to_snapshot_support'] = capability('revert_to_snapshot_support');
  if (at('2.31')) {
    view['share_group_id'] = null;
    view['source_share_group_snapshot_member_id'] = null;
  }
  if (at('2.32')) view['mount_snapshot_support'] = capability('mount_snapshot_support');
  if (at('2.54')) view['progress'] = share.status === 'creating' ? '0%' : '100%';
  if (at('2.69')) {
    view['is_soft_deleted'] = false;
    view['scheduled_to_be_deleted_at'] = null;
  }
  if (ctx.isAdmin) {
    view['share_server_id'] = null;
    view['host'] = instance?.host ?? null;
  }
  return view;
}

/** The share's aggregate rule state; before 2.28 "syncing" was called "out_of_sync". */
export function accessRulesStatus(share: Share, syncingName: boolean): string {
  if (share.access_rules.some((r) => r.state === 'error')) return 'error';
  if (share.access_rules.some((r) => r.state !== 'active')) return syncingName ? 'syncing' : 'out_of_sync';
  return 'active';
}
