import { SHARE_SORT_KEYS } from '../../core/shares/share-list.ts';
import { SNAPSHOT_SORT_KEYS } from '../routes/snapshots.ts';

/**
 * Every operation the API serves, written out: routes below `/v2/{project_id}` by the router's own
 * path spelling (`METHOD /shares/{id}`), and the public documents. test/api/openapi.test.ts checks this
 * table against the router (lambdas/api/routes/index.ts) both ways, microversions included.
 */
export interface Operation {
  readonly summary: string;
  readonly tag: string;
  /** The component schema of the request body, when the operation takes one. */
  readonly body?: string;
  /** The statuses of success. */
  readonly status: number | readonly number[];
  /** Manila's @api_version minimum, when above 2.0. */
  readonly minVersion?: string;
  /** Manila's @api_version maximum, when the operation was replaced. */
  readonly maxVersion?: string;
  /** A paged, sorted list: its sort keys and the filters it takes in the query string. */
  readonly list?: ListQuery;
}

export interface ListQuery {
  readonly sortKeys: readonly string[];
  readonly filters: readonly string[];
}

/** Shares: the sort keys of core/shares/share-list.ts and the filters routes/share-list.ts reads. */
const SHARE_LIST: ListQuery = {
  sortKeys: [...SHARE_SORT_KEYS.keys()],
  filters: ['name', 'display_name', 'status', 'host', 'share_type_id', 'share_type', 'is_public', 'all_tenants', 'project_id', 'with_count', 'is_soft_deleted'],
};
/** Snapshots: routes/snapshots.ts. */
const SNAPSHOT_LIST: ListQuery = {
  sortKeys: [...SNAPSHOT_SORT_KEYS.keys()],
  filters: ['name', 'display_name', 'status', 'share_id', 'size', 'all_tenants', 'project_id'],
};

