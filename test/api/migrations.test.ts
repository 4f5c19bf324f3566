import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TaskState } from '../../lambdas/core/task-state.ts';
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

/** What `manila migration-start <id> local@beta#default --writable False ...` sends. */
const START = {
  host: 'local@beta#default',
  force_host_assisted_migration: false,
  preserve_metadata: 'False',
  preserve_snapshots: 'False',
  writable: 'False',
  nondisruptive: 'False',
  new_share_network_id: null,
  new_share_type_id: null,
};

function action(body: unknown, options: { version?: string; experimental?: boolean; token?: string } = {}) {
  return api.call('POST', `/v2/shares/${shareId}/action`, { experimental: true, ...options, body });
}

describe('API: migration_start', () => {
  it('starts a migration: 202, empty body, the share migrating', async () => {
    const res = await action({ migration_start: START });

    expect(res.status).toBe(202);
    expect(res.text).toBe('');
    const share = (await api.call('GET', `/v2/shares/${shareId}`)).body.share;
    expect(share.status).toBe('migrating');
    expect(share.task_state).toBe(TaskState.MIGRATION_STARTING);
    const [migration] = await api.services.migrations.listForShare(shareId);
    expect(migration?.options).toMatchObject({ writable: false, preserve_metadata: false, force_host_assisted_migration: false, auto_complete: false });
  });

  it('passes the guarantees as booleans by oslo spelling, and our auto_complete', async () => {
    await action({ migration_start: { ...START, writable: 'yes', preserve_metadata: 1, nondisruptive: 'off', auto_complete: 'true' } });

    const [migration] = await api.services.migrations.listForShare(shareId);
    expect(migration?.options).toMatchObject({ writable: true, preserve_metadata: true, nondisruptive: false, auto_complete: true });
  });

  it.each(['preserve_metadata', 'writable', 'nondisruptive', 'preserve_snapshots', 'host'])('refuses a request without %s (2.29+)', async (missing) => {
    const { [missing]: _dropped, ...rest } = START as Record<string, unknown>;

    const res = await action({ migration_start: rest });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      badRequest: {
        code: 400,
        message: "Must specify all mandatory parameters: ['preserve_metadata', 'writable', 'nondisruptive', 'preserve_snapshots', 'host']",
      },
    });
  });

  it.each([
    ['writable', 'maybe', 'Invalid value maybe for writable. Expecting a boolean.'],
    ['preserve_snapshots', null, 'Invalid value None for preserve_snapshots. Expecting a boolean.'],
    ['force_host_assisted_migration', 2, 'Invalid value 2 for force_host_assisted_migration. Expecting a boolean.'],
  ])('refuses %s=%j', async (key, value, message) => {
    const res = await action({ migration_start: { ...START, [key]: value } });

    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toBe(message);
  });

  it.each([
    ['nohost', 'Invalid host "nohost": expected host@backend#pool'],
    ['', 'Invalid host : expected host@backend#pool.'],
    ['local@gamma#default', 'Destination host local@gamma#default was not found among the pools.'],
    ['local@alpha#default', "Destination host local@alpha#default is the same as the share's current host."],
  ])('refuses the destination %j', async (host, message) => {
    const res = await action({ migration_start: { ...START, host } });

    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toContain(message);
  });

  it('refuses an empty body and an unknown new share type with 400', async () => {
    const empty = await action({ migration_start: {} });
    const unknownType = await action({ migration_start: { ...START, new_share_type_id: 'nope' } });

    expect(empty.body.badRequest.message).toBe('Request is missing body.');
    expect(unknownType.body).toEqual({ badRequest: { code: 400, message: 'Share type nope not found.' } });
  });

  it('leaves the guarantee combination to the domain, which refuses host-assisted + nondisruptive', async () => {
    const res = await action({ migration_start: { ...START, force_host_assisted_migration: 'True', nondisruptive: 'True' } });

    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toContain('Invalid parameter combination');
  });

  it('accepts host-assisted + preserve_snapshots: the host-assisted path replays snapshots', async () => {
    const res = await action({ migration_start: { ...START, force_host_assisted_migration: 'True', preserve_snapshots: 'True' } });

    expect(res.status).toBe(202);
  });

  it('refuses a second migration of a busy share (400, share and migration ids in the message)', async () => {
    await action({ migration_start: START });
    const [migration] = await api.services.migrations.listForShare(shareId);

    const res = await action({ migration_start: START });

    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toContain(`share ${shareId}`);
    expect(res.body.badRequest.message).toContain(`migration ${migration?.id}`);
  });

  it('does not exist before 2.29 (404)', async () => {
    const tooEarly = await action({ migration_start: START }, { version: '2.28' });

    expect(tooEarly.status).toBe(404);
  });

  it('answers with or without the experimental header (Manila requires it; we accept and echo it)', async () => {
    const plain = await action({ migration_start: START }, { experimental: false });

    expect(plain.status).toBe(202);
    expect(plain.headers.get('x-openstack-manila-api-experimental')).toBeNull();
  });

  it('is admin-only (403) and answers 404 for an unknown share', async () => {
    const tenant = await action({ migration_start: START }, { token: ALICE.token });
    const missing = await api.call('POST', '/v2/shares/nope/action', { experimental: true, body: { migration_start: START } });

    expect(tenant.body).toEqual({ forbidden: { code: 403, message: "Policy doesn't allow share:migration_start to be performed." } });
    expect(missing.status).toBe(404);
  });
});

