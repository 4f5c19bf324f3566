import type { PoolFilterRequest } from '../../core/services.ts';
import { versionMatches } from '../api-version.ts';
import { badRequest } from '../http-error.ts';
import { loadShareType, orIfNotFound } from '../lookups.ts';
import { requireAdmin } from '../policy.ts';
import { json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { quoteValue } from '../quote.ts';
import { FIELD_LIMITS } from '../request-limits.ts';
import { poolView } from '../views/pools.ts';

/**
 * GET /scheduler-stats/pools[/detail] (admin): host, backend and pool are regular expressions (the CLI
 * sends ".*"); share_type (2.23+) keeps the pools that can hold that type, an unknown one is a 400.
 */
async function listPools(req: ApiRequest, detail: boolean): Promise<ApiResponse> {
  requireAdmin(req, 'scheduler_stats:pools:index');
  const filter: { -readonly [K in keyof PoolFilterRequest]: PoolFilterRequest[K] } = {};
  for (const key of ['host', 'backend', 'pool'] as const) {
    const value = req.query.get(key);
    if (value === undefined) continue;
    try {
      if (value.length > FIELD_LIMITS.string) throw new Error('longer than any host');
      new RegExp(value);
    } catch {
      throw badRequest(`Invalid ${key} filter: ${quoteValue(value)} is not a regular expression.`);
    }
    filter[key] = value;
  }
  const typeRef = versionMatches(req.version, '2.23') ? req.query.get('share_type') : undefined;
  if (typeRef !== undefined && typeRef !== '') {
    const type = await orIfNotFound(loadShareType(req, typeRef), () => badRequest(`Share type ${quoteValue(typeRef)} not found.`));
    filter.share_type = type.id;
  }
  const pools = await req.services.pools.list(filter);
  return json(200, { pools: pools.map((p) => poolView(p, detail)) });
}

export const poolRoutes: readonly Route[] = [
  { method: 'GET', path: '/scheduler-stats/pools', handler: (req) => listPools(req, false) },
  { method: 'GET', path: '/scheduler-stats/pools/detail', handler: (req) => listPools(req, true) },
];
