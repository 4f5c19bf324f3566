/**
 * Where a request path points. Manila's endpoint is `/v2/{project_id}/...`; since 2.60 the project id
 * may be left out (`/v2/shares`), and the CLI with `--bypass-url http://host/v2` sends exactly that.
 * The bare resource paths (`/shares`) are accepted too.
 */
export type ParsedPath =
  | { readonly kind: 'versions' }
  | { readonly kind: 'openapi' }
  | { readonly kind: 'v2-version' }
  | { readonly kind: 'resource'; readonly resourcePath: string; readonly projectId: string | null };

/**
 * First segments that name a resource, so they are never taken for a project id: every collection
 * Manila's router (manila/api/v2/router.py) mounts below `/v2/{project_id}`, served here or not (one
 * not served is then a 404, as an unknown resource, rather than a malformed URL), and our own.
 * Manila tells them apart by its project_id_regex (hex and dashes); project ids here need not be hex.
 */
const RESOURCE_ROOTS = new Set([
  'availability-zones', 'os-availability-zone', 'extensions', 'limits', 'messages', 'os-quota-class-sets', 'os-quota-sets',
  'quota-class-sets', 'quota-sets', 'os-services', 'services', 'os-share-manage', 'os-share-unmanage', 'qos-types',
  'resource-locks', 'scheduler-stats', 'security-services', 'share-access-rules', 'share-backups', 'share-group-snapshots',
  'share-group-types', 'share-groups', 'share-instances', 'share_instances', 'share-networks', 'share-replicas',
  'share-servers', 'share-transfers', 'shares', 'snapshot-instances', 'snapshots', 'types',
  // Ours (README).
  'migrations', 'migration-schedules', 'migration-events', 'workflow',
]);

export function parsePath(rawPath: string): ParsedPath {
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') || '/' : rawPath || '/';
  if (path === '/') return { kind: 'versions' };
  if (path === '/v2') return { kind: 'v2-version' };
  if (path === OPENAPI_PATH) return { kind: 'openapi' };
  if (!path.startsWith('/v2/')) return { kind: 'resource', resourcePath: path, projectId: null };

  const rest = path.slice('/v2'.length);
  const [, first = '', ...others] = rest.split('/');
  if (RESOURCE_ROOTS.has(first)) return { kind: 'resource', resourcePath: rest, projectId: null };
  return { kind: 'resource', resourcePath: `/${others.join('/')}`, projectId: first };
}

/** Where the API's OpenAPI description is served. */
export const OPENAPI_PATH = '/openapi.json';

/** Version discovery and the OpenAPI description are the only things answered without a token. */
export function isPublic(parsed: ParsedPath): boolean {
  return parsed.kind !== 'resource';
}
