import type { ShareType } from '../../core/model.ts';
import { badRequest, notFound } from '../http-error.ts';
import { defaultTypeId, isNotFound } from '../lookups.ts';
import { requireAdmin } from '../policy.ts';
import { typeVisibleTo } from '../../core/share-types/share-type-access.ts';
import { accepted, json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { quoteValue } from '../quote.ts';
import { FIELD_LIMITS } from '../request-limits.ts';
import { checkLength, objectEntity, parseBoolean, pythonStr, stringMap } from '../validation.ts';
import { shareTypeBody, shareTypesBody, visibleExtraSpecs, type ShareTypeViewContext } from '../views/share-types.ts';

async function viewContext(req: ApiRequest): Promise<ShareTypeViewContext> {
  return { version: req.version, isAdmin: req.identity.isAdmin, defaultTypeId: await defaultTypeId(req) };
}

/** A type the caller may see: tenants see public types and the private ones their project was granted. */
async function loadType(req: ApiRequest, idOrName: string): Promise<ShareType> {
  const type = await req.services.shareTypes.get(idOrName);
  if (!typeVisibleTo(type, req.identity.projectId, req.identity.isAdmin)) throw notFound('Share type not found.');
  return type;
}

/**
 * GET /types: tenants get public types; admins choose with is_public (true, false or "all"; default true).
 * Asking for public types also gives the private ones the caller's project was granted (Manila's query).
 */
async function listTypes(req: ApiRequest): Promise<ApiResponse> {
  const wanted = req.identity.isAdmin ? parseIsPublicFilter(req.query.get('is_public')) : true;
  const granted = (t: ShareType) => (t.projects ?? []).includes(req.identity.projectId);
  const types = (await req.services.shareTypes.list()).filter((t) => wanted === null || t.is_public === wanted || (wanted && granted(t)));
  return json(200, shareTypesBody(types, await viewContext(req)));
}

function parseIsPublicFilter(value: string | undefined): boolean | null {
  if (value === undefined) return true;
  if (value.toLowerCase() === 'all') return null;
  const parsed = parseBoolean(value);
  if (parsed === undefined) throw badRequest(`Invalid is_public filter [${quoteValue(value)}]`);
  return parsed;
}

async function showDefaultType(req: ApiRequest): Promise<ApiResponse> {
  try {
    return json(200, shareTypeBody(await req.services.shareTypes.getDefault(), await viewContext(req)));
  } catch (err) {
    if (isNotFound(err)) throw notFound('Default share type not found');
    throw err;
  }
}

async function showType(req: ApiRequest): Promise<ApiResponse> {
  return json(200, shareTypeBody(await loadType(req, req.params['id']!), await viewContext(req)));
}

/** POST /types (admin): `share_type` (or the old `volume_type`) with name, extra_specs and visibility. */
async function createType(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'share_type:create');
  const entity = objectEntity(req.body, 'share_type') ?? objectEntity(req.body, 'volume_type');
  if (!entity) throw badRequest();
  const name = entity['name'];
  if (typeof name !== 'string' || name === '' || name.length > 255) throw badRequest('Type name is not valid.');
  const rawPublic = entity['share_type_access:is_public'] ?? entity['os-share-type-access:is_public'] ?? true;
  const isPublic = parseBoolean(rawPublic);
  if (isPublic === undefined) throw badRequest(`Invalid value ${pythonStr(rawPublic)} for is_public. Expecting a boolean.`);
  const description = entity['description'];
  if (description !== undefined && description !== null && typeof description !== 'string') {
    throw badRequest('description must be a string.');
  }
  if (typeof description === 'string') checkLength(description, 'description', FIELD_LIMITS.displayField);
  const type = await req.services.shareTypes.create({
    name,
    description: description ?? null,
    is_public: isPublic,
    extra_specs: stringMap(entity['extra_specs'], 'extra_specs', 'extra_specs'),
  });
  req.logger.info('share type created', { shareTypeId: type.id });
  return json(200, shareTypeBody(type, await viewContext(req)));
}

