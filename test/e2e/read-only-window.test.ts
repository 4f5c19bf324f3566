import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

const SLOW = 'local@slow#default';
const BETA = 'local@beta#default';
/** How long the source's deletion takes: an array deleting a million files, compressed. */
const DELETE_MS = 3000;

/**
 * The read-only window a migration records ends when clients can write again: when the share points at
 * its writable destination, not when the old source has been deleted after that (issue 15: the window is
 * what operators size a switchover by).
 */
describe('Workflow: the recorded read-only window', () => {
  let t: TestRuntime;

  beforeAll(async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-window-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'slow', root: path.join(dataDir, 'slow'), pools: [{ name: 'default' }], faults: { delay_ms: { deleteInstance: DELETE_MS } } },
          { backend: 'beta', root: path.join(dataDir, 'beta'), pools: [{ name: 'default' }] },
        ],
      },
    });
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('ends at the switch to the destination, before the source\'s deletion', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'window', onlyHost: SLOW });
    await writeFile(path.join(await t.client.exportPath(share.id), 'data.txt'), 'data\n');
    await t.client.startMigration(share.id, BETA);
    await t.client.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);

    // Act
    await t.client.expect(202, 'POST', `/shares/${share.id}/action`, { migration_complete: null });
    const done = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(done.task_state).toBe('migration_success');
    const [migration] = await t.client.migrations(share.id);
    const success = migration.history.find((h: { task_state: string }) => h.task_state === 'migration_success');
    const until = Date.parse(migration.read_only_until);
    expect(until).toBeGreaterThan(Date.parse(migration.read_only_since));
    // The deletion of the source came after the window closed, and took its DELETE_MS.
    expect(Date.parse(success.at) - until).toBeGreaterThanOrEqual(DELETE_MS - 100);
  });
});
