import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALICE } from './in-memory-services.ts';
import { seedShare, startTestApi, type TestApi } from './harness.ts';

let api: TestApi;
let shareId: string;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());
beforeEach(async () => {
  api.reset();
  shareId = (await seedShare(api)).id;
});

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();
const body = (extra: Record<string, unknown> = {}) => ({
  migration_schedule: {
    share_id: shareId,
    host: 'local@beta#default',
    writable: 'True',
    preserve_metadata: true,
    preserve_snapshots: false,
    nondisruptive: 'False',
    at: inAnHour(),
    ...extra,
  },
});
const create = (extra: Record<string, unknown> = {}, token?: string) => api.call('POST', '/v2/migration-schedules', { body: body(extra), token });

describe('API: POST /v2/migration-schedules', () => {
  it('creates a one-time schedule: 200 with the schedule, auto_complete on, armed with the scheduler', async () => {
    // Act
    const res = await create({ window_minutes: '45' });

    // Assess
    expect(res.status).toBe(200);
    const schedule = res.body.migration_schedule;
    expect(schedule).toMatchObject({
      share_id: shareId,
      host: 'local@beta#default',
      kind: 'at',
      cron: null,
      timezone: 'UTC',
      window_minutes: 45,
      state: 'active',
      last_firing: null,
      firings: [],
      options: { writable: true, preserve_metadata: true, preserve_snapshots: false, nondisruptive: false, force_host_assisted_migration: false, auto_complete: true },
    });
    expect(schedule.next_fire_at).toBe(schedule.at);
    expect(schedule.version).toBeUndefined();
    expect(schedule.links).toEqual([
      { href: `${api.url}/v2/project-a/migration-schedules/${schedule.id}`, rel: 'self' },
      { href: `${api.url}/project-a/migration-schedules/${schedule.id}`, rel: 'bookmark' },
    ]);
    expect(api.services.scheduler.puts.map((s) => s.id)).toEqual([schedule.id]);
  });

  it('creates a recurring window in a time zone, with auto_complete as asked', async () => {
    // Act
    const res = await create({ at: undefined, cron: 'cron(0 2 ? * SUN *)', timezone: 'Europe/Paris', auto_complete: 'false' });

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.migration_schedule).toMatchObject({ kind: 'cron', cron: 'cron(0 2 ? * SUN *)', timezone: 'Europe/Paris', options: { auto_complete: false } });
  });

  it('works under a project id too, as Manila clients send it', async () => {
    // Act
    const res = await api.call('POST', '/v2/project-a/migration-schedules', { body: body() });

    // Assess
    expect(res.status).toBe(200);
  });

  it.each([
    ['no body entity', { something: {} }, 'The body must be {"migration_schedule": {...}}.'],
    ['a missing guarantee', { migration_schedule: { share_id: 'x', host: 'local@beta#default', writable: true, preserve_metadata: true, preserve_snapshots: false } }, "Must specify all mandatory parameters: ['share_id', 'host', 'preserve_metadata', 'writable', 'nondisruptive', 'preserve_snapshots']"],
    ['an unknown field', { migration_schedule: { share_id: 'x', host: 'a@b#c', crons: '' } }, 'Unknown field(s) in migration_schedule: crons.'],
  ])('answers 400 to %s', async (_, payload, message) => {
    // Act
    const res = await api.call('POST', '/v2/migration-schedules', { body: payload });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message } });
  });

  it.each([
    ['a flag that is not a boolean', { writable: 'maybe' }, 'Invalid value maybe for writable. Expecting a boolean.'],
    ['a share that does not exist', { share_id: 'nope' }, 'Share nope does not exist.'],
    ['a malformed host', { host: 'beta' }, 'Invalid host "beta": expected host@backend#pool'],
    ['an unknown pool', { host: 'local@gamma#default' }, /Destination host local@gamma#default was not found among the pools/],
    ['at in the past', { at: '2020-01-01T00:00:00Z' }, /at 2020-01-01T00:00:00Z is not in the future/],
    ['a cron that does not parse', { at: undefined, cron: 'cron(0 2 * * * *)' }, /exactly one of day-of-month and day-of-week must be "\?"/],
    ['at and cron together', { cron: 'cron(0 2 ? * SUN *)' }, /Give either at .* or cron .*, not both and not neither/],
    ['a window that is not a number', { window_minutes: 'an hour' }, 'Invalid window_minutes an hour: a whole number of minutes.'],
    ['a window too long', { window_minutes: 2000 }, /Invalid window_minutes 2000/],
  ])('answers 400 to %s, with the reason', async (_, extra, message) => {
    // Act
    const res = await create(extra);

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toMatch(message);
    expect(api.services.scheduler.puts).toEqual([]);
  });

  it('is admin only, as migration_start is', async () => {
    // Act
    const res = await create({}, ALICE.token);

    // Assess
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ forbidden: { code: 403, message: "Policy doesn't allow migration_schedule:create to be performed." } });
  });
});

describe('API: GET and DELETE /v2/migration-schedules', () => {
  it('lists schedules, one share\'s with ?share_id=, shows one, and deletes it (202), disarming it first', async () => {
    // Prepare
    const other = (await seedShare(api)).id;
    const first = (await create()).body.migration_schedule;
    const second = (await create({ share_id: other })).body.migration_schedule;

    // Act & Assess
    const all = await api.call('GET', '/v2/migration-schedules');
    expect(all.status).toBe(200);
    expect(all.body.migration_schedules.map((s: { id: string }) => s.id)).toEqual([first.id, second.id]);
    const mine = await api.call('GET', `/v2/migration-schedules?share_id=${other}`);
    expect(mine.body.migration_schedules.map((s: { id: string }) => s.id)).toEqual([second.id]);
    const shown = await api.call('GET', `/v2/migration-schedules/${first.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.migration_schedule).toEqual(first);

    const deleted = await api.call('DELETE', `/v2/migration-schedules/${first.id}`);
    expect(deleted.status).toBe(202);
    expect(deleted.text).toBe('');
    expect(api.services.scheduler.deletes).toEqual([first.id]);
    const gone = await api.call('GET', `/v2/migration-schedules/${first.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ itemNotFound: { code: 404, message: `Migration schedule ${first.id} could not be found.` } });
    expect((await api.call('DELETE', `/v2/migration-schedules/${first.id}`)).status).toBe(404);
  });

  it.each([
    ['GET', '/v2/migration-schedules', 'migration_schedule:index'],
    ['GET', '/v2/migration-schedules/x', 'migration_schedule:show'],
    ['DELETE', '/v2/migration-schedules/x', 'migration_schedule:delete'],
  ])('refuses %s %s to a tenant (403)', async (method, path, action) => {
    // Act
    const res = await api.call(method, path, { token: ALICE.token });

    // Assess
    expect(res.status).toBe(403);
    expect(res.body.forbidden.message).toBe(`Policy doesn't allow ${action} to be performed.`);
  });

  it('answers 405 with Allow for a method the collection does not have', async () => {
    // Act
    const res = await api.call('PUT', '/v2/migration-schedules');

    // Assess
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
  });
});
