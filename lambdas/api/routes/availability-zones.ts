import { zonesOf } from '../../core/pools/availability-zones.ts';
import { json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';

/**
 * GET /availability-zones (2.7+) and /os-availability-zone (before): the zones the pools belong to
 * (manila/api/v2/availability_zones.py), for any authenticated caller. Zones are not records here, so
 * they have no timestamps: created_at and updated_at are null.
 */
async function listZones(req: ApiRequest): Promise<ApiResponse> {
  const zones = zonesOf(await req.services.pools.list());
  return json(200, {
    availability_zones: zones.map((z) => ({ id: z.id, name: z.name, created_at: null, updated_at: null })),
  });
}

export const availabilityZoneRoutes: readonly Route[] = [
  { method: 'GET', path: '/os-availability-zone', maxVersion: '2.6', handler: listZones },
  { method: 'GET', path: '/availability-zones', minVersion: '2.7', handler: listZones },
];
