import { badRequest } from '../http-error.ts';
import { requireAdmin } from '../policy.ts';
import { quoteValue } from '../quote.ts';
import { accepted, json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { FIELD_LIMITS } from '../request-limits.ts';
import { isObject } from '../validation.ts';

/**
 * Share type access (manila/api/v2/share_types.py): the projects of a private type, admin only
 * (share_type:list_project_access, add_project_access, remove_project_access). The list is
 * `share_type_access` from 2.7 and `os-share-type-access` before; the changes are the type's actions
 * `addProjectAccess` and `removeProjectAccess`, 202 with no body.
 *
 * Manila refuses a project id that is not UUID-like; project ids here are the identity's own (docs/identity.md)
 * and need not be, so any id of a reference's length is taken (README, "Where this API answers differently").
 */

async function listProjectAccess(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'share_type:list_project_access');
  const { type, projects } = await req.services.shareTypeAccess.listProjects(req.params['id']!);
  return json(200, { share_type_access: projects.map((projectId) => ({ share_type_id: type.id, project_id: projectId })) });
}

const ACTIONS: Readonly<Record<string, { readonly policy: string; readonly run: (req: ApiRequest, typeId: string, project: string) => Promise<void> }>> = {
  addProjectAccess: { policy: 'share_type:add_project_access', run: (req, typeId, project) => req.services.shareTypeAccess.addProject(typeId, project) },
  removeProjectAccess: {
    policy: 'share_type:remove_project_access',
    run: (req, typeId, project) => req.services.shareTypeAccess.removeProject(typeId, project),
  },
};

/** POST /types/{id}/action: the body's one key names the action (wsgi.action_peek_json). */
async function dispatchTypeAction(req: ApiRequest): Promise<ApiResponse> {
  const body = req.body;
  if (!isObject(body) || Object.keys(body).length !== 1) throw badRequest('Malformed request body');
  const [name] = Object.keys(body) as [string];
  const action = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
  if (!action) throw badRequest(`There is no such action: ${quoteValue(name)}`);
  requireAdmin(req, action.policy);
  // ShareTypesController._check_body: the action's value must be an object naming the project.
  const access = body[name];
  if (!isObject(access)) throw badRequest();
  const project = access['project'];
  if (typeof project !== 'string' || project.trim() === '' || project.length > FIELD_LIMITS.reference) {
    throw badRequest(`Bad project format: project is not in proper format (${quoteValue(project ?? null)})`);
  }
  const typeId = req.params['id']!;
  req.logger.appendPersistentKeys({ shareTypeId: typeId, action: name });
  await action.run(req, typeId, project);
  req.logger.info('share type access changed', { project });
  return accepted();
}

export const shareTypeAccessRoutes: readonly Route[] = [
  { method: 'GET', path: '/types/{id}/share_type_access', minVersion: '2.7', handler: listProjectAccess },
  { method: 'GET', path: '/types/{id}/os-share-type-access', maxVersion: '2.6', handler: listProjectAccess },
  { method: 'POST', path: '/types/{id}/action', handler: dispatchTypeAction },
];

