import type { ShareType } from '../../core/model.ts';
import { versionMatches, type ApiVersion } from '../api-version.ts';

/** Extra specs a tenant may see (manila.common.constants.ExtraSpecs.TENANT_VISIBLE); admins see them all. */
const TENANT_VISIBLE = new Set([
  'driver_handles_share_servers',
  'snapshot_support',
  'create_share_from_snapshot_support',
  'revert_to_snapshot_support',
  'mount_snapshot_support',
  'replication_type',
  'availability_zones',
  'provisioning:max_share_size',
  'provisioning:min_share_size',
  'provisioning:max_share_extend_size',
]);

const REQUIRED_SPECS = ['driver_handles_share_servers'];

export interface ShareTypeViewContext {
  readonly version: ApiVersion;
  readonly isAdmin: boolean;
  readonly defaultTypeId: string | null;
}

/**
 * manila/api/views/types.py: id, name, extra_specs, required_extra_specs; the visibility flag is
 * `os-share-type-access:is_public` before 2.7 and `share_type_access:is_public` from 2.7; description
 * from 2.41, is_default from 2.46.
 */
export function shareTypeView(type: ShareType, ctx: ShareTypeViewContext): Record<string, unknown> {
  const extraSpecs = visibleExtraSpecs(type, ctx.isAdmin);
  const required = Object.fromEntries(Object.entries(extraSpecs).filter(([key]) => REQUIRED_SPECS.includes(key)));
  const view: Record<string, unknown> = { id: type.id, name: type.name, extra_specs: extraSpecs, required_extra_specs: required };
  if (versionMatches(ctx.version, '2.7')) view['share_type_access:is_public'] = type.is_public;
  else view['os-share-type-access:is_public'] = type.is_public;
  if (versionMatches(ctx.version, '2.41')) view['description'] = type.description;
  if (versionMatches(ctx.version, '2.46')) view['is_default'] = type.id === ctx.defaultTypeId;
  return view;
}

export function visibleExtraSpecs(type: ShareType, isAdmin: boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(type.extra_specs).filter(([key]) => isAdmin || TENANT_VISIBLE.has(key)));
}

/** Manila answers with both keys, the old volume_type one included. */
export function shareTypeBody(type: ShareType, ctx: ShareTypeViewContext): Record<string, unknown> {
  const view = shareTypeView(type, ctx);
  return { share_type: view, volume_type: view };
}

export function shareTypesBody(types: readonly ShareType[], ctx: ShareTypeViewContext): Record<string, unknown> {
  const views = types.map((t) => shareTypeView(t, ctx));
  return { share_types: views, volume_types: views };
}
