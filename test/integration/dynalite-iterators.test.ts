import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startDynalite, type DynaliteHandle } from '../../local/dynalite-server.ts';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/document-client.ts';

/** The base of the iterators of the abstract-level that dynalite's on-disk store (level → classic-level) loads. */
function iteratorBase(): { close(): Promise<void> } {
  let from = createRequire(import.meta.url);
  for (const name of ['dynalite', 'level', 'classic-level']) from = createRequire(from.resolve(name));
  const { AbstractIterator } = from('abstract-level') as { AbstractIterator: { prototype: object } };
  return Object.getPrototypeOf(AbstractIterator.prototype) as { close(): Promise<void> };
}

describe('Function: startDynalite, reading', () => {
  let folder: string;
  let handle: DynaliteHandle;
  let closed = 0;
  let close: () => Promise<void>;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'smig-iterators-'));
    handle = await startDynalite({ path: path.join(folder, 'dynamodb') });
    const base = iteratorBase();
    close = base.close;
    base.close = function (this: { close(): Promise<void> }) {
      closed++;
      return close.call(this);
    };
  });

  afterAll(async () => {
    iteratorBase().close = close;
    await handle?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('closes the LevelDB iterator of every Query and Scan, read to the end or stopped at its Limit', async () => {
    // Prepare
    const client = createDocumentClient(handle.clientConfig);
    for (let i = 0; i < 30; i++) {
      await client.send(new PutCommand({ TableName: handle.tableNames.migrations, Item: { id: `m-${i}`, share_id: 's', created_at: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` } }));
    }
    const query = (limit?: number) => client.send(new QueryCommand({
      TableName: handle.tableNames.migrations, IndexName: 'by-share', KeyConditionExpression: 'share_id = :s', ExpressionAttributeValues: { ':s': 's' }, Limit: limit,
    }));
    closed = 0;

    // Act
    for (let i = 0; i < 20; i++) await query(5);
    for (let i = 0; i < 20; i++) await query();
    for (let i = 0; i < 20; i++) await client.send(new ScanCommand({ TableName: handle.tableNames.catalog }));
    // A destroyed stream closes its iterator asynchronously.
    await new Promise((resolve) => setImmediate(resolve));
    client.destroy();

    // Assess: one iterator a request (a Query of an index reads no other).
    expect(closed).toBeGreaterThanOrEqual(60);
  });
});
