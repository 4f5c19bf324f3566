import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dynalite from 'dynalite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startDynalite } from '../../local/dynalite-server.ts';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/document-client.ts';
import { ShareTable } from '../../lambdas/adapters/dynamodb/share-table.ts';
import type { Share } from '../../lambdas/core/model.ts';
import { ShareSortField, type ShareListQuery } from '../../lambdas/core/shares/share-list.ts';

function share(id: string, name: string, createdAt: string): Share {
  return {
    id, name, description: null, size: 1, share_proto: 'NFS', share_type_id: 't', project_id: 'p', user_id: 'u', status: 'available',
    task_state: null, is_public: false, metadata: { kept: 'yes' }, availability_zone: null, share_network_id: null, active_instance_id: 'i',
    instances: [{ id: 'i', share_id: id, host: 'local@alpha#default', status: 'available', share_type_id: 't', export_locations: [], created_at: createdAt }],
    access_rules: [], migration_id: null, created_at: createdAt, updated_at: createdAt, version: 3,
  };
}

const OLD_SHARES = [share('s-1', 'first', '2026-01-01T00:00:00.000Z'), share('s-2', 'second', '2026-01-02T00:00:00.000Z'), share('s-3', 'third', '2026-01-03T00:00:00.000Z')];
const BY_NAME: ShareListQuery = { scope: { kind: 'project', projectId: 'p', withPublic: false }, filter: {}, sort: { field: ShareSortField.NAME, dir: 'asc' }, offset: 0, limit: 10 };

/** The store as the version before the list indexes left it: a shares table with no index, its items plain shares. */
async function storeOfAnEarlierVersion(store: string, shares: readonly Share[]): Promise<void> {
  const server = dynalite({ path: store, createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(new CreateTableCommand({
    TableName: 'shares', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const documents = DynamoDBDocumentClient.from(client);
  for (const item of shares) await documents.send(new PutCommand({ TableName: 'shares', Item: item }));
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('Function: startDynalite, on a store an earlier version left', () => {
  let folder: string;
  let store: string;
  beforeEach(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'smig-rebuild-'));
    store = path.join(folder, 'dynamodb');
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('rebuilds a shares table that has no list indexes, keeping every share, and lists them', async () => {
    // Prepare
    await storeOfAnEarlierVersion(store, OLD_SHARES);

    // Act
    const handle = await startDynalite({ path: store });
    const client = createDocumentClient(handle.clientConfig);
    const shares = new ShareTable(client, handle.tableNames.shares);
    const listed = await shares.listPage(BY_NAME, null);
    const read = await shares.get('s-2');
    client.destroy();
    await handle.close();

    // Assess
    expect(listed.map((s) => s.name)).toEqual(['first', 'second', 'third']);
    expect(read).toEqual(OLD_SHARES[1]);
    expect(existsSync(path.join(folder, 'dynamodb.shares.rebuild.jsonl'))).toBe(false);
  });

  it('finishes a rebuild a killed run left after saving the items, from the saved items', async () => {
    // Prepare: killed after the table was dropped; only the saved file holds the shares.
    await storeOfAnEarlierVersion(store, []);
    await writeFile(path.join(folder, 'dynamodb.shares.rebuild.jsonl'), OLD_SHARES.map((s) => `${JSON.stringify(s)}\n`).join(''));

    // Act
    const handle = await startDynalite({ path: store });
    const client = createDocumentClient(handle.clientConfig);
    const listed = await new ShareTable(client, handle.tableNames.shares).listPage(BY_NAME, null);
    client.destroy();
    await handle.close();

    // Assess
    expect(listed).toEqual(OLD_SHARES);
    expect(existsSync(path.join(folder, 'dynamodb.shares.rebuild.jsonl'))).toBe(false);
  });

  it('leaves a table that has its schema\'s indexes as it is', async () => {
    // Prepare
    const first = await startDynalite({ path: store });
    const client = createDocumentClient(first.clientConfig);
    await new ShareTable(client, first.tableNames.shares).create(OLD_SHARES[0]!);
    client.destroy();
    await first.close();

    // Act
    const second = await startDynalite({ path: store });
    const again = createDocumentClient(second.clientConfig);
    const listed = await new ShareTable(again, second.tableNames.shares).listPage(BY_NAME, null);
    again.destroy();
    await second.close();

    // Assess
    expect(listed).toEqual([OLD_SHARES[0]]);
  });
});
