import fc from 'fast-check';
import type { Route } from '../../lambdas/api/router.ts';

/**
 * fast-check arbitraries for requests to the Manila API: for a route the router serves, a method (its
 * own, mostly), path parameters (ids that exist, mostly, or anything), a query string, headers and a
 * body (none, a near-valid one with a field replaced, random JSON, text that is not JSON, nesting far
 * past the limit, or one past the size limit).
 */

export interface FuzzRequest {
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** The ids the seeded store holds, by what they name. */
export interface KnownIds {
  readonly shares: readonly string[];
  readonly types: readonly string[];
  readonly rules: readonly string[];
  readonly migrations: readonly string[];
  readonly networks: readonly string[];
  readonly securityServices: readonly string[];
  readonly schedules: readonly string[];
  readonly snapshots: readonly string[];
  readonly exportLocations: readonly string[];
  readonly extraSpecKeys: readonly string[];
  readonly hosts: readonly string[];
}

/** The routes outside the router: version discovery and the OpenAPI description. */
export const PUBLIC_ROUTES: readonly Pick<Route, 'method' | 'path'>[] = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/v2' },
  { method: 'GET', path: '/openapi.json' },
];

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const VERSIONS = ['2.0', '2.6', '2.7', '2.9', '2.12', '2.22', '2.29', '2.32', '2.42', '2.45', '2.59', '2.60', '2.67', '2.69', '2.72', 'latest'];
const QUERY_KEYS = [
  'sort_key', 'sort_dir', 'limit', 'offset', 'marker', 'name', 'display_name', 'status', 'host', 'share_type', 'share_type_id',
  'all_tenants', 'is_public', 'project_id', 'with_count', 'is_soft_deleted', 'share_id', 'metadata', 'backend', 'pool', 'size',
  '__proto__', 'constructor',
];
/** Headers undici's fetch refuses to send, or that would break the HTTP exchange itself. */
const UNSENDABLE = new Set(['connection', 'content-length', 'expect', 'host', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

const tricky = fc.constantFrom(
  '', ' ', '.', '%', '%25', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'default', 'detail', 'null', 'None',
  'True', '0', '-1', '1e309', '2147483648', '.*', '(a+)+$', '[', '10.0.0.1', 'local@alpha#default', 'x@y#z', "{'k': 'v'}", '{"k": "v"}',
  'a'.repeat(255), 'a'.repeat(256), 'a'.repeat(2100), 'é'.repeat(1100), '😀'.repeat(600), '\u0000', '\uD800',
);

/** Past every limit an id, a name or a field has (255 characters, DynamoDB's 1,024 and 2,048-byte keys). */
const oversized = fc.tuple(fc.constantFrom(256, 1_025, 2_049, 2_100), fc.constantFrom('a', 'é', '😀')).map(([n, c]) => c.repeat(Math.ceil(n / c.length)));

/** Any string a client could send, printable or not. */
const anyString = fc.oneof(
  { weight: 2, arbitrary: oversized },
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 3, arbitrary: tricky },
  { weight: 1, arbitrary: fc.uuid() },
);

/** Any JSON value a field could be given. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: anyString },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e300, 2 ** 31, 2 ** 53 + 1, 'yes', [], {}) },
  { weight: 1, arbitrary: fc.dictionary(anyString, anyString, { maxKeys: 5 }) },
);

function pick(list: readonly string[], fallback: fc.Arbitrary<string> = anyString): fc.Arbitrary<string> {
  return list.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...list) }, { weight: 1, arbitrary: fallback }) : fallback;
}

/** Candidate values for a path parameter, by the collection the route names. */
function paramArbitrary(routePath: string, param: string, known: KnownIds): fc.Arbitrary<string> {
  if (param === 'export_location_id') return pick(known.exportLocations);
  if (param === 'key') return pick(known.extraSpecKeys);
  const root = routePath.split('/')[1];
  const byRoot: Record<string, readonly string[]> = {
    shares: known.shares, types: known.types, 'share-access-rules': known.rules, migrations: known.migrations, 'share-networks': known.networks,
    'security-services': known.securityServices, 'migration-schedules': known.schedules, snapshots: known.snapshots,
  };
  return pick(byRoot[root ?? ''] ?? []);
}

/** Percent-encoded as a client would (a lone surrogate, which has no UTF-8, as U+FFFD). */
function encode(value: string): string {
  return encodeURIComponent(value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
}

function pathArbitrary(route: Pick<Route, 'path'>, isPublic: boolean, known: KnownIds): fc.Arbitrary<string> {
  if (isPublic) return fc.constant(route.path);
  const segments = route.path.split('/').filter(Boolean);
  const parts = segments.map((segment) =>
    segment.startsWith('{')
      ? paramArbitrary(route.path, segment.slice(1, -1), known).map(encode)
      : fc.constant(segment),
  );
  // Manila's endpoint with the token's project, without a project (2.60+), bare, or another project's.
  const prefix = fc.oneof({ weight: 6, arbitrary: fc.constant('/v2/admin') }, { weight: 2, arbitrary: fc.constant('/v2') }, { weight: 1, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constant('/v2/someone-else') });
  return fc.tuple(prefix, ...parts).map(([p, ...rest]) => `${p}/${rest.join('/')}`);
}

function queryArbitrary(known: KnownIds): fc.Arbitrary<string> {
  const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: anyString });
  const value = fc.oneof(
    { weight: 3, arbitrary: anyString },
    { weight: 2, arbitrary: fc.constantFrom('asc', 'desc', 'created_at', 'name', 'size', 'id', 'true', 'false', 'all', '1', '10', '1000', '-5', 'x') },
    { weight: 2, arbitrary: fc.constantFrom(...known.shares, ...known.types, ...known.hosts) },
  );
  return fc.array(fc.tuple(key, value), { maxLength: 4 }).map((pairs) => {
    if (pairs.length === 0) return '';
    return `?${pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')}`;
  });
}

