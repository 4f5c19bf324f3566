import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkNesting } from '../../lambdas/api/body-shape.ts';
import { API_ROUTES } from '../../lambdas/api/routes/index.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { storeSnapshot } from '../fuzz/store-snapshot.ts';

/**
 * Bad input on the embedded default, over HTTP, with DynamoDB's limits (dynalite) behind the API
 * (issue 16, items 9 and 10, and the 5xx the API fuzz test found): each answer is a 4xx in Manila's
 * fault shape, and the store is as it was.
 */

const ALPHA = 'local@alpha#default';
const BETA = 'local@beta#default';
const TOO_LONG_ID = 'a'.repeat(2_100);

interface Answer {
  readonly status: number;
  readonly body: any;
}

let t: TestRuntime;
let shareId: string;
let before: string;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${t.runtime.url}${path}`, {
    method,
    headers: { 'X-Auth-Token': t.runtime.adminToken, 'X-OpenStack-Manila-API-Version': '2.72', 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

/** `[`×depth 1 `]`×depth: JSON nested `depth` levels deep. */
const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

const migrationStart = (host: string) => `{"migration_start": {"host": ${host}, "writable": true, "preserve_metadata": true, "nondisruptive": false, "preserve_snapshots": false}}`;

beforeAll(async () => {
  t = await startTestRuntime({ scheduleTickMs: 3_600_000 });
  shareId = (await t.client.createShare({ name: 'bad-input', onlyHost: ALPHA })).id;
}, 120_000);
afterAll(async () => {
  await t?.destroy();
});
beforeEach(async () => {
  before = await storeSnapshot(t.runtime);
});

/** The refusal, in Manila's fault shape, with nothing changed. */
async function expectRefused(answer: Answer, status: number, fault: string, message?: RegExp): Promise<void> {
  expect(answer.status, JSON.stringify(answer.body)?.slice(0, 300)).toBe(status);
  expect(Object.keys(answer.body)).toEqual([fault]);
  expect(answer.body[fault].code).toBe(status);
  expect(answer.body[fault].message.length).toBeLessThanOrEqual(1024);
  if (message) expect(answer.body[fault].message).toMatch(message);
  expect(await storeSnapshot(t.runtime)).toBe(before);
}

describe('API: bodies nested past the limit', () => {
  it.each([
    ['migration_start host (quoted by its message)', () => `/v2/admin/shares/${shareId}/action`, (deep: string) => migrationStart(deep)],
    ['share size (quoted by its message)', () => '/v2/admin/shares', (deep: string) => `{"share": {"share_proto": "NFS", "size": ${deep}}}`],
    ['share_proto (quoted by its message)', () => '/v2/admin/shares', (deep: string) => `{"share": {"share_proto": ${deep}, "size": 1}}`],
  ])('answers 400 for 50,000-deep JSON in the %s', async (_what, path, body) => {
    // Act
    const answer = await call('POST', path(), body(nested(50_000)));

    // Assess
    await expectRefused(answer, 400, 'badRequest', /^Invalid request body: objects and arrays nest deeper than 6 levels\.$/);
  });

  it('answers 413 for 100,000-deep JSON: it is past the body size before its depth counts', async () => {
    // Act
    const answer = await call('POST', `/v2/admin/shares/${shareId}/action`, migrationStart(nested(100_000)));

    // Assess
    await expectRefused(answer, 413, 'overLimit', /^Request is too large\.$/);
  });

  it('refuses 100,000-deep JSON by counting, without descending into it', () => {
    // Act, Assess
    expect(() => checkNesting(migrationStart(nested(100_000)))).toThrow(/nest deeper than 6 levels/);
    expect(() => checkNesting(`{"a": "${'['.repeat(100_000)}"}`)).not.toThrow();
  });

  it('quotes a nested value within the limit, cut short', async () => {
    // Prepare
    const wide = JSON.stringify([Array.from({ length: 200 }, (_, i) => `item-${i}`)]);

    // Act
    const answer = await call('POST', `/v2/admin/shares/${shareId}/action`, migrationStart(wide));

    // Assess
    await expectRefused(answer, 400, 'badRequest', /^Invalid host \[\["item-0","item-1",.*\.\.\.: expected host@backend#pool\.$/);
    expect(answer.body.badRequest.message.length).toBeLessThan(320);
  });
});

describe('API: ids longer than any id, in every path', () => {
  const withParams = API_ROUTES.filter((route) => route.path.includes('{'));

  it.each(withParams.map((route) => [`${route.method} ${route.path}`, route] as const))('answers 404 itemNotFound for %s', async (_name, route) => {
    // Prepare
    const path = route.path.replace(/\{[^}]+\}/g, TOO_LONG_ID);

    // Act
    const answer = await call(route.method, `/v2/admin${path}`, route.method === 'POST' ? { migration_get_progress: null } : undefined);

    // Assess
    await expectRefused(answer, 404, 'itemNotFound');
  });
});

describe("API: fields past Manila's limits", () => {
  const createShare = (share: Record<string, unknown>) => call('POST', '/v2/admin/shares', { share: { share_proto: 'NFS', size: 1, ...share } });

  it('answers 413 overLimit for a 900 KB name', async () => {
    await expectRefused(await createShare({ name: 'n'.repeat(900_000) }), 413, 'overLimit', /^Request is too large\.$/);
  });

  it('answers 413 overLimit for 20,000 metadata keys', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`key${i}`, 'v']));
    await expectRefused(await createShare({ metadata }), 413, 'overLimit');
  });

  it('answers 413 overLimit, naming the share, when access rules added one by one would outgrow the 400 KB store record', async () => {
    const id = (await t.client.createShare({ name: 'grows', onlyHost: ALPHA })).id;
    // Access rules with 64 metadata items of the largest key and value Manila allows: about 82 KB a
    // rule, each request valid on its own; the share record keeps its rules.
    const metadata = (n: number) => Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`${n}-${i}-`.padEnd(255, 'k'), 'v'.repeat(1023)]));
    const allow = (n: number) => call('POST', `/v2/admin/shares/${id}/action`, {
      allow_access: { access_type: 'ip', access_to: `10.0.0.${n + 1}`, access_level: 'rw', metadata: metadata(n) },
    });
    let refused: Answer | undefined;
    let accepted = 0;
    for (let n = 0; n < 10 && !refused; n++) {
      before = await storeSnapshot(t.runtime);
      const answer = await allow(n);
      if (answer.status === 200) accepted++;
      else refused = answer;
    }
    expect(accepted).toBeGreaterThanOrEqual(3);
    await expectRefused(refused!, 413, 'overLimit', new RegExp(`400 KB.*share ${id}`));
    const kept = await call('GET', `/v2/admin/share-access-rules?share_id=${id}`);
    expect(kept.status).toBe(200);
    expect(kept.body.access_list).toHaveLength(accepted);
  });

  it.each([
    ['a 256-character name', { name: 'n'.repeat(256) }, /^Invalid input received: name can only be 255 characters long\.$/],
    ['a 256-character description', { description: 'd'.repeat(256) }, /^Invalid input received: description can only be 255 characters long\.$/],
    ['a string of 16,385 characters', { availability_zone: 'z'.repeat(16_385) }, /^Invalid request body: a string is longer than 16384 characters\.$/],
    ['an array of 257 items', { scheduler_hints: { only_host: Array.from({ length: 257 }, () => 1) } }, /^Invalid request body: an array has more than 256 items\.$/],
    ['65 metadata keys', { metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }, /an object has more than 64 properties/],
    ['a 256-character metadata key', { metadata: { ['k'.repeat(256)]: 'v' } }, /^Metadata property key is greater than 255 characters\.$/],
    ['a 1,024-character metadata value', { metadata: { k: 'v'.repeat(1024) } }, /^Metadata property value is greater than 1023 characters\.$/],
    ['a blank metadata key', { metadata: { '': 'v' } }, /^Metadata property key is blank\.$/],
    ['a blank metadata value', { metadata: { k: '' } }, /^Metadata property value is blank\.$/],
    ['a size of 1e300 GiB', { size: 1e300 }, /^Share size '1e\+300' must be an integer and greater than 0$/],
    ['a size past DB_MAX_INT', { size: '99999999999' }, /must be an integer and greater than 0/],
    ['a share_type of 2,100 characters', { share_type: TOO_LONG_ID }, /^Invalid input received: share_type can only be 255 characters long\.$/],
    ['a share_network_id of 2,100 characters', { share_network_id: TOO_LONG_ID }, /share_network_id can only be 255 characters long/],
  ])('refuses a share with %s (400)', async (_what, share, message) => {
    await expectRefused(await createShare(share), 400, 'badRequest', message);
  });

  it('refuses a body whose top-level object has more than 4 keys (400)', async () => {
    // Act
    const answer = await call('POST', '/v2/admin/shares', { share: { share_proto: 'NFS', size: 1 }, a: 1, b: 2, c: 3, d: 4 });

    // Assess
    await expectRefused(answer, 400, 'badRequest', /^Invalid request body: the top-level object has more than 4 keys\.$/);
  });

  it('refuses a metadata key named __proto__, which the store cannot keep, rather than drop it (400)', async () => {
    // Act
    const answer = await call('POST', '/v2/admin/shares', `{"share": {"share_proto": "NFS", "size": 1, "metadata": {"__proto__": "lost", "k": "v"}}}`);

    // Assess
    await expectRefused(answer, 400, 'badRequest', /^Metadata property key __proto__ is reserved\.$/);
  });

  it.each([
    ['a snapshot of a 2,100-character share_id', 'POST', '/v2/admin/snapshots', () => ({ snapshot: { share_id: TOO_LONG_ID } })],
    ['a schedule of a 2,100-character share_id', 'POST', '/v2/admin/migration-schedules', () => ({
      migration_schedule: { share_id: TOO_LONG_ID, host: BETA, writable: true, preserve_metadata: true, nondisruptive: false, preserve_snapshots: false, at: '2099-01-01T00:00:00Z' },
    })],
    ['a retype to a 2,100-character type', 'POST', () => `/v2/admin/shares/${shareId}/action`, () => ({ retype: { new_share_type: TOO_LONG_ID } })],
    ['a migration to a 2,100-character new_share_type_id', 'POST', () => `/v2/admin/shares/${shareId}/action`, () => JSON.parse(migrationStart(JSON.stringify(BETA)).replace('"writable"', `"new_share_type_id": "${TOO_LONG_ID}", "writable"`))],
    ['a migration to a 2,100-character host', 'POST', () => `/v2/admin/shares/${shareId}/action`, () => JSON.parse(migrationStart(JSON.stringify(`${TOO_LONG_ID}@b#p`)))],
    ['a share type with a 256-character extra spec value', 'POST', '/v2/admin/types', () => ({ share_type: { name: 'long-spec', extra_specs: { driver_handles_share_servers: 'False', k: 'v'.repeat(256) } } })],
    ['a share type with a 256-character description', 'POST', '/v2/admin/types', () => ({ share_type: { name: 'long-description', description: 'd'.repeat(256), extra_specs: { driver_handles_share_servers: 'False' } } })],
    ['a share network with a 256-character name', 'POST', '/v2/admin/share-networks', () => ({ share_network: { name: 'n'.repeat(256) } })],
    ['a security service with a 2,100-character server', 'POST', '/v2/admin/security-services', () => ({ security_service: { type: 'ldap', server: TOO_LONG_ID } })],
  ] as const)('refuses %s (400)', async (_what, method, path, body) => {
    // Act
    const answer = await call(method, typeof path === 'function' ? path() : path, body());

    // Assess
    await expectRefused(answer, 400, 'badRequest');
  });

  it('refuses a security service id of 2,100 characters for a share network (400)', async () => {
    // Prepare
    const network = (await t.client.expect(200, 'POST', '/share-networks', { share_network: { name: 'long-ids' } })).share_network;
    before = await storeSnapshot(t.runtime);

    // Act
    const answer = await call('POST', `/v2/admin/share-networks/${network.id}/action`, { add_security_service: { security_service_id: TOO_LONG_ID } });

    // Assess
    await expectRefused(answer, 400, 'badRequest', /security_service_id can only be 255 characters long/);
  });
});

