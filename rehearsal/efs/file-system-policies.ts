/**
 * EFS file system policies, held by the rehearsal: moto serves PutFileSystemPolicy and
 * DescribeFileSystemPolicy but not DeleteFileSystemPolicy (moto 5.2), which the driver calls when an
 * instance's last statement goes. So all three are served here, after the IAM gate has authorized them,
 * over the same state, and ECS mounts read the policy from here too.
 */
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import type { AwsClientConfig } from '../aws/admin.ts';
import type { IamGate } from '../iam/iam-gate.ts';
import type { PolicyDocument } from '../iam/evaluator.ts';
import { errorResponse, jsonResponse, type WireResponse } from '../wire/aws-errors.ts';

export class FileSystemPolicies {
  private readonly policies = new Map<string, string>();
  private readonly efs: EFSClient;

  constructor(gate: IamGate, admin: AwsClientConfig) {
    this.efs = new EFSClient(admin);
    gate.intercept('elasticfilesystem:PutFileSystemPolicy', async ({ parsed }) => this.put(String(parsed.input['FileSystemId']), String(parsed.input['Policy'] ?? '')));
    gate.intercept('elasticfilesystem:DescribeFileSystemPolicy', async ({ parsed }) => this.describe(String(parsed.input['FileSystemId'])));
    gate.intercept('elasticfilesystem:DeleteFileSystemPolicy', async ({ parsed }) => this.delete(String(parsed.input['FileSystemId'])));
  }

  /** The policy EFS evaluates at mount, or undefined for its default policy. */
  policyOf(fileSystemId: string): PolicyDocument | undefined {
    const text = this.policies.get(fileSystemId);
    return text === undefined ? undefined : (JSON.parse(text) as PolicyDocument);
  }

  private async put(fileSystemId: string, policy: string): Promise<WireResponse> {
    const missing = await this.missing(fileSystemId);
    if (missing) return missing;
    try {
      const parsed = JSON.parse(policy) as { Statement?: unknown };
      if (!parsed.Statement) throw new Error('no Statement');
    } catch (error) {
      return errorResponse('rest-json', 400, 'InvalidPolicyException', `Policy is not a valid IAM policy: ${(error as Error).message}`);
    }
    this.policies.set(fileSystemId, policy);
    return jsonResponse({ FileSystemId: fileSystemId, Policy: policy });
  }

  private async describe(fileSystemId: string): Promise<WireResponse> {
    const missing = await this.missing(fileSystemId);
    if (missing) return missing;
    const policy = this.policies.get(fileSystemId);
    if (policy === undefined) return errorResponse('rest-json', 404, 'PolicyNotFound', `File System: ${fileSystemId} does not have a policy`);
    return jsonResponse({ FileSystemId: fileSystemId, Policy: policy });
  }

  private async delete(fileSystemId: string): Promise<WireResponse> {
    const missing = await this.missing(fileSystemId);
    if (missing) return missing;
    this.policies.delete(fileSystemId);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.alloc(0) };
  }

  private async missing(fileSystemId: string): Promise<WireResponse | undefined> {
    const found = await this.efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId })).then((out) => (out.FileSystems ?? []).length > 0, () => false);
    return found ? undefined : errorResponse('rest-json', 404, 'FileSystemNotFound', `File system '${fileSystemId}' does not exist.`);
  }
}