function headersArbitrary(token: string): fc.Arbitrary<Record<string, string>> {
  const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 });
  const optional = (arb: fc.Arbitrary<string>) => fc.option(arb, { nil: undefined, freq: 4 });
  const extraName = fc.oneof(
    fc.constantFrom('X-Forwarded-Host', 'X-Forwarded-Proto', 'Accept', 'X-Openstack-Request-Id', 'X-Auth-Token'),
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,19}$/),
  ).filter((name) => !UNSENDABLE.has(name.toLowerCase()));
  return fc.record({
    token: fc.oneof({ weight: 9, arbitrary: fc.constant<string | undefined>(token) }, { weight: 1, arbitrary: optional(printable) }),
    version: optional(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...VERSIONS) }, { weight: 1, arbitrary: printable })),
    experimental: optional(fc.oneof(fc.constantFrom('True', 'False'), printable)),
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant<string | undefined>('application/json') },
      { weight: 1, arbitrary: optional(fc.constantFrom('text/plain', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/jsonx')) },
      { weight: 1, arbitrary: optional(printable) },
    ),
    extra: fc.array(fc.tuple(extraName, printable), { maxLength: 2 }),
  }).map(({ token: t, version, experimental, contentType, extra }) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of extra) headers[name] = value;
    if (t !== undefined) headers['X-Auth-Token'] = t;
    if (version !== undefined) headers['X-OpenStack-Manila-API-Version'] = version;
    if (experimental !== undefined) headers['X-OpenStack-Manila-API-Experimental'] = experimental;
    if (contentType !== undefined) headers['Content-Type'] = contentType;
    return headers;
  });
}

/** Near-valid bodies, by route; actions by name. */
function templates(known: KnownIds): Record<string, fc.Arbitrary<unknown>> {
  const first = (list: readonly string[], fallback: string) => list[0] ?? fallback;
  const host = known.hosts[known.hosts.length - 1] ?? 'local@beta#default';
  const migration = { host, writable: true, preserve_metadata: true, nondisruptive: false, preserve_snapshots: false };
  const actions = fc.constantFrom<unknown>(
    { allow_access: { access_type: 'ip', access_to: '10.9.0.1', access_level: 'ro', metadata: { k: 'v' } } },
    { 'os-allow_access': { access_type: 'user', access_to: 'alice', access_level: 'rw' } },
    { deny_access: { access_id: first(known.rules, 'x') } },
    { access_list: null },
    { migration_start: { ...migration, auto_complete: true } },
    { migration_complete: null },
    { migration_cancel: null },
    { migration_get_progress: null },
    { reset_task_state: { task_state: null } },
    { retype: { new_share_type: 'fuzz-type', migration_policy: 'never' } },
  );
  return {
    'POST /shares': fc.constant({ share: { share_proto: 'NFS', size: 1, name: 'fz', share_type: 'default', metadata: { a: 'b' } } }),
    'POST /shares/{id}/action': actions,
    'POST /types': fc.constant({ share_type: { name: 'fz-type', extra_specs: { driver_handles_share_servers: 'False' } } }),
    'POST /types/{id}/extra_specs': fc.constant({ extra_specs: { fuzz_spec: 'on' } }),
    'POST /share-networks': fc.constant({ share_network: { name: 'fz-net', neutron_net_id: 'net', neutron_subnet_id: 'subnet' } }),
    'POST /share-networks/{id}/action': fc.constant({ add_security_service: { security_service_id: first(known.securityServices, 'x') } }),
    'POST /security-services': fc.constant({ security_service: { type: 'ldap', name: 'fz-ldap', server: 'ldap.example' } }),
    'POST /migration-schedules': fc.constant({ migration_schedule: { share_id: first(known.shares, 'x'), ...migration, at: '2099-01-01T00:00:00Z' } }),
    'POST /snapshots': fc.constant({ snapshot: { share_id: first(known.shares, 'x'), name: 'fz-snap' } }),
  };
}

