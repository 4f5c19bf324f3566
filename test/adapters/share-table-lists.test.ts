import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynalite, type DynaliteHandle } from '../../local/dynalite-server.ts';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/document-client.ts';
import { ShareTable } from '../../lambdas/adapters/dynamodb/share-table.ts';
import { createShareRecords } from '../../lambdas/adapters/dynamodb/share-records.ts';
import type { Share, ShareSnapshot } from '../../lambdas/core/model.ts';
import {
  SHARE_SORT_KEYS, ShareSortField, countInMemory, pageInMemory, type ShareListQuery, type ShareListScope, type ShareSortField as Field,
} from '../../lambdas/core/shares/share-list.ts';
import type { ShareFilter } from '../../lambdas/core/services.ts';

/** A deterministic generator, so a failure names a data set that can be run again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const PROJECTS = ['p-one', 'p-two', 'p-three'];
const HOSTS = ['local@alpha#default', 'local@beta#default', 'local@beta#fast'];
const STATUSES = ['available', 'error', 'migrating', 'deleting'] as const;
/** Names that test the order's edges: a prefix of another, code points either side of the key separator, beyond the BMP, none. */
const NAMES = [null, '', 'a', 'a\u0000', 'a\u0000b', 'a\u0001', 'a\u0001b', 'ab', 'a b', 'B', 'z', '\u00e9t\u00e9', '\uffee', '\u{1f600}', 'a'.repeat(300)];

function share(id: string, rnd: () => number, overrides: Partial<Share> = {}): Share {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rnd() * values.length)]!;
  // Few distinct timestamps and sizes, so that ties (ordered by id) are common.
  const created = `2026-01-0${1 + Math.floor(rnd() * 3)}T00:00:00.000Z`;
  const instance = {
    id: `${id}-i`, share_id: id, host: pick(HOSTS), status: 'available' as const, share_type_id: 't', created_at: created,
    export_locations: rnd() < 0.8 ? [{ id: `${id}-e`, path: `/exports/${pick(['x', 'y'])}/${id}`, preferred: true, is_admin_only: false }] : [],
  };
  return {
    id, name: pick(NAMES), description: null, size: pick([1, 2, 10, 100, 1000]), share_proto: pick(['NFS', 'CIFS'] as const),
    share_type_id: pick(['t-gold', 't-silver']), project_id: pick(PROJECTS), user_id: pick(['u1', 'u2']), status: pick(STATUSES),
    task_state: null, is_public: rnd() < 0.25, metadata: {}, availability_zone: pick([null, 'az1', 'az2']), share_network_id: pick([null, 'n1']),
    active_instance_id: instance.id, instances: [instance], access_rules: [], migration_id: null, created_at: created,
    updated_at: `2026-02-0${1 + Math.floor(rnd() * 5)}T00:00:00.000Z`, version: 1, ...overrides,
  };
}

function snapshot(shareId: string, id: string): ShareSnapshot {
  return {
    id, share_id: shareId, name: null, description: null, size: 1, status: 'available', project_id: 'p-one', user_id: 'u1',
    created_at: '2026-01-01T00:00:00.000Z', updated_at: null, instances: [],
  };
}

/** Every Query the client sends, with the index entries DynamoDB read for it (ScannedCount). */
function recordQueries(client: DynamoDBDocumentClient): { command: string; index?: string; scanned: number }[] {
  const calls: { command: string; index?: string; scanned: number }[] = [];
  client.middlewareStack.add((next, context) => async (args) => {
    const result = await next(args);
    const input = args.input as { IndexName?: string };
    const output = result.output as { ScannedCount?: number };
    calls.push({ command: String(context.commandName), ...(input.IndexName ? { index: input.IndexName } : {}), scanned: output.ScannedCount ?? 0 });
    return result;
  }, { step: 'initialize', name: 'recordQueries' });
  return calls;
}

