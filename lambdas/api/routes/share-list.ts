import { SHARE_SORT_KEYS, type ShareListScope } from '../../core/shares/share-list.ts';
import type { ShareFilter } from '../../core/services.ts';
import { versionMatches } from '../api-version.ts';
import { nextPageLinks, pageParams, sortParams } from '../list-params.ts';
import { shareTypeOrNull, shareViewContext } from '../lookups.ts';
import { json, type ApiRequest, type ApiResponse } from '../request.ts';
import { booleanOr } from '../validation.ts';
import { shareDetail, shareSummary, type ShareViewContext } from '../views/shares.ts';

/**
 * GET /shares and /shares/detail (ShareMixin._get_shares): the query string read into a list request for
 * the domain, which serves it from the store's indexes (core/shares/share-list.ts). Every parameter is
 * checked before anything is read, so a bad one is a 400 whatever the data.
 */
export async function listShares(req: ApiRequest, detail: boolean): Promise<ApiResponse> {
  const { query, identity, services } = req;
  const sort = sortParams(query, SHARE_SORT_KEYS);
  const page = pageParams(query);
  const withCount = versionMatches(req.version, '2.42') && booleanOr(query.get('with_count'), false);
  // Shares are deleted for good here: Manila's recycle bin (2.69+) is always empty. The manila CLI
  // asks for it when it looks a share up by name, so live shares must not answer that query.
  if (versionMatches(req.version, '2.69') && booleanOr(query.get('is_soft_deleted'), false)) {
    return json(200, withCount ? { shares: [], count: 0 } : { shares: [] });
  }
  const filter: { -readonly [K in keyof ShareFilter]: ShareFilter[K] } = {};
  const name = query.get('name') ?? query.get('display_name');
  if (name !== undefined) filter.name = name;
  const status = query.get('status');
  if (status !== undefined) filter.status = status;
  const host = query.get('host');
  if (host !== undefined) filter.host = host;
  const typeRef = query.get('share_type_id') ?? query.get('share_type');
  if (typeRef !== undefined) {
    const type = await shareTypeOrNull(req, typeRef);
    if (!type) return json(200, withCount ? { shares: [], count: 0 } : { shares: [] });
    filter.share_type_id = type.id;
  }
  // The detail view's share types are read while the page is; a summary names none.
  const summaryContext: ShareViewContext = { version: req.version, isAdmin: identity.isAdmin, links: req.links, shareType: () => undefined };
  const [listed, ctx] = await Promise.all([services.shares.list({
    scope: scopeOf(req),
    filter,
    sort: { field: sort.field, dir: sort.dir },
    offset: page.offset,
    limit: page.limit,
    ...(page.marker !== undefined ? { marker: page.marker } : {}),
    withCount,
  }), detail ? shareViewContext(req) : summaryContext]);
  const body: Record<string, unknown> = { shares: listed.shares.map((s) => (detail ? shareDetail(s, ctx) : shareSummary(s, ctx))) };
  if (listed.count !== undefined) body['count'] = listed.count;
  const links = nextPageLinks(`${req.links.baseUrl}/v2/${identity.projectId}/shares${detail ? '/detail' : ''}`, query, page, listed.shares);
  if (links.length > 0) body['shares_links'] = links;
  return json(200, body);
}

/**
 * Whose shares the caller lists: its project's (with is_public, also every public share); an admin's
 * all_tenants, every project's, or one project's with project_id.
 */
function scopeOf(req: ApiRequest): ShareListScope {
  const { query, identity } = req;
  if (identity.isAdmin && booleanOr(query.get('all_tenants'), false)) {
    const project = query.get('project_id');
    return project === undefined ? { kind: 'all' } : { kind: 'project', projectId: project, withPublic: false };
  }
  return { kind: 'project', projectId: identity.projectId, withPublic: booleanOr(query.get('is_public'), false) };
}
