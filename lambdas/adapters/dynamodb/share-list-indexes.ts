import type { Share } from '../../core/model.ts';
import { ShareSortField, listSortValue, shareListEntry, type ShareListEntry } from '../../core/shares/share-list.ts';
import type { IndexSchema } from './table-schema.ts';

/**
 * The shares table's list indexes: what each share item carries besides the share so that the share list
 * (core/shares/share-list.ts) is served by Query on global secondary indexes, a page costing about its own
 * size rather than the table's.
 *
 * - Scopes. A project's shares are the partition `project_id` of the `by-project-*` indexes. Every share
 *   is also in one of two partitions of the `by-visibility-*` indexes, `public` or `private`
 *   (`list_visibility`): an admin's all_tenants list merges the two, a tenant's is_public=true list merges
 *   its project with `public` (its own public shares are in both and come once). Two partitions, not
 *   one per share, so that each stays a range read.
 * - Orders. Each indexed sort field has one attribute, `list_by_<field>`, the sort key of its two
 *   indexes: the field's sort value (listSortValue), then the share id, so that the index order is
 *   Manila's (field, then id) and a marker resolves to an exact position. The other sort fields (host,
 *   share_proto, user_id, ...) are served from the `created_at` indexes' entries, sorted in memory: a cost
 *   that grows with the scope, the price of staying under DynamoDB's 20 indexes per table.
 * - Whole shares. The list indexes keep every attribute (projection ALL), so a page is one Query per
 *   partition and nothing else: no read of the table per share. The price is paid on writes (a share
 *   write also writes it into the indexes; shares change a few dozen times per migration) and in
 *   freshness: on AWS an index lags its table (eventually consistent, typically well under a second), so
 *   a list may show a share as it was a moment ago; a share read by id is always current. The status
 *   indexes are the exception (ENTRIES_SORT_FIELD): they keep only the list entries, for the reads that
 *   go through a whole scope.
 * - Filters. Each share also carries `list_entry` (ShareListEntry: the filtered and sorted attributes,
 *   flat; the host is its active instance's), so a filter is a FilterExpression on the index, and an
 *   order no index serves reads only those entries.
 * - Snapshots. `list_snapshots` is set only on shares that have snapshots: the sparse `with-snapshots`
 *   index lists them without reading the others.
 *
 * The attributes are derived on every write (withListAttributes) and dropped on every read, so the domain
 * never sees them. Keys stay strings: DynamoDB compares them as UTF-8 bytes, which is the order
 * compareCodePoints defines for the in-memory list.
 */

/** The sort fields with an index of their own, in each scope. */
export const INDEXED_SORT_FIELDS = [
  ShareSortField.CREATED_AT,
  ShareSortField.UPDATED_AT,
  ShareSortField.NAME,
  ShareSortField.SIZE,
  ShareSortField.STATUS,
] as const;
export type IndexedSortField = (typeof INDEXED_SORT_FIELDS)[number];

export function isIndexedSortField(field: ShareSortField): field is IndexedSortField {
  return (INDEXED_SORT_FIELDS as readonly ShareSortField[]).includes(field);
}

/**
 * The field whose indexes keep only the list entries (projection INCLUDE list_entry), not whole shares:
 * a page in its order reads its shares by BatchGetItem, and the reads that go through a whole scope (the
 * orders no index serves, the counts) read these small entries rather than whole shares, a quarter of
 * the bytes.
 */
export const ENTRIES_SORT_FIELD: IndexedSortField = ShareSortField.STATUS;

/** Whether the field's indexes hold whole shares (else only their list entries). */
export function holdsWholeShares(field: IndexedSortField): boolean {
  return field !== ENTRIES_SORT_FIELD;
}

export const ListAttribute = {
  /** `public` or `private`: the partition of the by-visibility indexes. */
  VISIBILITY: 'list_visibility',
  ENTRY: 'list_entry',
  /** Present (`share`) only when the share has snapshots. */
  SNAPSHOTS: 'list_snapshots',
} as const;

export const Visibility = { PUBLIC: 'public', PRIVATE: 'private' } as const;
export type Visibility = (typeof Visibility)[keyof typeof Visibility];

export const WITH_SNAPSHOTS_INDEX = 'with-snapshots';
/** The value of `list_snapshots`, the partition of the with-snapshots index. */
export const HAS_SNAPSHOTS = 'share';

export type ListScopeKind = 'project' | 'visibility';

export function sortAttribute(field: IndexedSortField): string {
  return `list_by_${field}`;
}

export function listIndexName(scope: ListScopeKind, field: IndexedSortField): string {
  return `by-${scope}-${field}`;
}

/** The partition key of a scope's indexes: the share's own project_id, or the derived visibility. */
export function scopePartitionAttribute(scope: ListScopeKind): string {
  return scope === 'project' ? 'project_id' : ListAttribute.VISIBILITY;
}

