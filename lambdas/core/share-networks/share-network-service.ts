import type { QuotaEnforcer } from '../quotas/quota-enforcer.ts';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.ts';
import { SECURITY_SERVICE_TYPES, type SecurityService, type SecurityServiceType, type ShareNetwork } from '../model.ts';
import type { Clock, IdGenerator, ShareStore } from '../ports.ts';
import type { CreateSecurityServiceRequest, CreateShareNetworkRequest, SecurityServiceService, ShareNetworkService } from '../services.ts';
import type { CatalogCollection } from './ports.ts';

interface Deps {
  readonly networks: CatalogCollection<ShareNetwork>;
  readonly securityServices: CatalogCollection<SecurityService>;
  readonly shares: ShareStore;
  /** The project's share_networks quota. @default - none enforced */
  readonly quotas?: QuotaEnforcer;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** Share networks and the security services their share servers join (Manila's share-networks API). */
export class CatalogShareNetworkService implements ShareNetworkService {
  private readonly deps: Deps;

  constructor(deps: Deps) {
    this.deps = deps;
  }

  async create(request: CreateShareNetworkRequest): Promise<ShareNetwork> {
    await this.deps.quotas?.checkNewShareNetwork(request.project_id);
    const network: ShareNetwork = {
      id: this.deps.ids.newId(),
      name: optionalText(request.name, 'name'),
      description: optionalText(request.description, 'description'),
      neutron_net_id: optionalText(request.neutron_net_id, 'neutron_net_id'),
      neutron_subnet_id: optionalText(request.neutron_subnet_id, 'neutron_subnet_id'),
      security_service_ids: [],
      project_id: request.project_id,
      created_at: this.deps.clock.now().toISOString(),
      updated_at: null,
    };
    await this.deps.networks.put(network);
    return network;
  }

  async get(id: string): Promise<ShareNetwork> {
    const network = await this.deps.networks.get(id);
    if (!network) throw new NotFoundError(`Share network ${id} could not be found.`);
    return network;
  }

  async list(): Promise<ShareNetwork[]> {
    return (await this.deps.networks.list()).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    await this.refuseWhileInUse(id, 'be deleted');
    await this.deps.networks.delete(id);
  }

  async addSecurityService(networkId: string, securityServiceId: string): Promise<ShareNetwork> {
    const network = await this.get(networkId);
    const service = await this.deps.securityServices.get(securityServiceId);
    if (!service) throw new NotFoundError(`Security service ${securityServiceId} could not be found.`);
    await this.refuseWhileInUse(networkId, 'change its security services');
    if (network.security_service_ids.includes(securityServiceId)) {
      throw new InvalidRequestError(`Security service ${securityServiceId} is already associated with share network ${networkId}.`);
    }
    const types = await this.securityServiceTypes(networkId);
    if (types.includes(service.type)) {
      throw new InvalidRequestError(`Share network ${networkId} already has a security service of type ${service.type}.`);
    }
    return this.save({ ...network, security_service_ids: [...network.security_service_ids, securityServiceId] });
  }

  async removeSecurityService(networkId: string, securityServiceId: string): Promise<ShareNetwork> {
    const network = await this.get(networkId);
    if (!network.security_service_ids.includes(securityServiceId)) {
      throw new NotFoundError(`Security service ${securityServiceId} is not associated with share network ${networkId}.`);
    }
    await this.refuseWhileInUse(networkId, 'change its security services');
    return this.save({ ...network, security_service_ids: network.security_service_ids.filter((id) => id !== securityServiceId) });
  }

  async securityServiceTypes(networkId: string): Promise<SecurityServiceType[]> {
    const network = await this.get(networkId);
    const services = await Promise.all(network.security_service_ids.map((id) => this.deps.securityServices.get(id)));
    return services.flatMap((s) => (s ? [s.type] : []));
  }

  private async save(network: ShareNetwork): Promise<ShareNetwork> {
    const next = { ...network, updated_at: this.deps.clock.now().toISOString() };
    await this.deps.networks.put(next);
    return next;
  }

  private async refuseWhileInUse(networkId: string, what: string): Promise<void> {
    const users = (await this.deps.shares.list()).filter((s) => s.share_network_id === networkId);
    if (users.length > 0) {
      throw new ConflictError(`Share network ${networkId} is used by ${users.length} share(s) (${users.slice(0, 3).map((s) => s.id).join(', ')}) and cannot ${what}.`);
    }
  }
}

export class CatalogSecurityServiceService implements SecurityServiceService {
  private readonly deps: Deps;

  constructor(deps: Deps) {
    this.deps = deps;
  }

  async create(request: CreateSecurityServiceRequest): Promise<SecurityService> {
    if (!(SECURITY_SERVICE_TYPES as readonly string[]).includes(request.type)) {
      throw new InvalidRequestError(`Invalid security service type ${String(request.type)}: one of ${SECURITY_SERVICE_TYPES.join(', ')}.`);
    }
    const service: SecurityService = {
      id: this.deps.ids.newId(),
      type: request.type as SecurityServiceType,
      name: optionalText(request.name, 'name'),
      description: optionalText(request.description, 'description'),
      dns_ip: optionalText(request.dns_ip, 'dns_ip'),
      server: optionalText(request.server, 'server'),
      domain: optionalText(request.domain, 'domain'),
      user: optionalText(request.user, 'user'),
      ou: optionalText(request.ou, 'ou'),
      project_id: request.project_id,
      created_at: this.deps.clock.now().toISOString(),
      updated_at: null,
    };
    // The password is only for the share server joining the service; nothing here joins a real one, so it is not kept.
    await this.deps.securityServices.put(service);
    return service;
  }

  async get(id: string): Promise<SecurityService> {
    const service = await this.deps.securityServices.get(id);
    if (!service) throw new NotFoundError(`Security service ${id} could not be found.`);
    return service;
  }

  async list(): Promise<SecurityService[]> {
    return (await this.deps.securityServices.list()).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async delete(id: string): Promise<void> {
    await this.get(id);
    const users = (await this.deps.networks.list()).filter((n) => n.security_service_ids.includes(id));
    if (users.length > 0) {
      throw new ConflictError(`Security service ${id} is associated with share network(s) ${users.map((n) => n.id).join(', ')}.`);
    }
    await this.deps.securityServices.delete(id);
  }
}

function optionalText(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > 255) throw new InvalidRequestError(`${field} must be a string of at most 255 characters.`);
  return value;
}
