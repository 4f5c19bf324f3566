/**
 * Whether an AWS service may assume a role: the role's trust policy from the template (moto holds a
 * stand-in that lets the rehearsal assume it), evaluated for the service principal, as AWS does before
 * Lambda, Step Functions, ECS or EventBridge Scheduler act as the role. Recorded like a call.
 */
import type { DeployedRole } from '../aws/provision.ts';
import type { CallRecord } from './call-log.ts';
import type { IamGate } from './iam-gate.ts';

/**
 * `context`: what the service tells STS about whom it acts for (aws:SourceArn, aws:SourceAccount), which
 * confused-deputy conditions of trust policies test.
 */
export async function checkTrust(gate: IamGate, role: DeployedRole, servicePrincipal: string, context: Readonly<Record<string, string>> = {}): Promise<CallRecord> {
  return gate.authorizeOnBehalf(
    { kind: 'service', name: servicePrincipal, roleLogicalId: role.logicalId, roleArn: role.arn, sessionArn: servicePrincipal },
    `sts:AssumeRole by ${servicePrincipal}`,
    [{ action: 'sts:AssumeRole', resource: role.arn, context, resourcePolicy: role.trustPolicy }],
    'sts',
    { principal: servicePrincipal, identityPolicies: [] },
  );
}
