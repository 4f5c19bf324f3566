import type { Route } from '../router.ts';
import { accessRuleRoutes } from './access-rules.ts';
import { availabilityZoneRoutes } from './availability-zones.ts';
import { insightRoutes } from './insight.ts';
import { migrationRoutes } from './migrations.ts';
import { migrationScheduleRoutes } from './migration-schedules.ts';
import { poolRoutes } from './pools.ts';
import { quotaSetRoutes } from './quota-sets.ts';
import { shareActionRoutes } from './share-actions.ts';
import { shareTypeRoutes } from './share-types.ts';
import { shareTypeAccessRoutes } from './share-type-access.ts';
import { shareNetworkRoutes } from './share-networks.ts';
import { shareRoutes } from './shares.ts';
import { snapshotRoutes } from './snapshots.ts';

/**
 * Every route the router serves below `/v2/{project_id}`: the one list the handler routes by, the
 * OpenAPI description is checked against, and the API fuzz test draws from.
 */
export const API_ROUTES: readonly Route[] = [
  ...shareRoutes,
  ...shareActionRoutes,
  ...accessRuleRoutes,
  ...shareTypeRoutes,
  ...shareTypeAccessRoutes,
  ...poolRoutes,
  ...migrationRoutes,
  ...shareNetworkRoutes,
  ...migrationScheduleRoutes,
  ...snapshotRoutes,
  ...availabilityZoneRoutes,
  ...quotaSetRoutes,
  ...insightRoutes,
];
