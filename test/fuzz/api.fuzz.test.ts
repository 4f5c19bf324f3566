import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { API_ROUTES } from '../../lambdas/api/routes/index.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { requestArbitrary, type FuzzRequest, type KnownIds } from './requests.ts';
import { settle, storeSnapshot } from './store-snapshot.ts';

/**
 * The API fuzzed over HTTP on the embedded default (dynalite, the synthesized state machine, the copy
 * task as a process): random bodies, ids, query strings and headers on every route the router serves
 * (API_ROUTES) and on the public documents. For every request: no 5xx; every error is Manila's fault
 * body; a refused request (4xx) changes nothing in the store and starts no workflow.
 *
 * Knobs (environment): SMIG_FUZZ_SECONDS (default 35) bounds the time, SMIG_FUZZ_RUNS the number of
 * requests (default: as many as fit), SMIG_FUZZ_SEED the seed (default 16, so a run is repeatable; a
 * failure prints the seed and SMIG_FUZZ_PATH to replay it). A longer hunt:
 *   SMIG_FUZZ_SECONDS=1800 SMIG_FUZZ_SEED=$RANDOM npx vitest run test/fuzz
 */
const SECONDS = Number(process.env['SMIG_FUZZ_SECONDS'] ?? 35);
const RUNS = Number(process.env['SMIG_FUZZ_RUNS'] ?? 1_000_000);
const SEED = Number(process.env['SMIG_FUZZ_SEED'] ?? 16);
/** A failure's path, to replay just that request. */
const PATH = process.env['SMIG_FUZZ_PATH'];

const REQUEST_TIMEOUT_MS = 15_000;

const ALPHA = 'local@alpha#default';
const BETA = 'local@beta#default';

interface FuzzResponse {
  readonly status: number;
  readonly text: string;
}

