import { badRequest } from '../http-error.ts';
import { accepted, json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { quoteValue } from '../quote.ts';
import { FIELD_LIMITS } from '../request-limits.ts';
import { checkLength, displayField, isObject, objectEntity, optionalString } from '../validation.ts';
import { securityServiceView, shareNetworkView } from '../views/share-networks.ts';

/** Share networks and security services (manila/api/v2/share_networks.py, security_service.py). */

async function networkBody(req: ApiRequest, id: string): Promise<Record<string, unknown>> {
  const network = await req.services.shareNetworks.get(id);
  const services = await Promise.all(network.security_service_ids.map((s) => req.services.securityServices.get(s)));
  return shareNetworkView(network, services);
}

async function createNetwork(req: ApiRequest): Promise<ApiResponse> {
  const entity = objectEntity(req.body, 'share_network');
  if (!entity) throw badRequest('share_network is required.');
  const network = await req.services.shareNetworks.create({
    name: displayField(entity, 'name') ?? null,
    description: displayField(entity, 'description') ?? null,
    neutron_net_id: optionalString(entity, 'neutron_net_id') ?? null,
    neutron_subnet_id: optionalString(entity, 'neutron_subnet_id') ?? null,
    project_id: req.identity.projectId,
  });
  return json(200, { share_network: shareNetworkView(network) });
}

async function listNetworks(req: ApiRequest): Promise<ApiResponse> {
  const networks = await req.services.shareNetworks.list();
  return json(200, { share_networks: await Promise.all(networks.map((n) => networkBody(req, n.id))) });
}

async function showNetwork(req: ApiRequest): Promise<ApiResponse> {
  return json(200, { share_network: await networkBody(req, req.params['id']!) });
}

async function deleteNetwork(req: ApiRequest): Promise<ApiResponse> {
  await req.services.shareNetworks.delete(req.params['id']!);
  return accepted();
}

/** POST /share-networks/{id}/action: add_security_service / remove_security_service. */
async function networkAction(req: ApiRequest): Promise<ApiResponse> {
  const body = req.body;
  if (!isObject(body) || Object.keys(body).length !== 1) throw badRequest('Malformed request body');
  const [name] = Object.keys(body) as [string];
  const payload = body[name];
  const serviceId = isObject(payload) ? payload['security_service_id'] : undefined;
  if (typeof serviceId !== 'string') throw badRequest('security_service_id is required.');
  checkLength(serviceId, 'security_service_id', FIELD_LIMITS.reference);
  const id = req.params['id']!;
  if (name === 'add_security_service') await req.services.shareNetworks.addSecurityService(id, serviceId);
  else if (name === 'remove_security_service') await req.services.shareNetworks.removeSecurityService(id, serviceId);
  else throw badRequest(`There is no such action: ${quoteValue(name)}`);
  return json(200, { share_network: await networkBody(req, id) });
}

async function createSecurityService(req: ApiRequest): Promise<ApiResponse> {
  const entity = objectEntity(req.body, 'security_service');
  if (!entity) throw badRequest('security_service is required.');
  const type = entity['type'];
  if (typeof type !== 'string') throw badRequest('Security service type is required.');
  checkLength(type, 'type', FIELD_LIMITS.string);
  const text = (key: string) => optionalString(entity, key) ?? null;
  const service = await req.services.securityServices.create({
    type, name: displayField(entity, 'name') ?? null, description: displayField(entity, 'description') ?? null, dns_ip: text('dns_ip'), server: text('server'),
    domain: text('domain'), user: text('user'), password: text('password'), ou: text('ou'), project_id: req.identity.projectId,
  });
  return json(200, { security_service: securityServiceView(service) });
}

async function listSecurityServices(req: ApiRequest): Promise<ApiResponse> {
  const [services, networks] = await Promise.all([req.services.securityServices.list(), req.services.shareNetworks.list()]);
  return json(200, { security_services: services.map((s) => securityServiceView(s, networks)) });
}

async function showSecurityService(req: ApiRequest): Promise<ApiResponse> {
  const [service, networks] = await Promise.all([req.services.securityServices.get(req.params['id']!), req.services.shareNetworks.list()]);
  return json(200, { security_service: securityServiceView(service, networks) });
}

async function deleteSecurityService(req: ApiRequest): Promise<ApiResponse> {
  await req.services.securityServices.delete(req.params['id']!);
  return accepted();
}

export const shareNetworkRoutes: readonly Route[] = [
  { method: 'POST', path: '/share-networks', handler: createNetwork },
  { method: 'GET', path: '/share-networks', handler: listNetworks },
  { method: 'GET', path: '/share-networks/detail', handler: listNetworks },
  { method: 'GET', path: '/share-networks/{id}', handler: showNetwork },
  { method: 'DELETE', path: '/share-networks/{id}', handler: deleteNetwork },
  { method: 'POST', path: '/share-networks/{id}/action', handler: networkAction },
  { method: 'POST', path: '/security-services', handler: createSecurityService },
  { method: 'GET', path: '/security-services', handler: listSecurityServices },
  { method: 'GET', path: '/security-services/detail', handler: listSecurityServices },
  { method: 'GET', path: '/security-services/{id}', handler: showSecurityService },
  { method: 'DELETE', path: '/security-services/{id}', handler: deleteSecurityService },
];
