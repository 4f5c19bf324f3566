import type { AccessLevel, AccessType } from '../../core/model.ts';
import { versionMatches } from '../api-version.ts';
import { badRequest } from '../http-error.ts';
import { loadShare } from '../policy.ts';
import { accepted, json, type ApiRequest, type ApiResponse } from '../request.ts';
import { isObject, pythonStr, stringMap } from '../validation.ts';
import { accessRuleView } from '../views/access-rules.ts';
import { accessRulesStatus } from '../views/shares.ts';

/** The access-rule actions of POST /shares/{id}/action (manila/api/v1/shares.py _allow_access and friends). */

const ACCESS_LEVELS: readonly AccessLevel[] = ['rw', 'ro'];

export async function allowAccess(req: ApiRequest, shareId: string, payload: unknown): Promise<ApiResponse> {
  const data = actionBody(payload);
  const share = await loadShare(req, shareId, 'write', 'share:allow_access');
  const accessType = data['access_type'];
  const accessTo = data['access_to'];
  if (typeof accessType !== 'string' || typeof accessTo !== 'string') {
    throw badRequest("Must specify 'access_type' and 'access_to'.");
  }
  const types: readonly string[] = versionMatches(req.version, '2.13') ? ['ip', 'user', 'cert', 'cephx'] : ['ip', 'user', 'cert'];
  if (!types.includes(accessType)) {
    throw badRequest(`Only ${types.map((t) => `'${t}'`).join(', ')} access types are supported.`);
  }
  const level = data['access_level'] ?? 'rw';
  if (typeof level !== 'string' || !ACCESS_LEVELS.includes(level as AccessLevel)) {
    throw badRequest(`Invalid or unsupported share access level: ${pythonStr(level)}.`);
  }
  const metadata = versionMatches(req.version, '2.45') ? stringMap(data['metadata'], 'access metadata') : undefined;
  const rule = await req.services.shares.allowAccess(share.id, {
    access_type: accessType as AccessType,
    access_to: accessTo,
    access_level: level as AccessLevel,
    ...(metadata ? { metadata } : {}),
  });
  req.logger.info('access allowed', { accessId: rule.id, accessType: rule.access_type });
  return json(200, { access: accessRuleView(rule, req.version, share.id) });
}

export async function denyAccess(req: ApiRequest, shareId: string, payload: unknown): Promise<ApiResponse> {
  const data = actionBody(payload);
  const accessId = data['access_id'];
  if (typeof accessId !== 'string' || accessId === '') throw badRequest("Must specify 'access_id'.");
  const share = await loadShare(req, shareId, 'write', 'share:deny_access');
  await req.services.shares.denyAccess(share.id, accessId);
  return accepted();
}

/** access_list (before 2.45): every rule shows its share's access_rules_status, as Manila shows it before 2.28. */
export async function accessList(req: ApiRequest, shareId: string): Promise<ApiResponse> {
  const share = await loadShare(req, shareId, 'read');
  const rulesStatus = accessRulesStatus(share, true);
  return json(200, { access_list: share.access_rules.map((r) => accessRuleView(r, req.version, undefined, rulesStatus)) });
}

function actionBody(payload: unknown): Record<string, unknown> {
  if (!isObject(payload)) throw badRequest('Malformed request body');
  return payload;
}
