import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleExecutionInput } from '../../lambdas/core/schedules/fire-schedule.ts';
import type { MigrationSchedule } from '../../lambdas/core/schedules/model.ts';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

const ALPHA = 'local@alpha#default';
const BETA = 'local@beta#default';
const GUARANTEES = { writable: true, preserve_metadata: true, preserve_snapshots: false, nondisruptive: false };

describe('Scheduled migrations in the local runtime (the ticker standing in for EventBridge Scheduler)', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await startTestRuntime({ scheduleTickMs: 200 });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  const createSchedule = async (fields: Record<string, unknown>): Promise<any> =>
    (await t.client.expect(200, 'POST', '/migration-schedules', { migration_schedule: { ...GUARANTEES, ...fields } })).migration_schedule;
  const getSchedule = async (id: string): Promise<any> => (await t.client.expect(200, 'GET', `/migration-schedules/${id}`)).migration_schedule;
  /** Polls the schedule until it has recorded `count` firings. */
  async function waitForFirings(id: string, count = 1, timeoutMs = 30_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      last = await getSchedule(id);
      if (last.firings.length >= count) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`schedule ${id} recorded ${last?.firings.length} firings, not ${count}`);
  }

  it('fires a one-time schedule a moment ahead: the migration starts, auto-completes inside its window, and the schedule records it', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'scheduled-once', onlyHost: ALPHA });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 4);
    const tree = await describeTree(sourcePath);
    const at = new Date(Date.now() + 1500).toISOString();

    // Act
    const created = await createSchedule({ share_id: share.id, host: BETA, at, window_minutes: 5 });
    const fired = await waitForFirings(created.id);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error', 'migration_cancelled']);

    // Assess: started at (or just after) its time, by the schedule, with auto_complete.
    expect(created).toMatchObject({ kind: 'at', state: 'active', next_fire_at: at, options: { auto_complete: true } });
    expect(fired).toMatchObject({ state: 'done', next_fire_at: null });
    expect(fired.last_firing).toMatchObject({ outcome: 'started', reason: null, scheduled_for: new Date(at).toISOString() });
    expect(Date.parse(fired.last_firing.at)).toBeGreaterThanOrEqual(Date.parse(at));
    expect(fired.firings).toEqual([fired.last_firing]);
    // No operator called migration_complete: the switchover ran on its own, and ended inside the window.
    expect(done).toMatchObject({ task_state: 'migration_success', status: 'available', host: BETA });
    const [migration] = await t.client.migrations(share.id);
    expect(migration).toMatchObject({ id: fired.last_firing.migration_id, task_state: 'migration_success', complete_requested: false, options: { auto_complete: true } });
    const finished = migration.history.at(-1);
    expect(Date.parse(finished.at)).toBeLessThanOrEqual(Date.parse(at) + 5 * 60_000);
    expect(Date.parse(migration.read_only_until)).toBeLessThanOrEqual(Date.parse(at) + 5 * 60_000);
    expect(await describeTree(await t.client.exportPath(share.id))).toEqual(tree);
  });

  it('records why it did not start when the share is busy at its time, and leaves the running migration alone', async () => {
    // Prepare: a migration that waits for migration_complete holds the share.
    const share = await t.client.createShare({ name: 'scheduled-busy', onlyHost: ALPHA });
    expect((await t.client.startMigration(share.id, BETA)).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['data_copying_completed']);
    const [running] = await t.client.migrations(share.id);

    // Act
    const created = await createSchedule({ share_id: share.id, host: BETA, at: new Date(Date.now() + 1000).toISOString() });
    const fired = await waitForFirings(created.id);

    // Assess
    expect(fired.state).toBe('done');
    expect(fired.last_firing).toMatchObject({ outcome: 'skipped', migration_id: null });
    expect(fired.last_firing.reason).toBe(`Share is busy with an active task (data_copying_completed). (share ${share.id}, migration ${running.id})`);
    expect(await t.client.migrations(share.id)).toHaveLength(1);
    expect(await t.client.share(share.id)).toMatchObject({ status: 'migrating', task_state: 'data_copying_completed' });

    // Cleanup
    expect((await t.client.action(share.id, { migration_cancel: null })).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['migration_cancelled']);
  });

  describe('started as EventBridge Scheduler starts it on AWS: StartExecution with the schedule\'s input, the execution named by Step Functions', () => {
    /** What the EventBridge target does: no migration_id, the schedule_id, an execution name of Step Functions' choosing. */
    async function startLikeEventBridge(schedule: any): Promise<string> {
      const name = randomUUID();
      await t.runtime.workflow.startExecution(name, scheduleExecutionInput(schedule as MigrationSchedule));
      await t.runtime.workflow.whenDone(name);
      return name;
    }

    it('the first state records the migration it locked, named after the execution', async () => {
      // Prepare: a weekly window, so the ticker does not fire it during the test.
      const share = await t.client.createShare({ name: 'eventbridge-started', onlyHost: ALPHA });
      const schedule = await createSchedule({ share_id: share.id, host: BETA, cron: 'cron(0 3 ? * SUN *)', timezone: 'Europe/Paris' });

      // Act
      const execution = await startLikeEventBridge(schedule);

      // Assess
      const recorded = await getSchedule(schedule.id);
      expect(recorded.last_firing).toMatchObject({ outcome: 'started', migration_id: execution, reason: null, scheduled_for: null });
      expect(recorded).toMatchObject({ state: 'active', kind: 'cron' });
      expect(await t.client.share(share.id)).toMatchObject({ task_state: 'migration_success', host: BETA });
    });

    it('a rejected request (busy share) fails the first state and records why on the schedule', async () => {
      // Prepare
      const share = await t.client.createShare({ name: 'eventbridge-busy', onlyHost: ALPHA });
      const schedule = await createSchedule({ share_id: share.id, host: BETA, cron: 'cron(0 3 ? * SUN *)' });
      expect((await t.client.startMigration(share.id, BETA)).status).toBe(202);
      await t.client.waitForTaskState(share.id, ['data_copying_completed']);

      // Act
      await startLikeEventBridge(schedule);

      // Assess
      const recorded = await getSchedule(schedule.id);
      expect(recorded.last_firing).toMatchObject({ outcome: 'skipped', migration_id: null });
      expect(recorded.last_firing.reason).toMatch(/^Share is busy with an active task \(data_copying_completed\)/);
      expect(await t.client.migrations(share.id)).toHaveLength(1);

      // Cleanup
      expect((await t.client.action(share.id, { migration_cancel: null })).status).toBe(202);
      await t.client.waitForTaskState(share.id, ['migration_cancelled']);
    });
  });

  it('deletes a schedule before it fires: nothing starts', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'scheduled-deleted', onlyHost: ALPHA });
    const schedule = await createSchedule({ share_id: share.id, host: BETA, at: new Date(Date.now() + 1000).toISOString() });

    // Act
    await t.client.expect(202, 'DELETE', `/migration-schedules/${schedule.id}`);
    await new Promise((r) => setTimeout(r, 1500));

    // Assess
    expect((await t.client.request('GET', `/migration-schedules/${schedule.id}`)).status).toBe(404);
    expect(await t.client.migrations(share.id)).toEqual([]);
    expect((await t.client.expect(200, 'GET', `/migration-schedules?share_id=${share.id}`)).migration_schedules).toEqual([]);
  });
});
