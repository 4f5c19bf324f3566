import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Share } from '../../core/model.ts';
import type { ShareStore } from '../../core/ports.ts';
import {
  compareForList, inScope, matchesFilter, shareListEntry, type ShareListEntry, type ShareListQuery,
} from '../../core/shares/share-list.ts';
import { batchGetById } from './batch-get.ts';
import { FirstEntries } from './first-entries.ts';
import { IndexCursor, mergedEntries } from './index-cursor.ts';
import {
  ENTRIES_SORT_FIELD, HAS_SNAPSHOTS, ListAttribute, SHARE_ATTRIBUTES, Visibility, WITH_SNAPSHOTS_INDEX, holdsWholeShares, isIndexedSortField,
  listIndexName, scopePartitionAttribute, sortAttribute, sortKeyPrefix, withoutListAttributes, type IndexedSortField,
} from './share-list-indexes.ts';
import { SHARE_ITEM_CODEC } from './share-records.ts';
import { filterConditions, notOfProject, partitionQuery, partitionsOf } from './share-list-queries.ts';
import { VersionedTable } from './versioned-table.ts';

/**
 * The shares: records written with the attributes their list indexes read (share-list-indexes.ts), lists
 * read by Query on those indexes. A page reads about `offset + limit` shares per partition of its scope
 * from the index of its order, which holds whole shares (the status order: entries, then the page's
 * shares by BatchGetItem); an order with no index of its own (host, user_id, ...) reads the scope's list
 * entries from the status index, keeps the first of them, and reads the page's shares by BatchGetItem;
 * with_count counts the scope's entries (Select COUNT).
 */
export class ShareTable extends VersionedTable<Share> implements ShareStore {
  constructor(client: DynamoDBDocumentClient, tableName: string) {
    super(client, tableName, (id) => ({ shareId: id }), SHARE_ITEM_CODEC);
  }

  async listPage(query: ShareListQuery, after: Share | null): Promise<Share[]> {
    if (query.limit === 0) return [];
    const field = query.sort.field;
    if (!isIndexedSortField(field)) return this.sharesInOrder(await this.sortedIds(query, after), query);
    const page = await this.indexedPage(query, field, after);
    return holdsWholeShares(field) ? page.map(withoutListAttributes) : this.sharesInOrder(page.map((entry) => String(entry['id'])), query);
  }

