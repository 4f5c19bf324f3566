/**
 * Changing a file system's policy (Describe/Put/DeleteFileSystemPolicy): what access rules are made of, what
 * deleting an access-point instance removes, and how the switchover makes a source read-only. It writes,
 * so only the parts that do those import it.
 */
import { DeleteFileSystemPolicyCommand, DescribeFileSystemPolicyCommand, PutFileSystemPolicyCommand } from '@aws-sdk/client-efs';
import type { EfsBackend } from '../backend.ts';
import { isEfsError } from '../client.ts';
import { parsePolicy, samePolicy, serializePolicy, type PolicyDocument } from '../policy.ts';

/**
 * Reads the file system policy, applies `change`, and writes the result back if it differs (deleting the
 * policy when no statement is left). False when the file system does not exist.
 *
 * The policy is read, changed and written without a condition: EFS has none to offer. Calls for one
 * instance are serialized by the workflow; two instances of one file system changed at the same moment
 * could lose one update, which the next apply of that instance's rules repairs.
 */
export async function updatePolicy(backend: EfsBackend, fileSystemId: string, change: (policy: PolicyDocument) => PolicyDocument): Promise<boolean> {
  let current: PolicyDocument;
  let exists = true;
  try {
    const { Policy: text } = await backend.client.send(new DescribeFileSystemPolicyCommand({ FileSystemId: fileSystemId }));
    current = parsePolicy(text);
  } catch (err) {
    if (isEfsError(err, 'FileSystemNotFound')) return false;
    if (!isEfsError(err, 'PolicyNotFound')) throw err;
    current = parsePolicy(undefined);
    exists = false;
  }
  const next = change(current);
  if (samePolicy(current, next)) return true;
  if (next.Statement.length === 0) {
    if (exists) {
      try {
        await backend.client.send(new DeleteFileSystemPolicyCommand({ FileSystemId: fileSystemId }));
      } catch (err) {
        if (!isEfsError(err, 'PolicyNotFound')) throw err;
      }
    }
    return true;
  }
  await backend.client.send(new PutFileSystemPolicyCommand({ FileSystemId: fileSystemId, Policy: serializePolicy(next) }));
  return true;
}
