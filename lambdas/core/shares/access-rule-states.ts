import type { AccessRule, AccessRuleState, Share } from '../model.ts';

/**
 * A rule's way through Manila's access states (manila/common/constants.py ACCESS_STATE_*): allow writes it
 * `queued_to_apply`, it is `applying` while the driver enforces the share's rule set, then `active` (or
 * `error` when the driver failed); deny writes `queued_to_deny`, then `denying`, then the rule is gone
 * (or `error`). The share's access_rules_status (views/shares.ts) is derived from these.
 */
export const AccessRuleStates = {
  QUEUED_TO_APPLY: 'queued_to_apply',
  APPLYING: 'applying',
  ACTIVE: 'active',
  ERROR: 'error',
  QUEUED_TO_DENY: 'queued_to_deny',
  DENYING: 'denying',
} as const satisfies Record<string, AccessRuleState>;

const TO_APPLY: readonly AccessRuleState[] = [AccessRuleStates.QUEUED_TO_APPLY, AccessRuleStates.APPLYING];
const TO_DENY: readonly AccessRuleState[] = [AccessRuleStates.QUEUED_TO_DENY, AccessRuleStates.DENYING];

export function isBeingDenied(rule: AccessRule): boolean {
  return TO_DENY.includes(rule.state);
}

/** The rules the backend must enforce: all but those on their way out. */
export function rulesToEnforce(share: Share): AccessRule[] {
  return share.access_rules.filter((r) => !isBeingDenied(r));
}

/** Whether any rule waits for the driver. */
export function hasQueuedRules(share: Share): boolean {
  return share.access_rules.some((r) => r.state === AccessRuleStates.QUEUED_TO_APPLY || r.state === AccessRuleStates.QUEUED_TO_DENY);
}

/** Queued rules become `applying` / `denying`: the driver is about to get them. */
export function markInProgress(rules: readonly AccessRule[], at: string): AccessRule[] {
  return rules.map((r) => {
    if (r.state === AccessRuleStates.QUEUED_TO_APPLY) return { ...r, state: AccessRuleStates.APPLYING, updated_at: at };
    if (r.state === AccessRuleStates.QUEUED_TO_DENY) return { ...r, state: AccessRuleStates.DENYING, updated_at: at };
    return r;
  });
}

/**
 * The outcome of one driver call that enforced `applied` (a snapshot of the record): the rules it enforced
 * that were on their way in are `active`, the rules that were on their way out are gone; on failure both
 * are `error`, as Manila's share manager leaves them. Rules written after the snapshot are left as they are
 * for the next round.
 */
export function settleRules(current: readonly AccessRule[], applied: Share, outcome: 'applied' | 'failed', at: string): AccessRule[] {
  const enforced = new Set(rulesToEnforce(applied).map((r) => r.id));
  const denied = new Set(applied.access_rules.filter(isBeingDenied).map((r) => r.id));
  const settled: AccessRule[] = [];
  for (const rule of current) {
    if (denied.has(rule.id) && isBeingDenied(rule)) {
      if (outcome === 'failed') settled.push({ ...rule, state: AccessRuleStates.ERROR, updated_at: at });
      continue;
    }
    if (enforced.has(rule.id) && TO_APPLY.includes(rule.state)) {
      settled.push({ ...rule, state: outcome === 'applied' ? AccessRuleStates.ACTIVE : AccessRuleStates.ERROR, updated_at: at });
      continue;
    }
    settled.push(rule);
  }
  return settled;
}