/**
 * PUT /types/{id} (2.50+, admin; manila/api/v2/share_types.py update): name, description and
 * share_type_access:is_public, each optional but one required, checked as Manila checks them.
 */
async function updateType(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'share_type:update');
  const entity = objectEntity(req.body, 'share_type') ?? objectEntity(req.body, 'volume_type');
  if (!entity) throw badRequest();
  const name = entity['name'] ?? undefined;
  const description = entity['description'] ?? undefined;
  const rawPublic = entity['share_type_access:is_public'] ?? undefined;
  let isPublic: boolean | undefined;
  if (rawPublic !== undefined) {
    isPublic = parseBoolean(rawPublic);
    if (isPublic === undefined) throw badRequest('share_type_access:is_public has a non-boolean value.');
  }
  if (name !== undefined) {
    if (typeof name !== 'string') throw badRequest('Type name is not valid.');
    if (name.trim().length === 0) throw badRequest('Share type name cannot be empty.');
    if (name.length > 255) throw badRequest('Share type name cannot be greater than 255 characters in length.');
  }
  if (description !== undefined && typeof description !== 'string') throw badRequest('description must be a string.');
  if (description !== undefined && description.length > 255) {
    throw badRequest('Share type description cannot be greater than 255 characters in length.');
  }
  if (name === undefined && description === undefined && isPublic === undefined) {
    throw badRequest('Specify share type name, description, share_type_access:is_public or a combination thereof.');
  }
  const type = await req.services.shareTypes.update(req.params['id']!, {
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(isPublic !== undefined ? { is_public: isPublic } : {}),
  });
  req.logger.info('share type updated', { shareTypeId: type.id });
  return json(200, shareTypeBody(type, await viewContext(req)));
}

async function deleteType(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'share_type:delete');
  const type = await req.services.shareTypes.get(req.params['id']!);
  await req.services.shareTypes.delete(type.id);
  return accepted();
}

async function listExtraSpecs(req: ApiRequest): Promise<ApiResponse> {
  const type = await loadType(req, req.params['id']!);
  return json(200, { extra_specs: visibleExtraSpecs(type, req.identity.isAdmin) });
}

/** POST /types/{id}/extra_specs (admin): sets the given specs and echoes them, as Manila does. */
async function setExtraSpecs(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'share_types_extra_spec:create');
  const specs = objectEntity(req.body, 'extra_specs');
  if (!specs) throw badRequest();
  const values = stringMap(specs, 'extra_specs', 'extra_specs');
  if (Object.keys(values).length === 0) throw badRequest('No extra specs provided.');
  await req.services.shareTypes.setExtraSpecs(req.params['id']!, values);
  return json(200, { extra_specs: values });
}

async function unsetExtraSpec(req: ApiRequest): Promise<ApiResponse> {
  requireAdmin(req, 'share_types_extra_spec:delete');
  await req.services.shareTypes.unsetExtraSpec(req.params['id']!, req.params['key']!);
  return accepted();
}

export const shareTypeRoutes: readonly Route[] = [
  { method: 'GET', path: '/types', handler: listTypes },
  { method: 'POST', path: '/types', handler: createType },
  { method: 'GET', path: '/types/default', handler: showDefaultType },
  { method: 'GET', path: '/types/{id}', handler: showType },
  { method: 'PUT', path: '/types/{id}', minVersion: '2.50', handler: updateType },
  { method: 'DELETE', path: '/types/{id}', handler: deleteType },
  { method: 'GET', path: '/types/{id}/extra_specs', handler: listExtraSpecs },
  { method: 'POST', path: '/types/{id}/extra_specs', handler: setExtraSpecs },
  { method: 'DELETE', path: '/types/{id}/extra_specs/{key}', handler: unsetExtraSpec },
];

