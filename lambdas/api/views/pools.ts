import type { Pool } from '../../core/model.ts';

/** manila/api/views/scheduler_stats.py: name, host, backend, pool; capabilities in detail. */
export function poolView(pool: Pool, detail: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = { name: pool.name, host: pool.host, backend: pool.backend, pool: pool.pool };
  if (detail) view['capabilities'] = { ...pool.capabilities };
  return view;
}
