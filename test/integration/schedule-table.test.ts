import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/document-client.ts';
import { ScheduleTable } from '../../lambdas/adapters/dynamodb/schedule-table.ts';
import { ShareTypeTable } from '../../lambdas/adapters/dynamodb/share-type-table.ts';
import { ConcurrentUpdateError } from '../../lambdas/core/errors.ts';
import { validateMigrationInput } from '../../lambdas/core/migrations/migration-request.ts';
import type { MigrationSchedule } from '../../lambdas/core/schedules/model.ts';
import { updateVersioned } from '../../lambdas/core/versioned-update.ts';
import { startDynalite, type DynaliteHandle } from '../../local/dynalite-server.ts';

function schedule(id: string): MigrationSchedule {
  return {
    id,
    share_id: 's-1',
    host: 'local@beta#default',
    options: validateMigrationInput({ share_id: 's-1', host: 'local@beta#default', auto_complete: true }).options,
    kind: 'cron',
    at: null,
    cron: 'cron(0 2 ? * SUN *)',
    timezone: 'UTC',
    window_minutes: 60,
    state: 'active',
    next_fire_at: '2026-03-08T02:00:00.000Z',
    last_firing: null,
    firings: [],
    created_at: '2026-03-01T10:00:00.000Z',
    updated_at: '2026-03-01T10:00:00.000Z',
    version: 1,
  };
}

describe('Class: ScheduleTable (dynalite)', () => {
  let dynalite: DynaliteHandle;
  let table: ScheduleTable;
  let documents: ReturnType<typeof createDocumentClient>;
  beforeAll(async () => {
    dynalite = await startDynalite();
    documents = createDocumentClient(dynalite.clientConfig);
    table = new ScheduleTable(documents, dynalite.tableNames.catalog);
  });
  afterAll(async () => {
    documents?.destroy();
    await dynalite?.close();
  });

  it('keeps schedules as schedule#<id> in the catalog table, beside share types, and lists only schedules', async () => {
    // Prepare
    await new ShareTypeTable(documents, dynalite.tableNames.catalog).put({ id: 't-1', name: 'default', description: null, is_public: true, extra_specs: {}, created_at: 'x' });

    // Act
    await table.create(schedule('a'));

    // Assess
    const raw = await documents.send(new GetCommand({ TableName: dynalite.tableNames.catalog, Key: { pk: 'schedule#a' } }));
    expect(raw.Item).toMatchObject({ pk: 'schedule#a', id: 'a', version: 1 });
    expect(await table.get('a')).toEqual(schedule('a'));
    expect((await table.list()).map((s) => s.id)).toEqual(['a']);
    expect(await table.get('missing')).toBeNull();
  });

  it('refuses a second create of one id, a replace of a stale version and a delete of a stale version', async () => {
    // Prepare
    await table.create(schedule('b'));

    // Act & Assess
    await expect(table.create(schedule('b'))).rejects.toBeInstanceOf(ConcurrentUpdateError);
    await table.replace({ ...schedule('b'), state: 'done', version: 2 });
    await expect(table.replace({ ...schedule('b'), version: 2 })).rejects.toBeInstanceOf(ConcurrentUpdateError);
    await expect(table.delete('b', 1)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect((await table.get('b'))?.state).toBe('done');
    await table.delete('b', 2);
    expect(await table.get('b')).toBeNull();
  });

  it('lets exactly one of two racing claims of one firing win', async () => {
    // Prepare
    await table.create(schedule('c'));
    const claim = (by: string) => updateVersioned(table, 'c', (s) => {
      if (s.next_fire_at !== '2026-03-08T02:00:00.000Z') return s;
      return { ...s, next_fire_at: '2026-03-15T02:00:00.000Z', updated_at: by };
    }, {});

    // Act
    const results = await Promise.all([claim('one'), claim('two'), claim('three')]);

    // Assess: every claimant ends with the claimed record; it was written once.
    const stored = await table.get('c');
    expect(stored?.version).toBe(2);
    expect(results.every((r) => r.version === 2)).toBe(true);
  });
});
