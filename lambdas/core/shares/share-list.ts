import type { Share } from '../model.ts';
import type { ShareFilter } from '../services.ts';

/**
 * The share list as Manila serves it (ShareMixin._get_shares): who sees which shares, the filters, the
 * order (a sort key, then the id, as Manila's apply_sorting adds), and the page. The stores serve it from
 * indexes; `pageInMemory` is the same list over shares in hand, the definition the indexes must match.
 */

/** The share attributes a list can be ordered by. */
export const ShareSortField = {
  ID: 'id',
  STATUS: 'status',
  SIZE: 'size',
  HOST: 'host',
  SHARE_PROTO: 'share_proto',
  EXPORT_LOCATION: 'export_location',
  AVAILABILITY_ZONE: 'availability_zone',
  USER_ID: 'user_id',
  PROJECT_ID: 'project_id',
  CREATED_AT: 'created_at',
  UPDATED_AT: 'updated_at',
  NAME: 'name',
  SHARE_TYPE_ID: 'share_type_id',
  SHARE_NETWORK_ID: 'share_network_id',
  SNAPSHOT_ID: 'snapshot_id',
} as const;
export type ShareSortField = (typeof ShareSortField)[keyof typeof ShareSortField];

/**
 * Manila's share sort keys (api-ref `sort_key`), each to the attribute it orders by: its aliases
 * (display_name, share_type, share_network, snapshot) name the same attribute. Anything else is a 400;
 * a Map, so that no name inherited from Object.prototype is a key.
 */
export const SHARE_SORT_KEYS: ReadonlyMap<string, ShareSortField> = new Map<string, ShareSortField>([
  ...Object.values(ShareSortField).map((field) => [field, field] as const),
  ['display_name', ShareSortField.NAME],
  ['share_type', ShareSortField.SHARE_TYPE_ID],
  ['share_network', ShareSortField.SHARE_NETWORK_ID],
  ['snapshot', ShareSortField.SNAPSHOT_ID],
]);

export type SortDirection = 'asc' | 'desc';

/** Whose shares a list holds. */
export type ShareListScope =
  /** A project's shares; with `withPublic`, also every project's public shares (`is_public=true`). */
  | { readonly kind: 'project'; readonly projectId: string; readonly withPublic: boolean }
  /** Every project's shares (an admin's `all_tenants`). */
  | { readonly kind: 'all' };

export interface ShareListQuery {
  readonly scope: ShareListScope;
  readonly filter: ShareFilter;
  readonly sort: { readonly field: ShareSortField; readonly dir: SortDirection };
  /** Items skipped after the start (after the marker when there is one). */
  readonly offset: number;
  /** At most this many items. */
  readonly limit: number;
}

/** What a list request asks of ShareService.list: the query, Manila's marker, and whether to count. */
export interface ShareListRequest extends ShareListQuery {
  /** The id of the last share of the previous page: this page starts after it. */
  readonly marker?: string;
  /** Also count every share the query matches (Manila's with_count). */
  readonly withCount?: boolean;
}

export interface SharePage {
  readonly shares: Share[];
  /** With withCount: how many shares the query matches on all pages. */
  readonly count?: number;
}

/**
 * The attributes of a share that lists filter and sort on, flat: what a list index keeps of each share
 * besides its keys, so that filtering and ordering need no read of the share itself.
 */
