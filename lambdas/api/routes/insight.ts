import type { OperatorInsight } from '../../core/operator-insight.ts';
import { badRequest, notFound } from '../http-error.ts';
import { requireAdmin } from '../policy.ts';
import { json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';

/**
 * Our extension for the operator's console (issue 18), admin-only as migrations are: the state machine's
 * definition, the path a migration's execution took, the newest migration events. Where the runtime
 * cannot answer them (on AWS: the Step Functions console has the graph and history, EventBridge the
 * events), 404 says so.
 */
const DEFAULT_EVENTS = 200;
const MAX_EVENTS = 1000;

function insightOf(req: ApiRequest): OperatorInsight {
  const insight = req.services.insight;
  if (!insight) throw notFound('Not served by this deployment: on AWS, the Step Functions console shows the state machine and its executions, and the migration events go to the EventBridge bus.');
  return insight;
}

async function showDefinition(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'workflow:get_definition');
  return json(200, { definition: await insightOf(req).definition() });
}

async function showExecution(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'share:migration_get_progress');
  const migration = await req.services.migrations.get(req.params['id']!);
  req.logger.appendPersistentKeys({ shareId: migration.share_id, migrationId: migration.id });
  const path = migration.execution_id ? await insightOf(req).executionPath(migration.execution_id) : undefined;
  if (!path) throw notFound(`No execution of migration ${migration.id} is known to this runtime (it ran before its last start, or has not started).`);
  return json(200, { execution: path });
}

async function listEvents(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'migration_event:list');
  const raw = req.query.get('limit');
  if (raw !== undefined && !/^\s*\d+\s*$/.test(raw)) throw badRequest('limit param must be a positive integer');
  const limit = Math.min(MAX_EVENTS, raw === undefined ? DEFAULT_EVENTS : Number(raw));
  const shareId = req.query.get('share_id');
  const events = await insightOf(req).recentEvents({ limit, ...(shareId ? { shareId } : {}) });
  return json(200, { events });
}

export const insightRoutes: readonly Route[] = [
  { method: 'GET', path: '/workflow/definition', handler: showDefinition },
  { method: 'GET', path: '/migrations/{id}/execution', handler: showExecution },
  { method: 'GET', path: '/migration-events', handler: listEvents },
];
