import type { AccessRule } from '../../core/model.ts';
import { versionMatches, type ApiVersion } from '../api-version.ts';

/**
 * manila/api/views/share_accesses.py: the summary (access lists) and the view with `share_id`
 * (allow_access, share-access-rules/{id}); access_key from 2.21, timestamps from 2.33, metadata from 2.45.
 * Before 2.28 a rule shows its share's access_rules_status (`syncing` as `new`) when the caller gives it.
 */
export function accessRuleView(rule: AccessRule, version: ApiVersion, shareId?: string, shareRulesStatus?: string): Record<string, unknown> {
  const at = (min: string, max?: string) => versionMatches(version, min, max);
  const view: Record<string, unknown> = { id: rule.id };
  if (shareId !== undefined) view['share_id'] = shareId;
  Object.assign(view, {
    access_level: rule.access_level,
    access_to: rule.access_to,
    access_type: rule.access_type,
    // Per-rule states came (back) in 2.28; before, a rule showed its share's rule status.
    state: at('2.28') ? rule.state : legacyState(rule.state, shareRulesStatus),
  });
  if (at('2.21')) view['access_key'] = rule.access_key;
  if (at('2.33')) {
    view['created_at'] = rule.created_at;
    view['updated_at'] = rule.updated_at;
  }
  if (at('2.45')) view['metadata'] = { ...rule.metadata };
  return view;
}

function legacyState(state: AccessRule['state'], shareRulesStatus: string | undefined): string {
  if (shareRulesStatus !== undefined) return shareRulesStatus === 'syncing' ? 'new' : shareRulesStatus;
  return state === 'active' || state === 'error' ? state : 'new';
}