export interface ShareListEntry {
  readonly id: string;
  readonly name: string | null;
  readonly status: string;
  readonly size: number;
  readonly host: string | null;
  readonly share_proto: string;
  readonly export_location: string | null;
  readonly availability_zone: string | null;
  readonly user_id: string;
  readonly project_id: string;
  readonly share_type_id: string;
  readonly share_network_id: string | null;
  /** The snapshot it was created from; absent on entries written before shares could be. */
  readonly snapshot_id?: string | null;
  readonly is_public: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

export function shareListEntry(share: Share): ShareListEntry {
  const instance = share.instances.find((i) => i.id === share.active_instance_id) ?? share.instances[0];
  return {
    id: share.id,
    name: share.name,
    status: share.status,
    size: share.size,
    host: instance?.host ?? null,
    share_proto: share.share_proto,
    // The path users mount: the first one a tenant also sees.
    export_location: instance?.export_locations.find((l) => !l.is_admin_only)?.path ?? null,
    availability_zone: share.availability_zone,
    user_id: share.user_id,
    project_id: share.project_id,
    share_type_id: share.share_type_id,
    share_network_id: share.share_network_id,
    snapshot_id: share.snapshot_id ?? null,
    is_public: share.is_public,
    created_at: share.created_at,
    updated_at: share.updated_at,
  };
}

/** Widest size a GiB count takes in a sort value: DynamoDB numbers reach 38 digits; Manila's sizes fit 10. */
const SIZE_DIGITS = 20;

/**
 * The entry's value for `field` as a string whose order (UTF-8 bytes, which is Unicode code point order)
 * is the list's order for that field: sizes zero-padded, timestamps as their ISO-8601 text, an absent
 * value as the empty string, so it comes first ascending (a share created empty has no snapshot_id).
 */
export function listSortValue(entry: ShareListEntry, field: ShareSortField): string {
  switch (field) {
    case ShareSortField.SIZE:
      return String(Math.max(0, Math.trunc(entry.size))).padStart(SIZE_DIGITS, '0');
    case ShareSortField.SNAPSHOT_ID:
      return entry.snapshot_id ?? '';
    default:
      return entry[field] ?? '';
  }
}

/** Whether a share is in the query's scope: the caller may list it. */
export function inScope(entry: Pick<ShareListEntry, 'project_id' | 'is_public'>, scope: ShareListScope): boolean {
  if (scope.kind === 'all') return true;
  return entry.project_id === scope.projectId || (scope.withPublic && entry.is_public);
}

/** Manila's exact-match filters (an empty name filters nothing, as `if display_name:` there). */
export function matchesFilter(entry: ShareListEntry, filter: ShareFilter): boolean {
  return (
    (filter.name === undefined || filter.name === '' || entry.name === filter.name) &&
    (filter.status === undefined || entry.status === filter.status) &&
    (filter.share_type_id === undefined || entry.share_type_id === filter.share_type_id) &&
    (filter.host === undefined || entry.host === filter.host)
  );
}

/** The list's order: by the field's value, then by id; `desc` reverses both. */
export function compareForList(a: ShareListEntry, b: ShareListEntry, sort: ShareListQuery['sort']): number {
  const byValue = compareCodePoints(listSortValue(a, sort.field), listSortValue(b, sort.field));
  const order = byValue !== 0 ? byValue : compareCodePoints(a.id, b.id);
  return sort.dir === 'asc' ? order : -order;
}

/** Strings in Unicode code point order, which is UTF-8 byte order: DynamoDB's order for string keys. */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The page of `query` over shares in hand, after the `after` share's position (the resolved marker):
 * what the stores' indexed lists must answer, and the list of the in-memory stores.
 */
export function pageInMemory(shares: readonly Share[], query: ShareListQuery, after: Share | null): Share[] {
  const start = after ? shareListEntry(after) : null;
  return shares
    .map((share) => ({ share, entry: shareListEntry(share) }))
    .filter(({ entry }) => inScope(entry, query.scope) && matchesFilter(entry, query.filter))
    .filter(({ entry }) => start === null || compareForList(entry, start, query.sort) > 0)
    .sort((a, b) => compareForList(a.entry, b.entry, query.sort))
    .slice(query.offset, query.offset + query.limit)
    .map(({ share }) => share);
}

/** How many shares in hand the query matches, on all pages. */
export function countInMemory(shares: readonly Share[], query: Pick<ShareListQuery, 'scope' | 'filter'>): number {
  return shares.map(shareListEntry).filter((entry) => inScope(entry, query.scope) && matchesFilter(entry, query.filter)).length;
}
