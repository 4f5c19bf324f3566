import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

describe('Task state change events', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startTestRuntime();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('publishes every task_state change of a migration once, in order, in EventBridge\'s envelope', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'evented', onlyHost: 'local@alpha#default' });

    // Act
    expect((await t.client.startMigration(share.id, 'local@beta#default', { auto_complete: true })).status).toBe(202);
    await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    const [migration] = await t.client.migrations(share.id);
    const events = (await readFile(path.join(t.dataDir, 'events.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line))
      .filter((e) => e.detail.migration_id === migration.id);
    expect(events.every((e) => e.source === 'share-migration' && e['detail-type'] === 'Share Migration Task State Change')).toBe(true);
    expect(events.map((e) => e.detail.task_state)).toEqual(migration.history.map((h: any) => h.task_state));
    expect(events.map((e) => e.detail.previous_task_state)).toEqual([null, ...migration.history.slice(0, -1).map((h: any) => h.task_state)]);
    expect(events.at(-1).detail).toMatchObject({ share_id: share.id, mechanism: 'host_assisted', destination_host: 'local@beta#default' });
  });
});
