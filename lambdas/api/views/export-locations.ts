import type { ExportLocation, ShareInstance } from '../../core/model.ts';
import { versionMatches, type ApiVersion } from '../api-version.ts';

/** manila/api/views/export_locations.py: `id` and `path`; `preferred` from 2.14; admins see the instance and admin-only flag. */
export function exportLocationView(
  location: ExportLocation,
  instance: ShareInstance,
  ctx: { readonly version: ApiVersion; readonly isAdmin: boolean },
  detail: boolean,
): Record<string, unknown> {
  const view: Record<string, unknown> = { id: location.id, path: location.path };
  if (versionMatches(ctx.version, '2.14')) view['preferred'] = location.preferred;
  if (ctx.isAdmin) {
    view['share_instance_id'] = instance.id;
    view['is_admin_only'] = location.is_admin_only;
  }
  if (detail) {
    view['created_at'] = instance.created_at;
    view['updated_at'] = null;
  }
  return view;
}
