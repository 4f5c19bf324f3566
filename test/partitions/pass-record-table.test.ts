import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/document-client.ts';
import { DynamoPartitionStore } from '../../lambdas/adapters/dynamodb/partition-table.ts';
import { DynamoPassRecordStore, passRecordItem } from '../../lambdas/adapters/dynamodb/pass-record-table.ts';
import { DYNAMODB_SOCKET_ENV } from '../../lambdas/adapters/dynamodb/unix-socket.ts';
import { CopyTaskEnv } from '../../lambdas/core/workflow.ts';
import { copyTaskTableEnv, LocalCopyTaskRunner } from '../../local/copy-task-runner.ts';
import { LOCAL_AWS_CREDENTIALS, LOCAL_REGION, startDynalite, type DynaliteHandle } from '../../local/dynalite-server.ts';
import { nativeStatus } from '../../copy-task/engine/index.ts';

describe('Class: DynamoPassRecordStore', () => {
  let dynalite: DynaliteHandle;
  let client: DynamoDBDocumentClient;
  let table: string;

  beforeAll(async () => {
    dynalite = await startDynalite();
    client = createDocumentClient(dynalite.clientConfig);
    table = dynalite.tableNames.partitions;
  });
  afterAll(async () => {
    await dynalite?.close();
  });

  describe('Method: save / load', () => {
    it('keeps a record by migration and partition, each in an item of its own', async () => {
      // Prepare
      const whole = new DynamoPassRecordStore({ client, tableName: table, migrationId: 'm-1' });
      const third = new DynamoPassRecordStore({ client, tableName: table, migrationId: 'm-1', partition: 3 });
      const otherMigration = new DynamoPassRecordStore({ client, tableName: table, migrationId: 'm-2' });

      // Act
      await whole.save('roots', '{"whole":true}\n');
      await third.save('roots-p3', '{"third":true}\n');

      // Assess
      expect(await whole.load('roots')).toBe('{"whole":true}\n');
      expect(await third.load('roots-p3')).toBe('{"third":true}\n');
      expect(await otherMigration.load('roots')).toBeUndefined();
      const item = await client.send(new GetCommand({ TableName: table, Key: { migration_id: 'm-1', item: 'pass-record#0003' } }));
      expect(item.Item).toMatchObject({ key: 'roots-p3', record: '{"third":true}\n' });
      expect(passRecordItem(undefined)).toBe('pass-record');
    });

    it('gives none for a record of other roots under the same item, and replaces it on save', async () => {
      // Prepare
      const store = new DynamoPassRecordStore({ client, tableName: table, migrationId: 'm-3' });
      await store.save('old-roots', 'old');

      // Act
      const before = await store.load('new-roots');
      await store.save('new-roots', 'new');

      // Assess
      expect(before).toBeUndefined();
      expect(await store.load('new-roots')).toBe('new');
      expect(await store.load('old-roots')).toBeUndefined();
    });

    it('leaves the migration\'s partition reports as they are (its items are not among them)', async () => {
      // Prepare
      const partitions = new DynamoPartitionStore(client, table);
      await partitions.putPartition({ migration_id: 'm-4', item: 'partition#0000', index: 0 } as never);
      const store = new DynamoPassRecordStore({ client, tableName: table, migrationId: 'm-4', partition: 0 });

      // Act
      await store.save('k', 'record');

      // Assess
      expect((await partitions.listPartitions('m-4')).map((r) => r.item)).toEqual(['partition#0000']);
    });

    it('loads nothing, and does not throw, when the table cannot be reached', async () => {
      // Prepare
      const store = new DynamoPassRecordStore({ client, tableName: 'no-such-table', migrationId: 'm-5' });

      // Act / Assess
      await expect(store.save('k', 'x')).resolves.toBeUndefined();
      expect(await store.load('k')).toBeUndefined();
    });
  });
});

describe.skipIf(!nativeStatus.loaded)('Class: LocalCopyTaskRunner with the pass record', () => {
  let dynalite: DynaliteHandle;
  let client: DynamoDBDocumentClient;
  let dir: string;

  beforeAll(async () => {
    dynalite = await startDynalite();
    client = createDocumentClient(dynalite.clientConfig);
    dir = await mkdtemp(join(tmpdir(), 'smig-pass-record-'));
  });
  afterAll(async () => {
    await dynalite?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps each pass\'s record beside the migration\'s progress, where the next copy task (a fresh process) finds it', async () => {
    // Prepare: a migration record the progress sink can update, and a tree
    const source = join(dir, 'src');
    const destination = join(dir, 'dst');
    await mkdir(join(source, 'sub'), { recursive: true });
    await writeFile(join(source, 'sub/f.txt'), 'file');
    await client.send(new PutCommand({ TableName: dynalite.tableNames.migrations, Item: { id: 'm-run', version: 1 } }));
    const runner = new LocalCopyTaskRunner({
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never,
      baseEnv: {
        ...copyTaskTableEnv(dynalite.tableNames), [DYNAMODB_SOCKET_ENV]: dynalite.socketPath, AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
      },
    });
    const run = (pass: string) => runner.run({
      Overrides: { ContainerOverrides: [{ Environment: [
        { Name: CopyTaskEnv.MIGRATION_ID, Value: 'm-run' }, { Name: CopyTaskEnv.SOURCE, Value: source },
        { Name: CopyTaskEnv.DESTINATION, Value: destination }, { Name: CopyTaskEnv.PASS, Value: pass },
      ] }] },
    });
    const recordItem = async () => (await client.send(new GetCommand({ TableName: dynalite.tableNames.partitions, Key: { migration_id: 'm-run', item: 'pass-record' }, ConsistentRead: true }))).Item;

    // Act
    await run('bulk');
    const afterBulk = await recordItem();
    await run('final');
    const afterFinal = await recordItem();

    // Assess: the bulk pass's record has the destination's mark and the source's largest ctime; the
    // final pass's hands that on as its source mark
    const bulk = JSON.parse(afterBulk?.['record'] as string) as Record<string, string>;
    const final = JSON.parse(afterFinal?.['record'] as string) as Record<string, string>;
    expect(bulk['destinationMarkNs']).toBeDefined();
    expect(bulk['sourceCtimeMaxNs']).toBeDefined();
    expect(bulk['sourceMarkNs']).toBeUndefined();
    expect(final['sourceMarkNs']).toBe(bulk['sourceCtimeMaxNs']);
    expect(BigInt(final['destinationMarkNs']!)).toBeGreaterThanOrEqual(BigInt(bulk['destinationMarkNs']!));
  }, 60_000);
});
