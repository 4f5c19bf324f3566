import type { SecurityService, ShareNetwork } from '../../core/model.ts';

/** manila/api/views/share_networks.py, the fields a client reads. */
export function shareNetworkView(network: ShareNetwork, securityServices: readonly SecurityService[] = []): Record<string, unknown> {
  return {
    id: network.id,
    name: network.name,
    description: network.description,
    project_id: network.project_id,
    neutron_net_id: network.neutron_net_id,
    neutron_subnet_id: network.neutron_subnet_id,
    network_type: null,
    segmentation_id: null,
    cidr: null,
    ip_version: null,
    gateway: null,
    mtu: null,
    created_at: network.created_at,
    updated_at: network.updated_at,
    security_service_update_support: false,
    share_network_subnets: [],
    security_services: securityServices.map((s) => ({ id: s.id, name: s.name, type: s.type })),
  };
}

/** manila/api/views/security_service.py; the password is never shown. */
export function securityServiceView(service: SecurityService, networks: readonly ShareNetwork[] = []): Record<string, unknown> {
  return {
    id: service.id,
    name: service.name,
    description: service.description,
    type: service.type,
    status: 'new',
    dns_ip: service.dns_ip,
    server: service.server,
    domain: service.domain,
    user: service.user,
    ou: service.ou,
    project_id: service.project_id,
    created_at: service.created_at,
    updated_at: service.updated_at,
    share_networks: networks.filter((n) => n.security_service_ids.includes(service.id)).map((n) => n.id),
  };
}
