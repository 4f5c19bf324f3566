import { loadShare, requireAdmin } from '../policy.ts';
import { json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { migrationView } from '../views/migrations.ts';

/** Our extension: a share's migrations, newest first, and one migration by id (admin, as migrations are). */
async function listShareMigrations(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'share:migration_get_progress');
  const share = await loadShare(req, req.params['id']!, 'read');
  const migrations = await req.services.migrations.listForShare(share.id);
  return json(200, { migrations: migrations.map(migrationView) });
}

async function showMigration(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'share:migration_get_progress');
  const migration = await req.services.migrations.get(req.params['id']!);
  req.logger.appendPersistentKeys({ shareId: migration.share_id, migrationId: migration.id });
  return json(200, { migration: migrationView(migration) });
}

export const migrationRoutes: readonly Route[] = [
  { method: 'GET', path: '/shares/{id}/migrations', handler: listShareMigrations },
  { method: 'GET', path: '/migrations/{id}', handler: showMigration },
];
