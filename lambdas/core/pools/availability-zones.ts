import { createHash } from 'node:crypto';
import type { Pool, ShareType } from '../model.ts';

/**
 * Availability zones: a pool belongs to the zone its backend reports (`availability_zone` among its
 * capabilities, from the backend's config), or to Manila's default storage_availability_zone, `nova`.
 * Zones are not records here, only names the pools carry; each gets a stable id derived from its name.
 */
export const DEFAULT_AVAILABILITY_ZONE = 'nova';

export interface AvailabilityZone {
  readonly id: string;
  readonly name: string;
}

export function poolZone(pool: Pool): string {
  const zone = pool.capabilities['availability_zone'];
  return typeof zone === 'string' && zone !== '' ? zone : DEFAULT_AVAILABILITY_ZONE;
}

/** The zones a share type is limited to (its `availability_zones` extra spec, comma-separated), or null for any. */
export function typeZones(type: ShareType): string[] | null {
  const spec = type.extra_specs['availability_zones'];
  if (spec === undefined) return null;
  const zones = spec.split(',').map((z) => z.trim()).filter((z) => z !== '');
  return zones.length > 0 ? zones : null;
}

/** The zones the pools belong to, by name. */
export function zonesOf(pools: readonly Pool[]): AvailabilityZone[] {
  const names = [...new Set(pools.map(poolZone))].sort();
  return names.map((name) => ({ id: zoneId(name), name }));
}

/** A zone named by id or name (Manila's availability_zone_get takes either), or undefined. */
export function findZone(pools: readonly Pool[], idOrName: string): AvailabilityZone | undefined {
  return zonesOf(pools).find((z) => z.id === idOrName || z.name === idOrName);
}

/** A UUID-shaped id that stays the same for a name across processes and restarts. */
function zoneId(name: string): string {
  const hex = createHash('sha256').update(`availability-zone:${name}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
