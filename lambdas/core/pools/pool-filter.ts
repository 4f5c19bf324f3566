import type { Pool, ShareType } from '../model.ts';
import { poolZone, typeZones } from './availability-zones.ts';

/**
 * Manila's scheduler filters, the part that decides whether a pool can hold a share of a type:
 * share_backend_name, driver_handles_share_servers, snapshot_support, other capabilities named by
 * extra specs, the zone (AvailabilityZoneFilter: the one asked for, and the type's `availability_zones`)
 * and free capacity (CapacityFilter, honouring reserved_percentage).
 */
export interface PoolRejection {
  readonly pool: string;
  readonly reason: string;
}

export interface PoolFilterResult {
  readonly passed: readonly Pool[];
  readonly rejected: readonly PoolRejection[];
}

/** Manila's boolean spec spelling: "True", "true", "<is> True". */
export function parseBooleanSpec(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.replace(/^<is>\s*/i, '').trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  return undefined;
}

/** Specs that are about the share, not matched against capabilities. */
const NON_CAPABILITY_SPECS = new Set(['share_backend_name', 'driver_handles_share_servers', 'snapshot_support', 'availability_zones']);

/** What else a share asks of its pool besides its type and size. */
export interface PlacementNeeds {
  /** The security service types of the share's network: a share server on the pool must join each. */
  readonly securityServiceTypes?: readonly string[];
  /** The zone the share was asked to be created in (share create's availability_zone), by name. */
  readonly availabilityZone?: string;
}

export function rejectReason(pool: Pool, type: ShareType, sizeGb: number, needs: PlacementNeeds = {}): string | null {
  const caps = pool.capabilities;
  const specs = type.extra_specs;
  const cannotJoin = (needs.securityServiceTypes ?? []).filter((t) => !caps.security_service_types.includes(t));
  if (cannotJoin.length > 0) {
    return `its share servers cannot join security service type(s) ${cannotJoin.join(', ')} (it supports ${caps.security_service_types.join(', ') || 'none'})`;
  }

  const zone = poolZone(pool);
  if (needs.availabilityZone !== undefined && needs.availabilityZone !== zone) {
    return `it is in availability zone ${zone}, the share was asked for in ${needs.availabilityZone}`;
  }
  const zones = typeZones(type);
  if (zones !== null && !zones.includes(zone)) {
    return `it is in availability zone ${zone}, the share type is limited to ${zones.join(', ')}`;
  }

  const backendName = specs['share_backend_name'];
  if (backendName !== undefined && backendName !== caps.share_backend_name) {
    return `share_backend_name is ${caps.share_backend_name}, the share type wants ${backendName}`;
  }
  const dhss = parseBooleanSpec(specs['driver_handles_share_servers']);
  if (dhss !== undefined && dhss !== caps.driver_handles_share_servers) {
    return `driver_handles_share_servers is ${caps.driver_handles_share_servers}, the share type wants ${dhss}`;
  }
  if (parseBooleanSpec(specs['snapshot_support']) === true && !caps.snapshot_support) {
    return 'the pool does not support snapshots';
  }
  for (const [key, wanted] of Object.entries(specs)) {
    const capKey = key.startsWith('capabilities:') ? key.slice('capabilities:'.length) : key;
    if (NON_CAPABILITY_SPECS.has(capKey) || capKey.includes(':')) continue;
    if (!(capKey in caps)) continue;
    if (!capabilityMatches(caps[capKey], wanted)) {
      return `capability ${capKey} is ${String(caps[capKey])}, the share type wants ${wanted}`;
    }
  }
  const usable = caps.free_capacity_gb - (caps.total_capacity_gb * caps.reserved_percentage) / 100;
  if (usable < sizeGb) {
    return `free capacity ${usable.toFixed(1)} GiB is less than the share's ${sizeGb} GiB`;
  }
  return null;
}

function capabilityMatches(actual: unknown, wanted: string): boolean {
  const asBoolean = parseBooleanSpec(wanted);
  if (typeof actual === 'boolean' && asBoolean !== undefined) return actual === asBoolean;
  const inMatch = /^<in>\s*(.*)$/i.exec(wanted);
  if (inMatch) return String(actual).includes(inMatch[1]!.trim());
  return String(actual) === wanted.replace(/^<is>\s*/i, '').trim();
}

export function filterPools(pools: readonly Pool[], type: ShareType, sizeGb: number, needs: PlacementNeeds = {}): PoolFilterResult {
  const passed: Pool[] = [];
  const rejected: PoolRejection[] = [];
  for (const pool of pools) {
    const reason = rejectReason(pool, type, sizeGb, needs);
    if (reason === null) passed.push(pool);
    else rejected.push({ pool: pool.name, reason });
  }
  return { passed, rejected };
}

/** Manila's default weigher: the most free capacity first. */
export function weighPools(pools: readonly Pool[]): Pool[] {
  return [...pools].sort((a, b) => b.capabilities.free_capacity_gb - a.capabilities.free_capacity_gb);
}