describe('API: references in the query longer than any id', () => {
  it.each([
    ['/v2/admin/shares?share_type=', 200, { shares: [] }],
    ['/v2/admin/shares/detail?share_type_id=', 200, { shares: [] }],
    ['/v2/admin/snapshots?share_id=', 200, { snapshots: [] }],
  ])('answers %s<2,100 characters> with an empty list', async (path, status, body) => {
    // Act
    const answer = await call('GET', `${path}${TOO_LONG_ID}`);

    // Assess
    expect(answer).toEqual({ status, body });
  });

  it.each([
    ['/v2/admin/share-access-rules?share_id=', /^Share a{255}\.\.\. not found\.$/],
    ['/v2/admin/scheduler-stats/pools?share_type=', /^Share type a{255}\.\.\. not found\.$/],
  ])('answers %s<2,100 characters> with 400, quoting it cut short', async (path, message) => {
    await expectRefused(await call('GET', `${path}${TOO_LONG_ID}`), 400, 'badRequest', message);
  });
});

describe('API: names the HTTP server must not take for its own (found by the API fuzz test)', () => {
  it.each(['__proto__', 'constructor', 'toString'])('answers a query parameter named %s', async (name) => {
    // Act
    const answer = await call('GET', `/v2/admin/types?${name}=1`);

    // Assess
    expect(answer.status).toBe(200);
  });

  it.each(['constructor', 'toString'])('answers a request with a header named %s', async (name) => {
    // Act
    const answer = await call('GET', '/v2/admin/types', undefined, { [name]: '1' });

    // Assess
    expect(answer.status).toBe(200);
  });
});
