/**
 * The access rules part: each rule is a statement of the file system policy (policy.ts), scoped to the
 * instance's access point in access-point mode. Only access type `user` with an IAM principal ARN is
 * possible: anything else is refused before the policy is touched.
 */
import { DriverError } from '../../../core/errors.ts';
import type { AccessRule, ShareInstance } from '../../../core/model.ts';
import type { EfsBackend } from '../backend.ts';
import { EfsMode } from '../config.ts';
import { existingAccessPoint } from '../lookups/access-points.ts';
import { findFileSystem } from '../lookups/file-systems.ts';
import { statementPrefix } from '../naming.ts';
import type { EfsAccessRulesPart } from '../parts.ts';
import { instanceStatements, ruleProblem, withInstanceStatements, type PolicyTarget } from '../policy.ts';
import { updatePolicy } from './file-system-policy.ts';

/** Makes `rules` the instance's statements in the file system policy; other statements stay. */
async function applyAccessRules(backend: EfsBackend, instance: ShareInstance, rules: readonly AccessRule[], options: { readOnly: boolean }): Promise<void> {
  const problems = rules.flatMap((rule) => {
    const problem = ruleProblem(rule);
    return problem === null ? [] : [`rule ${rule.id} (${rule.access_type} ${rule.access_to}): ${problem}`];
  });
  if (problems.length > 0) {
    throw new DriverError(`${backend.backendHost} cannot apply the access rules of instance ${instance.id}: ${problems.join('; ')}`, { shareId: instance.share_id });
  }
  const { fileSystemId, target } = await policyTarget(backend, instance);
  const statements = instanceStatements(target, rules, options.readOnly);
  await updatePolicy(backend, fileSystemId, (policy) => withInstanceStatements(policy, target.sidPrefix, statements));
}

/** The file system whose policy holds the instance's statements, and what they apply to. */
async function policyTarget(backend: EfsBackend, instance: ShareInstance): Promise<{ fileSystemId: string; target: PolicyTarget }> {
  const sidPrefix = statementPrefix(instance.id);
  if (backend.config.mode === EfsMode.ACCESS_POINT) {
    const { fileSystemId, accessPoint } = await existingAccessPoint(backend, instance);
    const accessPointArn = accessPoint.AccessPointArn ?? backend.arn(accessPoint.OwnerId, `access-point/${accessPoint.AccessPointId}`);
    const fileSystemArn = accessPointArn.replace(/:access-point\/[^:/]+$/, `:file-system/${fileSystemId}`);
    return { fileSystemId, target: { fileSystemArn, accessPointArn, sidPrefix } };
  }
  backend.poolOf(instance);
  const fileSystem = await findFileSystem(backend, instance);
  if (!fileSystem) throw new DriverError(`Instance ${instance.id} does not exist on ${backend.backendHost}`, { shareId: instance.share_id });
  return { fileSystemId: fileSystem.FileSystemId!, target: { fileSystemArn: backend.fileSystemArn(fileSystem), sidPrefix } };
}

export const efsAccessRules: EfsAccessRulesPart = { applyAccessRules };