describe('API fuzz: random requests on every route of the embedded default', () => {
  let t: TestRuntime;
  let known: KnownIds;
  /** The last probe: the time limit can interrupt one while its request is on the wire. */
  let inFlight: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    // The ticker would fire schedules the fuzzer creates: keep it out of the way.
    const started = Date.now();
    t = await startTestRuntime({ scheduleTickMs: 3_600_000 });
    const up = Date.now();
    known = await seed(t);
    console.info(`API fuzz: runtime up in ${up - started} ms, seeded in ${Date.now() - up} ms`);
  }, 120_000);
  afterAll(async () => {
    await inFlight.catch(() => undefined);
    if (t) await settle(t.runtime);
    await t?.destroy();
  });

  it(`answers no 5xx, only Manila faults, and changes nothing when it refuses (seed ${SEED}, ${SECONDS} s)`, async () => {
    // Prepare
    const requests = requestArbitrary(API_ROUTES, known, t.runtime.adminToken);

    // Act, Assess
    const statuses = new Map<number, number>();
    const probe = async (request: FuzzRequest): Promise<void> => {
      await settle(t.runtime);
      const before = await storeSnapshot(t.runtime);
      const response = await send(t.runtime.url, request);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500) throw new Error(`${response.status} for ${show(request, response)}`);
      if (response.status < 400) return;
      const problem = faultProblem(response);
      if (problem) throw new Error(`${problem}: ${show(request, response)}`);
      const started = t.runtime.workflow.runningExecutions();
      if (started.length > 0) throw new Error(`A refused request started ${started.join(', ')}: ${show(request, response)}`);
      const after = await storeSnapshot(t.runtime);
      if (after !== before) throw new Error(`A refused request changed ${changed(before, after)}: ${show(request, response)}`);
    };
    const details = await fc.check(
      fc.asyncProperty(requests, (request) => {
        inFlight = probe(request);
        return inFlight;
      }),
      { seed: SEED, ...(PATH ? { path: PATH } : {}), numRuns: RUNS, interruptAfterTimeLimit: SECONDS * 1000, markInterruptAsFailure: false, endOnFailure: true },
    );
    const counts = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`).join(', ');
    console.info(`API fuzz: ${details.numRuns} requests (${counts}), seed ${SEED}`);
    if (details.failed) {
      // Not fast-check's own report: its counterexample would print bodies of up to a megabyte.
      const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(`API fuzz failed at request ${details.numRuns} (replay: SMIG_FUZZ_SEED=${SEED} SMIG_FUZZ_PATH=${details.counterexamplePath}):\n  ${why}`);
    }
  }, (SECONDS + 120) * 1000);
});

async function send(baseUrl: string, request: FuzzRequest): Promise<FuzzResponse> {
  // A request left unanswered is a failure too (fast-check's time limit would otherwise skip it).
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const res = await fetch(`${baseUrl}${request.path}`, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual', signal });
  return { status: res.status, text: await res.text() };
}

/** What is wrong with an error response, if anything: it must be `{"<name>": {"code": <status>, "message": "..."}}`. */
function faultProblem(response: FuzzResponse): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    return 'The error body is not JSON';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return "The error body is not Manila's fault object";
  const entries = Object.entries(body);
  if (entries.length !== 1) return "The error body is not Manila's fault object (one member)";
  const [, fault] = entries[0]!;
  if (typeof fault !== 'object' || fault === null) return "The fault is not Manila's {code, message}";
  const { code, message } = fault as Record<string, unknown>;
  if (code !== response.status || typeof message !== 'string' || message === '') return "The fault is not Manila's {code, message} for its status";
  return undefined;
}

function show(request: FuzzRequest, response: FuzzResponse): string {
  const cut = (text: string, n: number) => (text.length > n ? `${text.slice(0, n)}... (${text.length} chars)` : text);
  return [
    `${request.method} ${cut(request.path, 300)} (route ${request.route})`,
    `headers ${JSON.stringify(request.headers)}`,
    `body ${request.body === undefined ? '(none)' : cut(request.body, 500)}`,
    `answer ${response.status} ${cut(response.text, 500)}`,
  ].join('\n  ');
}

function changed(before: string, after: string): string {
  const a = JSON.parse(before) as Record<string, unknown>;
  const b = JSON.parse(after) as Record<string, unknown>;
  return Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).join(', ');
}

/** A store with one of everything the routes name, created through the API, and the ids to aim at. */
async function seed(t: TestRuntime): Promise<KnownIds> {
  const api = t.client;
  const v = '/v2/admin';
  await api.expect(200, 'POST', '/types', { share_type: { name: 'fuzz-type', extra_specs: { driver_handles_share_servers: 'False', snapshot_support: 'True', fuzz_spec: 'on' } } });
  const a = await api.createShare({ name: 'fuzz-a', onlyHost: ALPHA, shareType: 'fuzz-type' });
  const b = await api.createShare({ name: 'fuzz-b', onlyHost: ALPHA });
  const rule = (await api.expect(200, 'POST', `/shares/${a.id}/action`, { allow_access: { access_type: 'ip', access_to: '10.0.0.0/24', access_level: 'rw' } })).access;
  const snapshot = (await api.expect(202, 'POST', '/snapshots', { snapshot: { share_id: a.id, name: 'fuzz-snap' } })).snapshot;
  const network = (await api.expect(200, 'POST', '/share-networks', { share_network: { name: 'fuzz-net' } })).share_network;
  const service = (await api.expect(200, 'POST', '/security-services', { security_service: { type: 'ldap', name: 'fuzz-ldap' } })).security_service;
  await api.expect(200, 'POST', `/share-networks/${network.id}/action`, { add_security_service: { security_service_id: service.id } });
  const schedule = (await api.expect(200, 'POST', '/migration-schedules', {
    migration_schedule: { share_id: b.id, host: BETA, writable: true, preserve_metadata: true, nondisruptive: false, preserve_snapshots: false, at: '2099-01-01T00:00:00Z' },
  })).migration_schedule;
  await api.startMigration(b.id, BETA, { auto_complete: true });
  await api.waitForTaskState(b.id, ['migration_success', 'migration_error']);
  await settle(t.runtime);
  const migrations = await api.migrations(b.id);
  const locations = (await fetch(`${t.runtime.url}${v}/shares/${a.id}/export_locations`, {
    headers: { 'X-Auth-Token': t.runtime.adminToken, 'X-OpenStack-Manila-API-Version': '2.72' },
  }).then((r) => r.json())) as { export_locations: { id: string }[] };
  const types = await t.runtime.composition.services.shareTypes.list();
  return {
    shares: [a.id, b.id],
    types: types.flatMap((type) => [type.id, type.name]),
    rules: [rule.id],
    migrations: migrations.map((m: { id: string }) => m.id),
    networks: [network.id],
    securityServices: [service.id],
    schedules: [schedule.id],
    snapshots: [snapshot.id],
    exportLocations: locations.export_locations.map((l) => l.id),
    extraSpecKeys: ['fuzz_spec', 'snapshot_support'],
    hosts: [ALPHA, BETA],
  };
}