describe('API: migration_get_progress, migration_complete, migration_cancel', () => {
  it('reports progress: 200 with task_state and total_progress, details from 2.59', async () => {
    await action({ migration_start: START });
    api.services.migrations.advance(shareId, TaskState.DATA_COPYING_IN_PROGRESS, 42);

    const latest = await action({ migration_get_progress: null });
    const at258 = await action({ migration_get_progress: null }, { version: '2.58' });

    expect(latest.status).toBe(200);
    expect(latest.body).toEqual({ task_state: 'data_copying_in_progress', total_progress: 42, details: { bytes_done: 0 } });
    expect(at258.body).toEqual({ task_state: 'data_copying_in_progress', total_progress: 42 });
  });

  it('answers 400 when there is no migration to report on', async () => {
    const res = await action({ migration_get_progress: null });

    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toContain(`There is no migration being performed for share ${shareId}`);
  });

  it('completes only after phase 1: 400 before, 202 after', async () => {
    await action({ migration_start: START });
    const early = await action({ migration_complete: null });
    api.services.migrations.advance(shareId, TaskState.DATA_COPYING_COMPLETED, 100);

    const done = await action({ migration_complete: null });

    expect(early.status).toBe(400);
    expect(early.body.badRequest.message).toContain('First migration phase');
    expect(done.status).toBe(202);
    const share = (await api.call('GET', `/v2/shares/${shareId}`)).body.share;
    expect(share).toMatchObject({ status: 'available', task_state: 'migration_success', host: 'local@beta#default' });
  });

  it('cancels with 202, refuses when nothing runs', async () => {
    const nothing = await action({ migration_cancel: null });
    await action({ migration_start: START });

    const cancelled = await action({ migration_cancel: null });

    expect(nothing.status).toBe(400);
    expect(cancelled.status).toBe(202);
    expect(api.services.share(shareId).task_state).toBe(TaskState.MIGRATION_CANCELLED);
  });

  it.each(['migration_complete', 'migration_cancel', 'migration_get_progress', 'reset_task_state'])('%s exists from 2.22', async (name) => {
    const early = await action({ [name]: { task_state: null } }, { version: '2.21' });

    expect(early.status).toBe(404);
  });
});

describe('API: reset_task_state', () => {
  it('sets a task state, or clears it with null: 202', async () => {
    const set = await action({ reset_task_state: { task_state: 'migration_error' } });
    const setState = api.services.share(shareId).task_state;
    const cleared = await action({ reset_task_state: { task_state: null } });

    expect(set.status).toBe(202);
    expect(setState).toBe('migration_error');
    expect(cleared.status).toBe(202);
    expect(api.services.share(shareId).task_state).toBeNull();
  });

  it('refuses a missing or unknown task state', async () => {
    const missing = await action({ reset_task_state: {} });
    const unknown = await action({ reset_task_state: { task_state: 'teleporting' } });

    expect(missing.body.badRequest.message).toBe("Must specify 'task_state'");
    expect(unknown.body.badRequest.message).toMatch(/^Invalid state\. Valid states: migration_starting, .*, None\.$/);
  });
});

describe('API: migration records (our extension)', () => {
  it('lists a share\'s migrations and shows one, without the task token', async () => {
    await action({ migration_start: START });

    const list = await api.call('GET', `/v2/shares/${shareId}/migrations`);
    const migration = list.body.migrations[0];
    const one = await api.call('GET', `/v2/migrations/${migration.id}`);
    const missing = await api.call('GET', '/v2/migrations/nope');
    const tenant = await api.call('GET', `/v2/migrations/${migration.id}`, { token: ALICE.token });

    expect(list.status).toBe(200);
    expect(migration).toMatchObject({ share_id: shareId, destination_host: 'local@beta#default', task_state: 'migration_starting', waiting_for_callback: true });
    expect(migration).not.toHaveProperty('task_token');
    expect(list.text).not.toContain('secret-task-token');
    expect(one.body.migration.id).toBe(migration.id);
    expect(missing.status).toBe(404);
    expect(tenant.status).toBe(403);
  });
});

describe('API: scheduler-stats pools', () => {
  it('lists pools, with capabilities in detail', async () => {
    const summary = await api.call('GET', '/v2/scheduler-stats/pools?backend=.*&host=.*&pool=.*');
    const detail = await api.call('GET', '/v2/scheduler-stats/pools/detail');

    expect(summary.body.pools).toEqual([
      { name: 'local@alpha#default', host: 'local', backend: 'alpha', pool: 'default' },
      { name: 'local@beta#default', host: 'local', backend: 'beta', pool: 'default' },
    ]);
    expect(detail.body.pools[0].capabilities).toMatchObject({ pool_name: 'default', free_capacity_gb: 100, driver_handles_share_servers: false });
  });

  it('filters by regular expression and by share type (2.23+)', async () => {
    await api.services.shareTypes.create({ name: 'dhss', extra_specs: { driver_handles_share_servers: 'True' } });

    const beta = await api.call('GET', '/v2/scheduler-stats/pools?backend=bet.*');
    const forDefault = await api.call('GET', '/v2/scheduler-stats/pools?share_type=default');
    const forDhss = await api.call('GET', '/v2/scheduler-stats/pools?share_type=dhss');
    const unknown = await api.call('GET', '/v2/scheduler-stats/pools?share_type=nope');
    const badRegex = await api.call('GET', '/v2/scheduler-stats/pools?host=(');

    expect(beta.body.pools.map((p: { name: string }) => p.name)).toEqual(['local@beta#default']);
    expect(forDefault.body.pools).toHaveLength(2);
    expect(forDhss.body.pools).toEqual([]);
    expect(unknown.body).toEqual({ badRequest: { code: 400, message: 'Share type nope not found.' } });
    expect(badRegex.status).toBe(400);
  });

  it('is admin-only', async () => {
    const res = await api.call('GET', '/v2/scheduler-stats/pools', { token: ALICE.token });

    expect(res.status).toBe(403);
  });
});