export const RESOURCE_OPERATIONS: Readonly<Record<string, Operation>> = {
  'POST /shares': { summary: 'Create a share', tag: 'shares', body: 'ShareCreate', status: 200 },
  'GET /shares': { summary: 'List shares (summaries)', tag: 'shares', status: 200, list: SHARE_LIST },
  'GET /shares/detail': { summary: 'List shares with details', tag: 'shares', status: 200, list: SHARE_LIST },
  'GET /shares/{id}': { summary: 'Show a share', tag: 'shares', status: 200 },
  'DELETE /shares/{id}': { summary: 'Delete a share', tag: 'shares', status: 202 },
  'GET /shares/{id}/export_locations': { summary: "List a share's export locations", tag: 'shares', status: 200, minVersion: '2.9' },
  'GET /shares/{id}/export_locations/{export_location_id}': { summary: 'Show an export location', tag: 'shares', status: 200, minVersion: '2.9' },
  'POST /shares/{id}/action': {
    summary: 'Run a share action: access rules, extend/shrink, reset_status/force_delete, migration_start/complete/cancel/get_progress, reset_task_state, retype',
    tag: 'share actions',
    body: 'ShareAction',
    // allow_access and migration_get_progress answer 200 with a body, retype 202 with one, the others an empty 202.
    status: [200, 202],
  },
  'GET /shares/{id}/migrations': { summary: "List a share's migrations, newest first (our extension)", tag: 'migrations', status: 200 },
  'GET /migrations/{id}': { summary: 'Show a migration (our extension)', tag: 'migrations', status: 200 },
  'GET /migrations/{id}/execution': { summary: 'The states the migration\'s execution entered, in order (our extension, for the console; at home)', tag: 'migrations', status: 200 },
  'GET /workflow/definition': { summary: 'The state machine\'s definition (our extension, for the console; at home)', tag: 'migrations', status: 200 },
  'GET /migration-events': { summary: 'The newest migration events, of one share with share_id (our extension, for the console; at home)', tag: 'migrations', status: 200 },
  'GET /share-access-rules': { summary: "List a share's access rules (share_id query)", tag: 'access rules', status: 200, minVersion: '2.45' },
  'GET /share-access-rules/{id}': { summary: 'Show an access rule', tag: 'access rules', status: 200, minVersion: '2.45' },
  'GET /quota-sets/{project_id}': { summary: "Show a project's quotas (share_type query from 2.39)", tag: 'quota sets', status: 200, minVersion: '2.7' },
  'GET /quota-sets/{project_id}/defaults': { summary: 'Show the default quotas', tag: 'quota sets', status: 200, minVersion: '2.7' },
  'GET /quota-sets/{project_id}/detail': { summary: "Show a project's quotas with what it uses", tag: 'quota sets', status: 200, minVersion: '2.25' },
  'PUT /quota-sets/{project_id}': { summary: "Set a project's (or its share type's) quotas (admin)", tag: 'quota sets', body: 'QuotaSetUpdate', status: 200, minVersion: '2.7' },
  'DELETE /quota-sets/{project_id}': { summary: "Return a project's quotas to the defaults (admin)", tag: 'quota sets', status: 202, minVersion: '2.7' },
  'GET /os-quota-sets/{project_id}': { summary: "Show a project's quotas (before 2.7)", tag: 'quota sets', status: 200, maxVersion: '2.6' },
  'GET /os-quota-sets/{project_id}/defaults': { summary: 'Show the default quotas (before 2.7)', tag: 'quota sets', status: 200, maxVersion: '2.6' },
  'PUT /os-quota-sets/{project_id}': { summary: "Set a project's quotas (admin, before 2.7)", tag: 'quota sets', body: 'QuotaSetUpdate', status: 200, maxVersion: '2.6' },
  'DELETE /os-quota-sets/{project_id}': { summary: "Return a project's quotas to the defaults (admin, before 2.7)", tag: 'quota sets', status: 202, maxVersion: '2.6' },
  'GET /availability-zones': { summary: 'List the availability zones the pools belong to', tag: 'availability zones', status: 200, minVersion: '2.7' },
  'GET /os-availability-zone': { summary: 'List availability zones (before 2.7)', tag: 'availability zones', status: 200, maxVersion: '2.6' },
  'GET /types': { summary: 'List share types', tag: 'share types', status: 200 },
  'POST /types': { summary: 'Create a share type', tag: 'share types', body: 'ShareTypeCreate', status: 200 },
  'GET /types/default': { summary: 'Show the default share type', tag: 'share types', status: 200 },
  'GET /types/{id}': { summary: 'Show a share type by id or name', tag: 'share types', status: 200 },
  'PUT /types/{id}': { summary: 'Update a share type (name, description, visibility)', tag: 'share types', body: 'ShareTypeUpdate', status: 200, minVersion: '2.50' },
  'DELETE /types/{id}': { summary: 'Delete a share type', tag: 'share types', status: 202 },
  'GET /types/{id}/extra_specs': { summary: "List a share type's extra specs", tag: 'share types', status: 200 },
  'POST /types/{id}/extra_specs': { summary: 'Set extra specs', tag: 'share types', body: 'ExtraSpecsSet', status: 200 },
  'DELETE /types/{id}/extra_specs/{key}': { summary: 'Unset an extra spec', tag: 'share types', status: 202 },
  'GET /types/{id}/share_type_access': { summary: "List a private share type's projects (admin)", tag: 'share types', status: 200, minVersion: '2.7' },
  'GET /types/{id}/os-share-type-access': { summary: "List a private share type's projects (admin, before 2.7)", tag: 'share types', status: 200, maxVersion: '2.6' },
  'POST /types/{id}/action': { summary: 'addProjectAccess / removeProjectAccess on a private share type (admin)', tag: 'share types', body: 'ShareTypeAction', status: 202 },
  'GET /scheduler-stats/pools': { summary: 'List storage pools', tag: 'pools', status: 200 },
  'GET /scheduler-stats/pools/detail': { summary: 'List storage pools with capabilities', tag: 'pools', status: 200 },
  'POST /share-networks': { summary: 'Create a share network', tag: 'share networks', body: 'ShareNetworkCreate', status: 200 },
  'GET /share-networks': { summary: 'List share networks', tag: 'share networks', status: 200 },
  'GET /share-networks/detail': { summary: 'List share networks with details', tag: 'share networks', status: 200 },
  'GET /share-networks/{id}': { summary: 'Show a share network', tag: 'share networks', status: 200 },
  'DELETE /share-networks/{id}': { summary: 'Delete a share network', tag: 'share networks', status: 202 },
  'POST /share-networks/{id}/action': { summary: 'Add or remove a security service', tag: 'share networks', body: 'ShareNetworkAction', status: 200 },
  'POST /security-services': { summary: 'Create a security service', tag: 'security services', body: 'SecurityServiceCreate', status: 200 },
  'GET /security-services': { summary: 'List security services', tag: 'security services', status: 200 },
  'GET /security-services/detail': { summary: 'List security services with details', tag: 'security services', status: 200 },
  'GET /security-services/{id}': { summary: 'Show a security service', tag: 'security services', status: 200 },
  'DELETE /security-services/{id}': { summary: 'Delete a security service', tag: 'security services', status: 202 },
  'GET /migration-schedules': { summary: 'List migration schedules (our extension)', tag: 'migration schedules', status: 200 },
  'POST /migration-schedules': { summary: 'Schedule a migration (our extension)', tag: 'migration schedules', body: 'MigrationScheduleCreate', status: 200 },
  'GET /migration-schedules/preview': { summary: 'The next firings of an at or cron timing, nothing created (cron, timezone, at, count)', tag: 'migration schedules', status: 200 },
  'GET /migration-schedules/{id}': { summary: 'Show a migration schedule', tag: 'migration schedules', status: 200 },
  'DELETE /migration-schedules/{id}': { summary: 'Delete a migration schedule', tag: 'migration schedules', status: 202 },
  'POST /snapshots': { summary: 'Create a snapshot', tag: 'snapshots', body: 'SnapshotCreate', status: 202 },
  'GET /snapshots': { summary: 'List snapshots (summaries)', tag: 'snapshots', status: 200, list: SNAPSHOT_LIST },
  'GET /snapshots/detail': { summary: 'List snapshots with details', tag: 'snapshots', status: 200, list: SNAPSHOT_LIST },
  'GET /snapshots/{id}': { summary: 'Show a snapshot', tag: 'snapshots', status: 200 },
  'DELETE /snapshots/{id}': { summary: 'Delete a snapshot', tag: 'snapshots', status: 202 },
  'GET /snapshots/{id}/export-locations': { summary: "List a snapshot's export locations", tag: 'snapshots', status: 200, minVersion: '2.32' },
};

/** The documents answered without a token: Manila's version discovery and this description. */
export const PUBLIC_OPERATIONS: Readonly<Record<string, Operation>> = {
  'GET /': { summary: 'Version discovery (300 Multiple Choices, as Manila)', tag: 'versions', status: 300 },
  'GET /v2': { summary: 'The v2 API and its microversion range', tag: 'versions', status: 200 },
  'GET /openapi.json': { summary: 'This OpenAPI description', tag: 'versions', status: 200 },
};
