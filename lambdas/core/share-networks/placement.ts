import { InvalidRequestError } from '../errors.ts';
import type { ShareType } from '../model.ts';
import type { PlacementNeeds } from '../pools/pool-filter.ts';
import { parseBooleanSpec } from '../pools/pool-filter.ts';
import type { ShareNetworkService } from '../services.ts';

/**
 * Manila's rule: a share type with driver_handles_share_servers=True needs a share network (its share
 * server is created on it), one with False takes none. The network's security services decide which
 * pools can serve the share (their share servers must be able to join each).
 */
export async function placementForNetwork(
  networks: ShareNetworkService,
  type: ShareType,
  shareNetworkId: string | null,
  ids: { shareId?: string; migrationId?: string } = {},
): Promise<PlacementNeeds> {
  const dhss = parseBooleanSpec(type.extra_specs['driver_handles_share_servers']) === true;
  if (dhss && !shareNetworkId) {
    throw new InvalidRequestError(`Share network must be set for share type ${type.name}, which has driver_handles_share_servers=True.`, ids);
  }
  if (!dhss && shareNetworkId) {
    throw new InvalidRequestError(`Share type ${type.name} has driver_handles_share_servers=False: a share network cannot be used with it.`, ids);
  }
  if (!shareNetworkId) return {};
  await networks.get(shareNetworkId);
  return { securityServiceTypes: await networks.securityServiceTypes(shareNetworkId) };
}
