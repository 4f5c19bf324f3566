import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutoverStep } from '../../lambdas/core/migrations/steps/cutover.ts';
import { driverCompatibilityStep } from '../../lambdas/core/migrations/steps/driver-compatibility.ts';
import { prepareDestinationStep } from '../../lambdas/core/migrations/steps/prepare-destination.ts';
import { sourceReadOnlyStep } from '../../lambdas/core/migrations/steps/source-read-only.ts';
import { awaitSwitchoverStep } from '../../lambdas/core/migrations/steps/await-switchover.ts';
import { switchoverWritersStep } from '../../lambdas/core/migrations/steps/switchover-writers.ts';
import { validateStep } from '../../lambdas/core/migrations/steps/validate.ts';
import { patchMigration } from '../../lambdas/core/migrations/migration-records.ts';
import { SWITCHOVER_WAIT } from '../../lambdas/core/workflow.ts';
import { TaskState } from '../../lambdas/core/task-state.ts';
import { fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

const BETA = 'local@beta#default';

/**
 * The switchover's read-only step must hold for clients already connected: the workflow asks the source
 * driver who may still write and waits (or the operator confirms) before the final copy. The drivers here
 * report connections as EFS would (faults.switchover_connections).
 */
describe('Workflow: the switchover waits until no client can still write to the read-only source', () => {
  let t: TestRuntime;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-switchover-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'beta', root: path.join(dataDir, 'beta'), pools: [{ name: 'default' }] },
          // Two clients stay connected for the first two checks, then leave (a file-system instance of its own).
          { backend: 'watched', root: path.join(dataDir, 'watched'), pools: [{ name: 'default' }], faults: { switchover_connections: { connections: 2, polls: 2, retry_after_seconds: 2 } } },
          // A file system shared with other shares' access points: its connections never drop to zero.
          { backend: 'shared', root: path.join(dataDir, 'shared'), pools: [{ name: 'default' }], faults: { switchover_connections: { connections: 3, scope: 'shared', retry_after_seconds: 1 } } },
          // The same, with a reporting period that puts every next check five minutes away.
          { backend: 'slow', root: path.join(dataDir, 'slow'), pools: [{ name: 'default' }], faults: { switchover_connections: { connections: 3, scope: 'shared', retry_after_seconds: SWITCHOVER_WAIT.MAX_SECONDS } } },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  /** The share's latest migration record. */
  async function migrationOf(shareId: string): Promise<Record<string, any>> {
    return (await t.client.migrations(shareId))[0];
  }

  /** Polls `done` until it says so. */
  async function until(done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error('the condition never held');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Polls migration_get_progress until `done` says so. */
  async function progressUntil(shareId: string, done: (details: Record<string, any>) => boolean): Promise<Record<string, any>> {
    const deadline = Date.now() + 30_000;
    let last: Record<string, any> = {};
    while (Date.now() < deadline) {
      last = (await t.client.progress(shareId)).details;
      if (done(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`progress of ${shareId} never matched; last details ${JSON.stringify(last)}`);
  }

  it('reports the clients it waits for in migration_get_progress, checks again later, and switches over once none is left', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'watched', onlyHost: 'local@watched#default' });
    await fillSampleTree(await t.client.exportPath(share.id), 3);

    // Act
    expect((await t.client.startMigration(share.id, BETA, { auto_complete: true })).status).toBe(202);
    const waiting = await progressUntil(share.id, (details) => details['switchover']?.waiting_for === 'client_connections' && details['switchover'].polls >= 1);
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(waiting['switchover']).toMatchObject({
      status: 'waiting',
      waiting_for: 'client_connections',
      connections: 2,
      scope: 'instance',
      since: expect.any(String),
      confirm: expect.stringContaining('call migration_complete again'),
    });
    expect(done).toMatchObject({ task_state: 'migration_success', host: BETA });
    const [migration] = await t.client.migrations(share.id);
    expect(migration.switchover).toMatchObject({ status: 'clear', polls: 3, connections: 0, confirmed_at: null, gave_up_at: null });
    expect(Date.parse(migration.switchover.read_only_at)).toBeGreaterThanOrEqual(Date.parse(migration.read_only_since));
    // The final copy ran only after the check said no client was left.
    const finalCopy = migration.copies.find((copy: any) => copy.pass === 'final');
    expect(Date.parse(finalCopy.finished_at)).toBeGreaterThan(Date.parse(migration.switchover.checked_at));
  });

  it('goes on when the operator confirms (migration_complete again) what the driver cannot prove on a shared file system', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'shared', onlyHost: 'local@shared#default' });
    await fillSampleTree(await t.client.exportPath(share.id), 3);
    expect((await t.client.startMigration(share.id, BETA)).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['data_copying_completed']);

    // Act
    await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
    const waiting = await progressUntil(share.id, (details) => (details['switchover']?.polls ?? 0) >= 1);
    await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(waiting['switchover']).toMatchObject({ status: 'waiting', waiting_for: 'client_connections', connections: 3, scope: 'shared' });
    expect(waiting['switchover'].detail).toContain('3 client connection(s)');
    expect(done).toMatchObject({ task_state: 'migration_success', host: BETA });
    const [migration] = await t.client.migrations(share.id);
    expect(migration.switchover).toMatchObject({ status: 'confirmed', connections: 3, scope: 'shared', confirmed_at: expect.any(String) });
    expect(migration.switchover.clear_since).toBe(migration.switchover.confirmed_at);
  });

  it('acts on the confirmation at once: the final copy and the cutover do not wait for the next check, minutes away', async () => {
    // Prepare: a switchover waiting, its next check five minutes away
    const share = await t.client.createShare({ name: 'slow', onlyHost: 'local@slow#default' });
    await fillSampleTree(await t.client.exportPath(share.id), 3);
    expect((await t.client.startMigration(share.id, BETA, { auto_complete: true })).status).toBe(202);
    const waiting = await progressUntil(share.id, (details) => (details['switchover']?.polls ?? 0) >= 1);
    // The wait holds its task token (auto_complete: the only token this migration has), which the confirmation answers.
    await until(async () => (await migrationOf(share.id))['waiting_for_callback'] === true);

    // Act
    const confirmed = Date.now();
    await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error'], 20_000);
    const took = Date.now() - confirmed;

    // Assess
    expect(Date.parse(waiting['switchover'].next_check_at) - Date.parse(waiting['switchover'].checked_at)).toBe(SWITCHOVER_WAIT.MAX_SECONDS * 1000);
    expect(done).toMatchObject({ task_state: 'migration_success', host: BETA });
    expect(took).toBeLessThan(10_000);
    const [migration] = await t.client.migrations(share.id);
    expect(migration.switchover).toMatchObject({ status: 'confirmed', polls: 1, confirmed_at: expect.any(String) });
    expect(migration.copies.map((copy: any) => copy.pass)).toEqual(['bulk', 'final']);
  });

  it('does not lose a confirmation given before the wait recorded its task token: the wait answers it itself', async () => {
    // Prepare: a switchover waiting (the steps run here, without an execution), its wait not started yet
    const deps = t.runtime.composition.migrationDeps;
    const share = await t.client.createShare({ name: 'early-confirmation', onlyHost: 'local@slow#default' });
    await fillSampleTree(await t.client.exportPath(share.id), 1);
    let state = await validateStep(deps, { request: { share_id: share.id, host: BETA }, execution_name: `early-${share.id}` });
    state = await driverCompatibilityStep(deps, state);
    state = await prepareDestinationStep(deps, state);
    await patchMigration(deps, state.migration_id, (m) => ({
      task_state: TaskState.DATA_COPYING_COMPLETED,
      history: [...m.history, { task_state: TaskState.DATA_COPYING_COMPLETED, at: new Date().toISOString() }],
      complete_requested: true,
    }));
    state = await sourceReadOnlyStep(deps, state);
    state = await switchoverWritersStep(deps, state);
    await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
    const answered: string[] = [];
    const workflow = { ...deps.workflow, sendTaskSuccess: async (token: string) => void answered.push(token) };

    // Act
    await awaitSwitchoverStep({ ...deps, workflow }, { migration_id: state.migration_id, share_id: share.id, task_token: 'token-after-confirmation' });
    const next = await switchoverWritersStep(deps, state);

    // Assess
    expect(state).toMatchObject({ switchover: { outcome: 'waiting', polls: 1, wait_seconds: SWITCHOVER_WAIT.MAX_SECONDS }, switchover_wait_seconds: SWITCHOVER_WAIT.MAX_SECONDS });
    expect(answered).toEqual(['token-after-confirmation']);
    expect(await deps.migrations.get(state.migration_id)).toMatchObject({ task_token: 'token-after-confirmation' });
    expect(next.switchover).toMatchObject({ outcome: 'confirmed', polls: 1 });
    expect(next.switchover_wait_seconds).toBeUndefined();
  });

  it('a wait that finds the switchover still unconfirmed keeps its token for the confirmation, and answers nothing', async () => {
    // Prepare
    const deps = t.runtime.composition.migrationDeps;
    const share = await t.client.createShare({ name: 'unconfirmed', onlyHost: 'local@slow#default' });
    let state = await validateStep(deps, { request: { share_id: share.id, host: BETA }, execution_name: `unconfirmed-${share.id}` });
    state = await driverCompatibilityStep(deps, state);
    state = await prepareDestinationStep(deps, state);
    await patchMigration(deps, state.migration_id, (m) => ({
      task_state: TaskState.DATA_COPYING_COMPLETED,
      history: [...m.history, { task_state: TaskState.DATA_COPYING_COMPLETED, at: new Date().toISOString() }],
    }));
    state = await sourceReadOnlyStep(deps, state);
    state = await switchoverWritersStep(deps, state);
    const answered: string[] = [];
    const workflow = { ...deps.workflow, sendTaskSuccess: async (token: string) => void answered.push(token) };

    // Act
    await awaitSwitchoverStep({ ...deps, workflow }, { migration_id: state.migration_id, share_id: share.id, task_token: 'token-waiting' });

    // Assess
    expect(answered).toEqual([]);
    expect(await deps.migrations.get(state.migration_id)).toMatchObject({ task_token: 'token-waiting', switchover: { status: 'waiting', confirmed_at: null } });
  });

  it('a wait past its bounds gives the source its writes back and waits for migration_complete again, its copy kept', async () => {
    // Prepare: a migration at phase 1 done (the steps run here, without an execution)
    const deps = t.runtime.composition.migrationDeps;
    const share = await t.client.createShare({ name: 'given-up', onlyHost: 'local@shared#default' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 2);
    const modeBefore = (await stat(sourcePath)).mode;
    let state = await validateStep(deps, { request: { share_id: share.id, host: BETA }, execution_name: `given-up-${share.id}` });
    state = await driverCompatibilityStep(deps, state);
    state = await prepareDestinationStep(deps, state);
    await patchMigration(deps, state.migration_id, (m) => ({
      task_state: TaskState.DATA_COPYING_COMPLETED,
      history: [...m.history, { task_state: TaskState.DATA_COPYING_COMPLETED, at: new Date().toISOString() }],
      complete_requested: true,
    }));
    state = await sourceReadOnlyStep(deps, state);
    const readOnlyMode = (await stat(sourcePath)).mode;
    const later = { now: () => new Date(Date.now() + (SWITCHOVER_WAIT.LIMIT_SECONDS + 1) * 1000) };

    // Act
    const first = await switchoverWritersStep(deps, state);
    const last = await switchoverWritersStep({ ...deps, clock: later }, first);

    // Assess
    expect(first.switchover).toMatchObject({ outcome: 'waiting', polls: 1, wait_seconds: 1 });
    expect(last.switchover).toMatchObject({ outcome: 'gave_up', polls: 2 });
    expect(readOnlyMode & 0o222).toBe(0);
    expect((await stat(sourcePath)).mode).toBe(modeBefore);
    const migration = await deps.migrations.get(state.migration_id);
    expect(migration).toMatchObject({
      task_state: 'data_copying_completed',
      complete_requested: false,
      task_token: null,
      switchover: { status: 'gave_up', connections: 3, gave_up_at: expect.any(String) },
    });
    expect(migration!.history.map((h) => h.task_state).slice(-3)).toEqual(['data_copying_completed', 'data_copying_completing', 'data_copying_completed']);
    expect(migration!.read_only_until).toBeTruthy();
    expect(await t.client.share(share.id)).toMatchObject({ status: 'migrating', task_state: 'data_copying_completed' });
    // The operator may now cancel (the source is writable and nothing was switched), or call migration_complete again.
    expect((await t.client.progress(share.id)).details['switchover']).toMatchObject({ status: 'gave_up', gave_up_at: expect.any(String) });
  });

  it('the cutover refuses, and changes nothing, while no check has shown that the clients are gone', async () => {
    // Prepare: read-only, a verified final copy recorded, but the shared file system's clients never left
    const deps = t.runtime.composition.migrationDeps;
    const share = await t.client.createShare({ name: 'unproven', onlyHost: 'local@shared#default' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 2);
    let state = await validateStep(deps, { request: { share_id: share.id, host: BETA }, execution_name: `unproven-${share.id}` });
    state = await driverCompatibilityStep(deps, state);
    state = await prepareDestinationStep(deps, state);
    await patchMigration(deps, state.migration_id, (m) => ({
      task_state: TaskState.DATA_COPYING_COMPLETED,
      history: [...m.history, { task_state: TaskState.DATA_COPYING_COMPLETED, at: new Date().toISOString() }],
    }));
    state = await sourceReadOnlyStep(deps, state);
    state = await switchoverWritersStep(deps, state);
    const finishedAt = new Date().toISOString();
    await patchMigration(deps, state.migration_id, (m) => ({ copies: [...m.copies, { pass: 'final', files: 1, bytes: 1, seconds: 1, verified: true, finished_at: finishedAt }] }));

    // Act
    const refusal = await cutoverStep(deps, state).catch((err: unknown) => err);

    // Assess
    expect(refusal).toMatchObject({ name: 'SwitchoverBlockedError' });
    expect((refusal as Error).message).toContain('switchover waiting');
    expect(await t.client.share(share.id)).toMatchObject({ status: 'migrating', host: 'local@shared#default', task_state: 'data_copying_completing' });
    expect(await t.client.exportPath(share.id)).toBe(sourcePath);
  });
});
