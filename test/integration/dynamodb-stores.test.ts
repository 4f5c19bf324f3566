import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type DynaliteHandle } from '../../local/dynalite-server.ts';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/document-client.ts';
import { createShareTable } from '../../lambdas/adapters/dynamodb/share-table.ts';
import { MigrationTable } from '../../lambdas/adapters/dynamodb/migration-table.ts';
import { createDynamoCopyProgressSink } from '../../lambdas/adapters/dynamodb/copy-progress-sink.ts';
import { ConcurrentUpdateError, InvalidShareStateError } from '../../lambdas/core/errors.ts';
import { updateVersioned } from '../../lambdas/core/versioned-update.ts';
import type { Migration, Share } from '../../lambdas/core/model.ts';
import { TaskState } from '../../lambdas/core/task-state.ts';

function share(id: string): Share {
  return {
    id, name: id, description: null, size: 1, share_proto: 'NFS', share_type_id: 't', project_id: 'p', user_id: 'u',
    status: 'available', task_state: null, is_public: false, metadata: {}, availability_zone: null, share_network_id: null,
    active_instance_id: 'i', instances: [], access_rules: [], migration_id: null, created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z', version: 1,
  };
}

function migration(id: string, shareId: string, createdAt: string): Migration {
  return {
    id, share_id: shareId, source_host: 'a@b#c', destination_host: 'a@d#c', source_instance_id: 'i', destination_instance_id: 'j',
    options: { writable: true, preserve_metadata: true, preserve_snapshots: false, nondisruptive: false, force_host_assisted_migration: false, auto_complete: false, new_share_type_id: null, new_share_network_id: null, refresh_interval: null },
    mechanism: null, mechanism_reason: null, task_state: TaskState.DATA_COPYING_IN_PROGRESS, history: [], progress: null, copies: [],
    cancel_requested: false, complete_requested: false, task_token: null, execution_id: null, error: null,
    read_only_since: null, read_only_until: null, created_at: createdAt, updated_at: createdAt, version: 1,
  };
}

describe('DynamoDB stores over dynalite', () => {
  let dynalite: DynaliteHandle;
  beforeAll(async () => {
    dynalite = await startDynalite();
  });
  afterAll(async () => {
    await dynalite?.close();
  });

  it('lets exactly one of two racing lock attempts win; the loser sees the new state and fails', async () => {
    // Prepare
    const shares = createShareTable(createDocumentClient(dynalite.clientConfig), dynalite.tableNames.shares);
    await shares.create(share('race'));
    const lock = (migrationId: string) => updateVersioned(shares, 'race', (s) => {
      if (s.migration_id !== null) throw new InvalidShareStateError('Share is busy', { shareId: s.id });
      return { ...s, migration_id: migrationId, status: 'migrating' as const };
    }, { shareId: 'race' });

    // Act
    const results = await Promise.allSettled([lock('m-1'), lock('m-2'), lock('m-3')]);

    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.every((r) => r.reason instanceof InvalidShareStateError)).toBe(true);
    const stored = await shares.get('race');
    expect(stored?.version).toBe(2);
    expect(['m-1', 'm-2', 'm-3']).toContain(stored?.migration_id);
  });

  it('refuses a stale write and a duplicate create with ConcurrentUpdateError', async () => {
    const shares = createShareTable(createDocumentClient(dynalite.clientConfig), dynalite.tableNames.shares);
    await shares.create(share('stale'));
    await shares.replace({ ...share('stale'), name: 'first', version: 2 });
    await expect(shares.replace({ ...share('stale'), name: 'second', version: 2 })).rejects.toBeInstanceOf(ConcurrentUpdateError);
    await expect(shares.create(share('stale'))).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect((await shares.get('stale'))?.name).toBe('first');
  });

  it('lists a share\'s migrations newest first through the index', async () => {
    const migrations = new MigrationTable(createDocumentClient(dynalite.clientConfig), dynalite.tableNames.migrations);
    await migrations.create(migration('old', 'sx', '2026-01-01T00:00:00Z'));
    await migrations.create(migration('new', 'sx', '2026-02-01T00:00:00Z'));
    await migrations.create(migration('other', 'sy', '2026-03-01T00:00:00Z'));
    expect((await migrations.listByShare('sx')).map((m) => m.id)).toEqual(['new', 'old']);
  });

  it('the copy task\'s sink writes progress and outcome, bumps the version, and reads cancel_requested', async () => {
    // Prepare
    const client = createDocumentClient(dynalite.clientConfig);
    const migrations = new MigrationTable(client, dynalite.tableNames.migrations);
    await migrations.create(migration('sink', 'sz', '2026-01-01T00:00:00Z'));
    const sink = createDynamoCopyProgressSink({ migrationId: 'sink', tableName: dynalite.tableNames.migrations, client, minIntervalMs: 0, taskId: async () => 'task-1' });

    // Act
    await sink.report({ type: 'progress', pass: 'bulk', phase: 'copying', files_done: 5, files_total: 10, bytes_done: 250, bytes_total: 1000, bytes_per_second: 100, eta_seconds: 7 });
    const mid = await migrations.get('sink');
    await sink.finished({ pass: 'bulk', files: 10, bytes: 1000, seconds: 2, verified: true });
    expect(await sink.cancelRequested()).toBe(false);
    await migrations.replace({ ...(await migrations.get('sink'))!, cancel_requested: true, version: (await migrations.get('sink'))!.version + 1 });

    // Assess
    expect(mid?.progress).toMatchObject({ pass: 'bulk', files_done: 5, total_progress: 24 });
    expect(mid?.copy_task_id).toBe('task-1');
    expect(mid!.version).toBeGreaterThan(1);
    const done = await migrations.get('sink');
    expect(done?.copies).toEqual([expect.objectContaining({ pass: 'bulk', files: 10, verified: true })]);
    expect(await sink.cancelRequested()).toBe(true);
    // A writer holding the version from before the sink wrote loses its conditional write.
    await expect(migrations.replace({ ...mid!, version: mid!.version + 1 })).rejects.toBeInstanceOf(ConcurrentUpdateError);
  });
});
