import type { AccessRule, Share } from '../../core/model.ts';
import { badRequest, notFound } from '../http-error.ts';
import { orIfNotFound } from '../lookups.ts';
import { canSeeShare, loadShare } from '../policy.ts';
import { json, type ApiRequest, type ApiResponse } from '../request.ts';
import type { Route } from '../router.ts';
import { isObject } from '../validation.ts';
import { accessRuleView } from '../views/access-rules.ts';

/** GET /share-access-rules?share_id= (2.45+, manila/api/v2/share_accesses.py): a missing share is a 400 there. */
async function listAccessRules(req: ApiRequest): Promise<ApiResponse> {
  const shareId = req.query.get('share_id');
  if (shareId === undefined) throw badRequest("The field 'share_id' has to be specified.");
  const metadata = parseMetadataFilter(req.query.get('metadata'));
  const share = await orIfNotFound(loadShare(req, shareId, 'read'), () => badRequest(`Share ${shareId} not found.`));
  const rules = (await req.services.shares.listAccessRules(share.id)).filter((r) =>
    Object.entries(metadata).every(([k, v]) => r.metadata[k] === v),
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
  throw badRequest(`Invalid metadata filter: ${value}`);
}

/** GET /share-access-rules/{id} (2.45+): the rule with its share_id. */
async function showAccessRule(req: ApiRequest): Promise<ApiResponse> {
  const accessId = req.params['id']!;
  const found = await findRule(req, accessId);
  if (!found) throw notFound(`Share access rule ${accessId} not found.`);
  req.logger.appendPersistentKeys({ shareId: found.share.id });
  return json(200, { access: accessRuleView(found.rule, req.version, found.share.id) });
}

/** ShareService has no lookup by rule id: search the shares this caller may see. */
async function findRule(req: ApiRequest, accessId: string): Promise<{ share: Share; rule: AccessRule } | undefined> {
  for (const share of await req.services.shares.list()) {
    if (!req.identity.isAdmin && !canSeeShare(req, share, true)) continue;
    const rule = share.access_rules.find((r) => r.id === accessId);
    if (rule) return { share, rule };
  }
  return undefined;
}

export const accessRuleRoutes: readonly Route[] = [
  { method: 'GET', path: '/share-access-rules', minVersion: '2.45', handler: listAccessRules },
  { method: 'GET', path: '/share-access-rules/{id}', minVersion: '2.45', handler: showAccessRule },
];