/** Every place in a JSON value, as key paths. */
function placesOf(value: unknown): string[][] {
  const places: string[][] = [[]];
  const pending: [unknown, string[]][] = [[value, []]];
  while (pending.length > 0) {
    const [node, at] = pending.pop()!;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) continue;
    for (const [key, child] of Object.entries(node)) {
      places.push([...at, key]);
      pending.push([child, [...at, key]]);
    }
  }
  return places;
}

/** The template with one place replaced (or removed, or an unknown key added there). */
function mutate(template: unknown, place: number, change: 'replace' | 'remove' | 'add', value: unknown): unknown {
  const copy = structuredClone(template);
  const places = placesOf(copy);
  const at = places[place % places.length]!;
  if (at.length === 0) return change === 'replace' ? value : copy;
  const parent = at.slice(0, -1).reduce<any>((node, key) => node[key], copy);
  const key = at[at.length - 1]!;
  if (change === 'remove') delete parent[key];
  else if (change === 'add' && typeof parent[key] === 'object' && parent[key] !== null && !Array.isArray(parent[key])) parent[key]['fuzz_extra'] = value;
  else parent[key] = value;
  return copy;
}

const DEEP = '"@@DEEP@@"';

function bodyArbitrary(routeKey: string, known: KnownIds): fc.Arbitrary<string | undefined> {
  const template = templates(known)[routeKey] ?? fc.constant<unknown>({});
  const mutated = fc.tuple(template, fc.nat(), fc.constantFrom<'replace' | 'remove' | 'add'>('replace', 'replace', 'remove', 'add'), anyValue)
    .map(([t, place, change, value]) => JSON.stringify(mutate(t, place, change, value)));
  const deep = fc.tuple(template, fc.nat(), fc.constantFrom(7, 100, 5_000, 50_000, 100_000), fc.constantFrom('[', '{"a":'))
    .map(([t, place, depth, open]) => {
      const text = JSON.stringify(mutate(t, place, 'replace', '@@DEEP@@'));
      const close = open === '[' ? ']' : '}';
      return text.includes(DEEP) ? text.replace(DEEP, `${open.repeat(depth)}1${close.repeat(depth)}`) : text;
    });
  const large = fc.tuple(template, fc.nat(), fc.constantFrom(256, 20_000, 120_000, 900_000))
    .map(([t, place, size]) => JSON.stringify(mutate(t, place, 'replace', 'x'.repeat(size))));
  const manyKeys = fc.constantFrom(65, 20_000).map((n) => JSON.stringify({ share: { share_proto: 'NFS', size: 1, metadata: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])) } }));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: template.map((t) => JSON.stringify(t)) },
    { weight: 8, arbitrary: mutated },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 1, arbitrary: anyString },
    { weight: 2, arbitrary: deep },
    { weight: 1, arbitrary: large },
    { weight: 1, arbitrary: manyKeys },
  );
}

/** A request to one of `routes` (or a public document), with everything a client controls drawn at random. */
export function requestArbitrary(routes: readonly Route[], known: KnownIds, token: string): fc.Arbitrary<FuzzRequest> {
  const all = [...routes.map((route) => ({ route, isPublic: false })), ...PUBLIC_ROUTES.map((route) => ({ route, isPublic: true }))];
  return fc.constantFrom(...all).chain(({ route, isPublic }) => {
    const key = `${route.method} ${route.path}`;
    return fc.record({
      method: fc.oneof({ weight: 6, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
      path: pathArbitrary(route, isPublic, known),
      query: queryArbitrary(known),
      headers: headersArbitrary(token),
      body: bodyArbitrary(key, known),
    }).map(({ method, path, query, headers, body }) => ({
      route: key,
      method,
      path: `${path}${query}`,
      headers,
      // GET and the like carry no body in fetch; the route's own body matters for the others.
      ...(body !== undefined && method !== 'GET' ? { body } : {}),
    }));
  }).filter((request) => request.path.length <= MAX_URL_LENGTH);
}

/**
 * Longer request lines never reach the API: Node's HTTP parser answers 431 by itself past 16 KB of
 * headers, API Gateway refuses URLs past about 10 KB.
 */
const MAX_URL_LENGTH = 8_192;