const FIELDS = [...new Set(SHARE_SORT_KEYS.values())];
const SCOPES: readonly ShareListScope[] = [
  { kind: 'all' },
  { kind: 'project', projectId: 'p-one', withPublic: false },
  { kind: 'project', projectId: 'p-two', withPublic: true },
];
const FILTERS: readonly ShareFilter[] = [{}, { status: 'available' }, { name: 'a' }, { host: 'local@beta#default', share_type_id: 't-gold' }, { name: '' }];

describe('Class: ShareTable', () => {
  let dynalite: DynaliteHandle;
  let client: DynamoDBDocumentClient;
  let table: ShareTable;
  const shares: Share[] = [];

  beforeAll(async () => {
    dynalite = await startDynalite();
    client = createDocumentClient(dynalite.clientConfig);
    table = new ShareTable(client, dynalite.tableNames.shares);
    const rnd = random(16);
    for (let i = 0; i < 150; i++) shares.push(share(`s-${String(i).padStart(3, '0')}-${Math.floor(rnd() * 1e6).toString(36)}`, rnd));
    for (const s of shares) await table.create(s);
  }, 120_000);

  afterAll(async () => {
    client?.destroy();
    await dynalite?.close();
  });

  describe('Method: listPage', () => {
    it.each(FIELDS.flatMap((field) => (['asc', 'desc'] as const).map((dir) => [field, dir] as const)))(
      'orders by %s %s in every scope as the list defines it, filtered, with offset and limit',
      async (field: Field, dir) => {
        for (const scope of SCOPES) {
          for (const filter of FILTERS) {
            for (const [offset, limit] of [[0, 1000], [3, 7]] as const) {
              // Prepare
              const query: ShareListQuery = { scope, filter, sort: { field, dir }, offset, limit };

              // Act
              const page = await table.listPage(query, null);

              // Assess
              expect(page.map((s) => s.id), JSON.stringify({ scope, filter, offset, limit })).toEqual(pageInMemory(shares, query, null).map((s) => s.id));
            }
          }
        }
      },
    );

    it.each([ShareSortField.NAME, ShareSortField.CREATED_AT, ShareSortField.HOST])('walks every share exactly once page by page with markers (sort by %s)', async (field) => {
      for (const scope of SCOPES) {
        // Prepare
        const query: ShareListQuery = { scope, filter: {}, sort: { field, dir: 'asc' }, offset: 0, limit: 9 };
        const walked: string[] = [];
        let after: Share | null = null;

        // Act
        for (;;) {
          const page = await table.listPage(query, after);
          walked.push(...page.map((s) => s.id));
          if (page.length < query.limit) break;
          after = page[page.length - 1]!;
        }

        // Assess
        expect(walked).toEqual(pageInMemory(shares, { ...query, limit: 1000 }, null).map((s) => s.id));
      }
    });

    it('reads a page of shares per partition from the index of its order, whatever the marker\'s depth, and nothing else', async () => {
      // Prepare
      const recording = createDocumentClient(dynalite.clientConfig);
      const calls = recordQueries(recording);
      const counted = new ShareTable(recording, dynalite.tableNames.shares);
      const query: ShareListQuery = { scope: { kind: 'all' }, filter: {}, sort: { field: ShareSortField.CREATED_AT, dir: 'desc' }, offset: 0, limit: 10 };
      const deep = pageInMemory(shares, { ...query, limit: 100 }, null)[99]!;

      // Act
      const first = await counted.listPage(query, null);
      const firstCalls = calls.splice(0);
      const later = await counted.listPage(query, deep);
      const laterCalls = calls.splice(0);
      recording.destroy();

      // Assess
      expect(first).toHaveLength(10);
      expect(later.map((s) => s.id)).toEqual(pageInMemory(shares, query, deep).map((s) => s.id));
      for (const recorded of [firstCalls, laterCalls]) {
        // Two partitions (public, private) of the created_at index, each read for at most the page.
        expect(recorded).toEqual([
          { command: 'QueryCommand', index: 'by-visibility-created_at', scanned: expect.any(Number) },
          { command: 'QueryCommand', index: 'by-visibility-created_at', scanned: expect.any(Number) },
        ]);
        expect(recorded.every((c) => c.scanned <= 10)).toBe(true);
      }
    });

    it('answers an empty page for limit 0 without reading', async () => {
      const page = await table.listPage({ scope: { kind: 'all' }, filter: {}, sort: { field: ShareSortField.SIZE, dir: 'asc' }, offset: 0, limit: 0 }, null);

      expect(page).toEqual([]);
    });
  });

  describe('Method: countList', () => {
    it('counts what the list holds on all pages, a tenant\'s own public shares once', async () => {
      for (const scope of SCOPES) {
        for (const filter of FILTERS) {
          expect(await table.countList({ scope, filter }), JSON.stringify({ scope, filter })).toBe(countInMemory(shares, { scope, filter }));
        }
      }
    });
  });

  describe('Method: listWithSnapshots', () => {
    it('lists only the shares that have snapshots, and forgets one whose last snapshot went', async () => {
      // Prepare
      const records = createShareRecords(client, dynalite.tableNames.shares);
      const [first, second] = [shares[0]!, shares[1]!];
      await records.replace({ ...first, snapshots: [snapshot(first.id, 'snap-1')], version: 2 });
      await records.replace({ ...second, snapshots: [snapshot(second.id, 'snap-2')], version: 2 });
      await records.replace({ ...second, snapshots: [], version: 3 });

      // Act
      const withSnapshots = await table.listWithSnapshots();

      // Assess
      expect(withSnapshots.map((s) => s.id)).toEqual([first.id]);
      await records.replace({ ...first, version: 3 });
      shares[0] = { ...first, version: 3 };
      shares[1] = { ...second, snapshots: [], version: 3 };
    });
  });

  describe('Method: listByStatus', () => {
    it('lists every project\'s shares in exactly one status, from a range of the status index, not a scan', async () => {
      // Prepare: a status that begins with another ('error' and 'error_deleting') must not leak into it
      const extra = { ...share('s-zzz-error-deleting', random(7)), status: 'error_deleting' as Share['status'] };
      await table.create(extra);
      const queried = createDocumentClient(dynalite.clientConfig);
      const calls = recordQueries(queried);
      const reader = new ShareTable(queried, dynalite.tableNames.shares);

      try {
        for (const status of [...STATUSES, 'error_deleting', 'no-such-status']) {
          // Act
          const listed = await reader.listByStatus(status);

          // Assess
          const expected = [...shares, extra].filter((s) => s.status === status).map((s) => s.id).sort();
          expect(listed.map((s) => s.id).sort(), status).toEqual(expected);
          expect(listed.every((s) => !('list_entry' in s))).toBe(true);
        }
        expect([...new Set(calls.map((c) => c.command))].sort()).toEqual(['BatchGetItemCommand', 'QueryCommand']);
        // Each Query read only the entries of its status, not the partition.
        const largest = Math.max(...STATUSES.map((status) => shares.filter((s) => s.status === status).length));
        expect(Math.max(...calls.filter((c) => c.command === 'QueryCommand').map((c) => c.scanned))).toBeLessThanOrEqual(largest);
      } finally {
        queried.destroy();
        await table.delete(extra.id, extra.version);
      }
    });
  });

  describe('Method: get', () => {
    it('reads back the share as written, without the attributes its indexes read', async () => {
      // Prepare
      const written = share('round-trip', random(1), { name: 'kept', is_public: true });
      await table.create(written);

      // Act
      const read = await table.get('round-trip');
      const stored = (await client.send(new GetCommand({ TableName: dynalite.tableNames.shares, Key: { id: 'round-trip' } }))).Item!;
      await table.delete('round-trip', 1);

      // Assess
      expect(read).toEqual(written);
      expect(Object.keys(stored).filter((key) => key.startsWith('list_')).sort()).toEqual([
        'list_by_created_at', 'list_by_name', 'list_by_size', 'list_by_status', 'list_by_updated_at', 'list_entry', 'list_visibility',
      ]);
    });
  });
});