  async countList(query: Pick<ShareListQuery, 'scope' | 'filter'>): Promise<number> {
    const conditions = filterConditions(query.filter);
    const { scope } = query;
    const counts = await Promise.all(partitionsOf(scope).map(async (partition) => {
      // A tenant's own public shares are in its project and in `public`: count them once.
      const own = scope.kind === 'project' && partition.scope === 'visibility' ? [notOfProject(scope.projectId)] : [];
      const input = partitionQuery(this.tableName, partition, { field: ENTRIES_SORT_FIELD, ascending: true, conditions: [...conditions, ...own], count: true });
      let count = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
        count += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start);
      return count;
    }));
    return counts.reduce((sum, n) => sum + n, 0);
  }

  async listWithSnapshots(): Promise<Share[]> {
    const cursor = new IndexCursor(this.client, {
      TableName: this.tableName,
      IndexName: WITH_SNAPSHOTS_INDEX,
      KeyConditionExpression: '#snapshots = :has',
      ExpressionAttributeNames: { '#snapshots': ListAttribute.SNAPSHOTS },
      ExpressionAttributeValues: { ':has': HAS_SNAPSHOTS },
    }, 1000);
    const ids = (await cursor.drain()).map((item) => String(item['id']));
    const items = await batchGetById(this.client, this.tableName, ids);
    return ids.flatMap((id) => {
      const item = items.get(id);
      const share = item ? withoutListAttributes(item) : undefined;
      return share && (share.snapshots?.length ?? 0) > 0 ? [share] : [];
    });
  }

  async listByStatus(status: string): Promise<Share[]> {
    // Both visibility partitions of the status index, each read over the range of this one status.
    const field = ENTRIES_SORT_FIELD;
    const partitions = [Visibility.PUBLIC, Visibility.PRIVATE];
    const ids = (await Promise.all(partitions.map((partition) => new IndexCursor(this.client, {
      TableName: this.tableName,
      IndexName: listIndexName('visibility', field),
      KeyConditionExpression: '#partition = :partition AND begins_with(#sort, :status)',
      ExpressionAttributeNames: { '#partition': scopePartitionAttribute('visibility'), '#sort': sortAttribute(field), '#id': 'id' },
      ExpressionAttributeValues: { ':partition': partition, ':status': sortKeyPrefix(status) },
      ProjectionExpression: '#id',
    }, 1000).drain()))).flat().map((item) => String(item['id']));
    const items = await batchGetById(this.client, this.tableName, ids);
    // The index lags its table on AWS: a share that left the status meanwhile is left out.
    return ids.flatMap((id) => {
      const item = items.get(id);
      const share = item ? withoutListAttributes(item) : undefined;
      return share && share.status === status ? [share] : [];
    });
  }

  /**
   * The page from the index of its order (whole shares, or the entries of the status indexes): each
   * partition read from `after` on, merged.
   */
  private async indexedPage(query: ShareListQuery, field: IndexedSortField, after: Share | null): Promise<Record<string, unknown>[]> {
    const ascending = query.sort.dir === 'asc';
    const conditions = filterConditions(query.filter);
    const attributes = holdsWholeShares(field) ? [...SHARE_ATTRIBUTES, sortAttribute(field)] : ['id', sortAttribute(field)];
    const cursors = partitionsOf(query.scope).map((partition) => new IndexCursor(
      this.client,
      partitionQuery(this.tableName, partition, { field, ascending, conditions, after, attributes }),
      query.offset + query.limit,
    ));
    return mergedEntries(cursors, sortAttribute(field), ascending, query.offset, query.limit);
  }

  /**
   * The page's ids for an order no index has: every list entry of the scope read from the status index
   * (entries only), the first `offset + limit` after `after` kept as they pass (FirstEntries).
   */
  private async sortedIds(query: ShareListQuery, after: Share | null): Promise<string[]> {
    const conditions = filterConditions(query.filter);
    const start = after ? shareListEntry(after) : null;
    const first = new FirstEntries(query.sort, query.offset + query.limit);
    await Promise.all(partitionsOf(query.scope).map(async (partition) => {
      const input = partitionQuery(this.tableName, partition, { field: ENTRIES_SORT_FIELD, ascending: true, conditions, attributes: ['id', ListAttribute.ENTRY] });
      const cursor = new IndexCursor(this.client, input, 1000);
      for (let item = await cursor.peek(); item !== undefined; item = await cursor.peek()) {
        cursor.take();
        const entry = item[ListAttribute.ENTRY] as ShareListEntry;
        if (start === null || compareForList(entry, start, query.sort) > 0) first.offer(entry);
      }
    }));
    return first.inOrder().slice(query.offset).map((entry) => entry.id);
  }

  /**
   * The shares, in the order of `ids`, read by BatchGetItem. An index lags its table on AWS (eventually
   * consistent): a share deleted meanwhile, or that no longer matches the query, is left out.
   */
  private async sharesInOrder(ids: readonly string[], query: ShareListQuery): Promise<Share[]> {
    const items = await batchGetById(this.client, this.tableName, ids);
    return ids.flatMap((id) => {
      const item = items.get(id);
      if (!item) return [];
      const share = withoutListAttributes(item);
      const entry = shareListEntry(share);
      return inScope(entry, query.scope) && matchesFilter(entry, query.filter) ? [share] : [];
    });
  }
}

/** The share store with its lists: the API's, and the local runtime's. */
export function createShareTable(client: DynamoDBDocumentClient, tableName: string): ShareStore {
  return new ShareTable(client, tableName);
}
