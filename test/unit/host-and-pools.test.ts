import { describe, expect, it } from 'vitest';
import { formatHost, parseHost } from '../../lambdas/core/host.ts';
import { filterPools, parseBooleanSpec, weighPools } from '../../lambdas/core/pools/pool-filter.ts';
import type { Pool, PoolCapabilities, ShareType } from '../../lambdas/core/model.ts';
import { InvalidRequestError } from '../../lambdas/core/errors.ts';

function pool(name: string, caps: Partial<PoolCapabilities> = {}): Pool {
  const h = parseHost(name);
  return {
    name, host: h.host, backend: h.backend, pool: h.pool,
    capabilities: {
      pool_name: h.pool, share_backend_name: h.backend, vendor_name: 'test', driver_version: '1', storage_protocol: 'NFS_CIFS',
      total_capacity_gb: 100, free_capacity_gb: 50, reserved_percentage: 0, driver_handles_share_servers: false,
      snapshot_support: false, create_share_from_snapshot_support: false, revert_to_snapshot_support: false,
      mount_snapshot_support: false, security_service_types: [], ...caps,
    },
  };
}

function type(extra_specs: Record<string, string>): ShareType {
  return { id: 't', name: 't', description: null, is_public: true, extra_specs, created_at: '' };
}

describe('Host strings', () => {
  it('parses and formats host@backend#pool', () => {
    expect(parseHost('local@alpha#default')).toEqual({ host: 'local', backend: 'alpha', pool: 'default' });
    expect(formatHost(parseHost('h.example:1@b-1#p_2'))).toBe('h.example:1@b-1#p_2');
  });

  it.each(['local@alpha', 'alpha#default', '@a#b', 'a@b#', 'a b@c#d'])('rejects %s', (bad) => {
    expect(() => parseHost(bad)).toThrow(InvalidRequestError);
  });
});

describe('Pool filter', () => {
  const pools = [
    pool('local@alpha#default', { free_capacity_gb: 10 }),
    pool('local@beta#default', { free_capacity_gb: 80, snapshot_support: true }),
    pool('local@gamma#default', { driver_handles_share_servers: true }),
  ];

  it('matches driver_handles_share_servers in any of Manila\'s spellings', () => {
    expect(parseBooleanSpec('<is> True')).toBe(true);
    expect(parseBooleanSpec('false')).toBe(false);
    expect(filterPools(pools, type({ driver_handles_share_servers: 'False' }), 1).passed.map((p) => p.backend)).toEqual(['alpha', 'beta']);
    expect(filterPools(pools, type({ driver_handles_share_servers: '<is> True' }), 1).passed.map((p) => p.backend)).toEqual(['gamma']);
  });

  it('selects by share_backend_name and snapshot_support, saying why the others were rejected', () => {
    const byName = filterPools(pools, type({ driver_handles_share_servers: 'False', share_backend_name: 'alpha' }), 1);
    expect(byName.passed.map((p) => p.backend)).toEqual(['alpha']);
    expect(byName.rejected.find((r) => r.pool === 'local@beta#default')?.reason).toMatch(/share_backend_name/);
    const snap = filterPools(pools, type({ driver_handles_share_servers: 'False', snapshot_support: 'True' }), 1);
    expect(snap.passed.map((p) => p.backend)).toEqual(['beta']);
  });

  it('rejects pools without the free capacity, honouring reserved_percentage', () => {
    const result = filterPools([pool('a@b#c', { free_capacity_gb: 20, total_capacity_gb: 100, reserved_percentage: 15 })], type({ driver_handles_share_servers: 'False' }), 6);
    expect(result.passed).toEqual([]);
    expect(result.rejected[0]?.reason).toMatch(/free capacity 5\.0 GiB/);
  });

  it('weighs the pool with the most free capacity first', () => {
    expect(weighPools(pools).map((p) => p.backend)).toEqual(['beta', 'gamma', 'alpha']);
  });
});
