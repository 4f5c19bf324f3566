import type { DriverRegistry } from '../../drivers/driver.ts';
import { NotFoundError } from '../errors.ts';
import { parseHost } from '../host.ts';
import type { Pool, ShareType } from '../model.ts';
import type { PoolFilterRequest, PoolService, ShareTypeService } from '../services.ts';
import { filterPools, weighPools, type PlacementNeeds } from './pool-filter.ts';

/** Pools as the drivers report them, in Manila's `host@backend#pool` naming. */
export class DriverPoolService implements PoolService {
  private readonly drivers: DriverRegistry;
  private readonly shareTypes: ShareTypeService;

  constructor(drivers: DriverRegistry, shareTypes: ShareTypeService) {
    this.drivers = drivers;
    this.shareTypes = shareTypes;
  }

  async list(filter: PoolFilterRequest = {}): Promise<Pool[]> {
    const pools = await this.allPools();
    const matching = pools.filter(
      (p) =>
        (filter.host === undefined || matchesPattern(p.host, filter.host)) &&
        (filter.backend === undefined || matchesPattern(p.backend, filter.backend)) &&
        (filter.pool === undefined || matchesPattern(p.pool, filter.pool)),
    );
    if (filter.share_type === undefined) return matching;
    const type = await this.shareTypes.get(filter.share_type);
    return [...filterPools(matching, type, 0).passed];
  }

  async get(name: string): Promise<Pool> {
    const wanted = parseHost(name);
    const pool = (await this.allPools()).find((p) => p.name === name);
    if (!pool) throw new NotFoundError(`Pool ${wanted.host}@${wanted.backend}#${wanted.pool} not found`);
    return pool;
  }

  /** Pools that can hold a share of `type` and `sizeGb`, best first. */
  async candidates(type: ShareType, sizeGb: number, needs: PlacementNeeds = {}): Promise<{ passed: Pool[]; rejected: { pool: string; reason: string }[] }> {
    const result = filterPools(await this.allPools(), type, sizeGb, needs);
    return { passed: weighPools(result.passed), rejected: [...result.rejected] };
  }

  private async allPools(): Promise<Pool[]> {
    const perDriver = await Promise.all(
      this.drivers.all().map(async (driver) => {
        const [host, backend] = driver.backendHost.split('@') as [string, string];
        const caps = await driver.listPools();
        return caps.map((c) => ({ name: `${host}@${backend}#${c.pool_name}`, host, backend, pool: c.pool_name, capabilities: c }));
      }),
    );
    return perDriver.flat();
  }
}

/** Manila treats these filters as regular expressions. */
function matchesPattern(value: string, pattern: string): boolean {
  try {
    return new RegExp(`^${pattern}$`).test(value);
  } catch {
    return value === pattern;
  }
}