/** The shares table's global secondary indexes (table-schema.ts SHARES_TABLE). */
export const SHARE_LIST_INDEXES: readonly IndexSchema[] = [
  ...(['project', 'visibility'] as const).flatMap((scope) =>
    INDEXED_SORT_FIELDS.map((field): IndexSchema => ({
      name: listIndexName(scope, field),
      partitionKey: scopePartitionAttribute(scope),
      sortKey: sortAttribute(field),
      projection: holdsWholeShares(field) ? 'ALL' : { include: [ListAttribute.ENTRY] },
    })),
  ),
  { name: WITH_SNAPSHOTS_INDEX, partitionKey: ListAttribute.SNAPSHOTS, sortKey: 'id', projection: 'KEYS_ONLY' },
];

/** Sorts before every character a sort value can hold, once escaped. */
const KEY_SEPARATOR = '\u0001\u0001';
/** DynamoDB's limit on a sort key's bytes. */
const MAX_SORT_KEY_BYTES = 1024;

/**
 * An index sort key: the value, then the id. The value's characters U+0000 and U+0001 become two
 * characters each (U+0001 U+0002, U+0001 U+0003), so that the separator U+0001 U+0001 sorts before any
 * character the value continues with and a value that is a prefix of another sorts first, as it does
 * alone. A value too long for DynamoDB's 1,024-byte sort keys is cut (shares whose values agree on the
 * first ~990 bytes are then ordered by id).
 */
export function indexSortKey(entry: ShareListEntry, field: IndexedSortField): string {
  const escaped = escapeSortValue(listSortValue(entry, field));
  const budget = MAX_SORT_KEY_BYTES - Buffer.byteLength(KEY_SEPARATOR) - Buffer.byteLength(entry.id);
  return truncateUtf8(escaped, Math.max(0, budget)) + KEY_SEPARATOR + entry.id;
}

/**
 * The start of every sort key whose value is `value` exactly (not only begins with it): for a range read
 * of one value, e.g. one status. Only for values short enough never to be cut (indexSortKey).
 */
export function sortKeyPrefix(value: string): string {
  return escapeSortValue(value) + KEY_SEPARATOR;
}

function escapeSortValue(value: string): string {
  return value.replace(/[\u0000\u0001]/g, (c) => (c === '\u0000' ? '\u0001\u0002' : '\u0001\u0003'));
}

/** At most `maxBytes` of UTF-8, cut between characters. */
function truncateUtf8(value: string, maxBytes: number): string {
  if (Buffer.byteLength(value) <= maxBytes) return value;
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return value.slice(0, end);
}

export function visibilityOf(entry: Pick<ShareListEntry, 'is_public'>): Visibility {
  return entry.is_public ? Visibility.PUBLIC : Visibility.PRIVATE;
}

/** The item a share is stored as: the share and its list attributes. */
export function withListAttributes(share: Share): Record<string, unknown> {
  const entry = shareListEntry(share);
  const item: Record<string, unknown> = { ...share };
  item[ListAttribute.VISIBILITY] = visibilityOf(entry);
  item[ListAttribute.ENTRY] = entry;
  for (const field of INDEXED_SORT_FIELDS) item[sortAttribute(field)] = indexSortKey(entry, field);
  if ((share.snapshots?.length ?? 0) > 0) item[ListAttribute.SNAPSHOTS] = HAS_SNAPSHOTS;
  else delete item[ListAttribute.SNAPSHOTS];
  return item;
}

/**
 * Every attribute of a Share: what a list reads back of the whole shares its indexes hold, leaving the
 * list attributes out (they are a third of an item). The compiler keeps it whole: a Share attribute
 * missing here fails the type check below.
 */
export const SHARE_ATTRIBUTES = [
  'id', 'name', 'description', 'size', 'share_proto', 'share_type_id', 'project_id', 'user_id', 'status', 'task_state', 'is_public',
  'metadata', 'availability_zone', 'share_network_id', 'snapshot_id', 'active_instance_id', 'instances', 'access_rules', 'migration_id', 'snapshots',
  'purges', 'created_at', 'updated_at', 'version',
] as const satisfies readonly (keyof Share)[];
const everyShareAttribute: Exclude<keyof Share, (typeof SHARE_ATTRIBUTES)[number]> extends never ? true : never = true;
void everyShareAttribute;

const DERIVED = new Set<string>([...Object.values(ListAttribute), ...INDEXED_SORT_FIELDS.map(sortAttribute)]);

/** The share a stored item holds, without its list attributes. */
export function withoutListAttributes(item: Record<string, unknown>): Share {
  const share: Record<string, unknown> = {};
  // for...in, not Object.entries: no array of pairs per item (a 1,000-share page strips 1,000 items).
  for (const key in item) if (!DERIVED.has(key)) share[key] = item[key];
  return share as unknown as Share;
}

