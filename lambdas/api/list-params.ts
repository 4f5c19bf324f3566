import type { SortDirection } from '../core/shares/share-list.ts';
import { badRequest } from './http-error.ts';
import type { Query } from './request.ts';
import { FIELD_LIMITS } from './request-limits.ts';

/**
 * The query parameters every Manila list shares (manila/api/common.py): sort_key and sort_dir, and
 * limit, offset and marker.
 */

/** Manila's osapi_max_limit: a page holds at most this many items. */
export const MAX_LIMIT = 1000;

export interface SortParams<F> {
  /** The sort_key as given. */
  readonly key: string;
  readonly field: F;
  readonly dir: SortDirection;
}

/**
 * sort_key (default created_at) and sort_dir (default desc), as Manila's apply_sorting checks them: the
 * direction first, then the key, which must be one of `keys`, looked up in a Map so that no name
 * inherited from Object.prototype (__proto__, constructor, toString...) is taken for one.
 */
export function sortParams<F>(query: Query, keys: ReadonlyMap<string, F>): SortParams<F> {
  const key = query.get('sort_key') ?? 'created_at';
  const dir = (query.get('sort_dir') ?? 'desc').toLowerCase();
  if (dir !== 'asc' && dir !== 'desc') {
    throw badRequest(`Wrong sorting data provided: sort key is '${key}' and sort direction is '${query.get('sort_dir')}'.`);
  }
  const field = keys.get(key);
  if (field === undefined) throw badRequest(`Wrong sorting key provided - '${key}'.`);
  return { key, field, dir };
}

export interface PageParams {
  readonly offset: number;
  /** At most MAX_LIMIT. */
  readonly limit: number;
  /** Whether the request gave a limit: Manila links the next page only then. */
  readonly limited: boolean;
  /** The id of the last item of the previous page. */
  readonly marker?: string;
}

/** limit, offset and marker, with manila.api.common's checks and messages. */
export function pageParams(query: Query): PageParams {
  const offset = nonNegativeInt(query.get('offset'), 'offset') ?? 0;
  // Manila's _get_offset_param bound (DB_MAX_INT).
  if (offset > FIELD_LIMITS.integer) throw badRequest(`offset param must be less than or equal to ${FIELD_LIMITS.integer}`);
  const limit = nonNegativeInt(query.get('limit'), 'limit');
  const marker = query.get('marker');
  // Longer than any id: it names nothing, and is no key to look up.
  if (marker !== undefined && marker.length > FIELD_LIMITS.reference) throw badRequest(`The marker ${marker.slice(0, 36)}... could not be found.`);
  return {
    offset,
    limit: Math.min(limit ?? MAX_LIMIT, MAX_LIMIT),
    limited: limit !== undefined,
    ...(marker !== undefined && marker !== '' ? { marker } : {}),
  };
}

/** A whole number, as Python's int() reads one: optional sign and surrounding blanks. */
function nonNegativeInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(value)) throw badRequest(`${name} param must be an integer`);
  const n = Number(value);
  if (n < 0) throw badRequest(`${name} param must be positive`);
  return n;
}

/**
 * Manila's `<collection>_links` (ViewBuilder._get_collection_links): when the request gave a limit and
 * the page is full, a `next` link with the request's parameters and the last item's id as the marker. The
 * offset is left out of it: the marker already says where the next page starts.
 */
export function nextPageLinks(url: string, query: Query, page: PageParams, items: readonly { readonly id: string }[]): { href: string; rel: string }[] {
  if (!page.limited || page.limit === 0 || items.length !== page.limit) return [];
  const params = new URLSearchParams();
  for (const name of query.names()) {
    if (name === 'marker' || name === 'offset') continue;
    for (const value of query.all(name)) params.append(name, value);
  }
  params.set('marker', items[items.length - 1]!.id);
  return [{ href: `${url}?${params.toString()}`, rel: 'next' }];
}
