/**
 * IAM decisions for the rehearsal: a request (principal, action, resource, context keys) against the
 * caller's identity policies and the resource's policy, evaluated by @cloud-copilot/iam-simulate, which
 * knows every action's resource types and every condition operator.
 *
 * Two ways AWS authorizes that a plain simulation would get wrong are made explicit here:
 * - a request on no particular resource (a list, DescribeFileSystems without an id) is authorized on
 *   the resource "*": only statements whose Resource is "*" can allow it;
 * - the Step Functions task-token calls (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat) are listed
 *   in the service authorization reference as supporting no resource, yet AWS authorizes them on the
 *   state machine of the token's execution (its AccessDenied names that ARN; see aws/aws-cdk#8486), so
 *   they are evaluated on that ARN without the reference's check.
 */
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[] | PolicyStatement;
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface NamedPolicy {
  readonly name: string;
  readonly document: PolicyDocument;
}

/** One authorization AWS makes for a call: the caller may do `action` on `resource` in this context. */
export interface AuthorizationRequest {
  readonly action: string;
  /** An ARN, or "*" for a request on no particular resource. */
  readonly resource: string;
  readonly context: Readonly<Record<string, string | readonly string[]>>;
  /** The policy of the resource (a file system policy, a function's permissions), if it has one. */
  readonly resourcePolicy?: PolicyDocument;
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface AuthorizationResult {
  readonly decision: Decision;
  /** Why the simulator could not evaluate it, if it could not (counts as denied). */
  readonly problem?: string;
}

/** Actions AWS authorizes on the state machine although the reference lists no resource type. */
const TASK_TOKEN_ACTIONS = new Set(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']);

export async function authorize(
  principal: string,
  accountId: string,
  identityPolicies: readonly NamedPolicy[],
  request: AuthorizationRequest,
): Promise<AuthorizationResult> {
  const onEverything = request.resource === '*';
  const policies = onEverything ? identityPolicies.map(onlyStatementsOnEverything) : identityPolicies;
  const simulation: Simulation = {
    request: {
      principal,
      action: request.action,
      resource: { resource: request.resource, accountId },
      contextVariables: Object.fromEntries(Object.entries(request.context).map(([key, value]) => [key, typeof value === 'string' ? value : [...value]])),
    },
    identityPolicies: policies.map((policy) => ({ name: policy.name, policy: policy.document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: request.resourcePolicy,
  };
  if (TASK_TOKEN_ACTIONS.has(request.action)) {
    return { decision: asDecision(runUnsafeSimulation(simulation, { simulationMode: 'Strict' })) };
  }
  const result = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (result.resultType === 'error') return { decision: 'ImplicitlyDenied', problem: JSON.stringify(result.errors) };
  return { decision: asDecision(result.overallResult) };
}

function asDecision(result: unknown): Decision {
  if (result === 'Allowed' || result === 'ExplicitlyDenied') return result;
  return 'ImplicitlyDenied';
}

/** The statements that can decide a request on "*": Resource "*" (or NotResource), every Deny kept. */
function onlyStatementsOnEverything(policy: NamedPolicy): NamedPolicy {
  const statements = Array.isArray(policy.document.Statement) ? policy.document.Statement : [policy.document.Statement as PolicyStatement];
  const kept = statements.filter((statement) => {
    if (statement.Effect === 'Deny' || statement.NotResource !== undefined) return true;
    const resources = typeof statement.Resource === 'string' ? [statement.Resource] : statement.Resource ?? [];
    return resources.includes('*');
  });
  return { name: policy.name, document: { Version: '2012-10-17', Statement: kept } };
}
