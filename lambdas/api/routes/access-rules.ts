import type { AccessRule, Share } from '../../core/model.ts';
import { ShareSortField, type ShareListScope } from '../../core/shares/share-list.ts';
import { MAX_LIMIT } from '../list-params.ts';
import { badRequest, notFound } from '../http-error.ts';
import { orIfNotFound } from '../lookups.ts';
import { loadShare } from '../policy.ts';
import { json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { quoteValue } from '../quote.ts';
import { isObject } from '../validation.ts';
import { accessRuleView } from '../views/access-rules.ts';

/** GET /share-access-rules?share_id= (2.45+, manila/api/v2/share_accesses.py): a missing share is a 400 there. */
async function listAccessRules(req: ApiRequest): Promise<ApiResponse> {
  const shareId = req.query.get('share_id');
  if (shareId === undefined) throw badRequest("The field 'share_id' has to be specified.");
  const metadata = parseMetadataFilter(req.query.get('metadata'));
  const share = await orIfNotFound(loadShare(req, shareId, 'read'), () => badRequest(`Share ${quoteValue(shareId)} not found.`));
  // Own keys only: a rule has no metadata key `constructor` because every object inherits one.
  const rules = (await req.services.shares.listAccessRules(share.id)).filter((r) =>
    Object.entries(metadata).every(([k, v]) => Object.hasOwn(r.metadata, k) && r.metadata[k] === v),
  );
  return json(200, { access_list: rules.map((r) => accessRuleView(r, req.version)) });
}

/**
 * The CLI sends the metadata filter as Python's repr of a dict ("{'k': 'v'}"), which Manila reads
 * with ast.literal_eval; flat string maps in either quoting are accepted here.
 */
function parseMetadataFilter(value: string | undefined): Record<string, string> {
  if (value === undefined || value.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(value.replace(/'/g, '"'));
    if (isObject(parsed) && Object.values(parsed).every((v) => typeof v === 'string')) return parsed as Record<string, string>;
  } catch {
    // fall through
  }
  throw badRequest(`Invalid metadata filter: ${quoteValue(value)}`);
}

/** GET /share-access-rules/{id} (2.45+): the rule with its share_id. */
async function showAccessRule(req: ApiRequest): Promise<ApiResponse> {
  const accessId = req.params['id']!;
  const found = await findRule(req, accessId);
  if (!found) throw notFound(`Share access rule ${accessId} not found.`);
  req.logger.appendPersistentKeys({ shareId: found.share.id });
  return json(200, { access: accessRuleView(found.rule, req.version, found.share.id) });
}

/**
 * ShareService has no lookup by rule id (rules live in their share's record): the shares this caller may
 * see, a page at a time from the list indexes, until one holds the rule.
 */
async function findRule(req: ApiRequest, accessId: string): Promise<{ share: Share; rule: AccessRule } | undefined> {
  const scope: ShareListScope = req.identity.isAdmin ? { kind: 'all' } : { kind: 'project', projectId: req.identity.projectId, withPublic: true };
  let marker: string | undefined;
  for (;;) {
    const { shares } = await req.services.shares.list({
      scope, filter: {}, sort: { field: ShareSortField.CREATED_AT, dir: 'desc' }, offset: 0, limit: MAX_LIMIT, ...(marker !== undefined ? { marker } : {}),
    });
    for (const share of shares) {
      const rule = share.access_rules.find((r) => r.id === accessId);
      if (rule) return { share, rule };
    }
    if (shares.length < MAX_LIMIT) return undefined;
    marker = shares[shares.length - 1]!.id;
  }
}

export const accessRuleRoutes: readonly Route[] = [
  { method: 'GET', path: '/share-access-rules', minVersion: '2.45', handler: listAccessRules },
  { method: 'GET', path: '/share-access-rules/{id}', minVersion: '2.45', handler: showAccessRule },
];
