/**
 * Access-point instances: an access point of the pool's file system, rooted at `/shares/share-<instance
 * id>`, with the owner and mode of the share type or the backend config. Its ClientToken is derived from
 * the instance id, so a retried create never makes a second one.
 */
import { CreateAccessPointCommand, DeleteAccessPointCommand } from '@aws-sdk/client-efs';
import { DriverError } from '../../../core/errors.ts';
import type { ExportLocation, ShareInstance } from '../../../core/model.ts';
import type { DataPurge } from '../../driver.ts';
import type { EfsBackend, Specs } from '../backend.ts';
import { isEfsError } from '../client.ts';
import { DEFAULT_ROOT_DIRECTORY, type ResolvedEfsPool } from '../config.ts';
import { existingAccessPoint, findAccessPoint } from '../lookups/access-points.ts';
import { describeFileSystem } from '../lookups/file-systems.ts';
import { accessPointExportLocations, copyMountPath, creationToken, instanceFolder, purgeMountPath, statementPrefix } from '../naming.ts';
import type { EfsCopyMount } from '../parts.ts';
import { withInstanceStatements } from '../policy.ts';
import { mismatchesWith, rootDirectoryFrom } from '../specs.ts';
import { updatePolicy } from './file-system-policy.ts';

/** Refuses a share type the pool's file system does not meet; says what to do at the access point quota. */
export async function createAccessPoint(
  backend: EfsBackend,
  instance: ShareInstance,
  pool: ResolvedEfsPool,
  { specs, label }: { specs: Specs; label: string },
): Promise<ExportLocation[]> {
  const ids = { shareId: instance.share_id };
  const { config } = backend;
  const fileSystemId = pool.file_system_id!;
  const folder = instanceFolder(instance);
  const root = rootDirectoryFrom(specs, config.root_directory ?? DEFAULT_ROOT_DIRECTORY, label, (message) => {
    throw new DriverError(message, ids);
  });
  const fileSystem = await describeFileSystem(backend, fileSystemId);
  if (!fileSystem) throw new DriverError(`${backend.backendHost}: file system ${fileSystemId} of pool "${pool.name}" does not exist in ${config.region}`, ids);
  const mismatches = mismatchesWith(specs, fileSystem);
  if (mismatches.length > 0) {
    throw new DriverError(`${label} does not fit file system ${fileSystemId} of ${backend.backendHost}#${pool.name}: ${mismatches.join('; ')}`, ids);
  }
  const posix = config.posix_user;
  let accessPointId: string | undefined;
  try {
    const created = await backend.client.send(new CreateAccessPointCommand({
      ClientToken: creationToken(instance.id),
      FileSystemId: fileSystemId,
      ...(posix === undefined ? {} : { PosixUser: { Uid: posix.uid, Gid: posix.gid, ...(posix.secondary_gids ? { SecondaryGids: [...posix.secondary_gids] } : {}) } }),
      RootDirectory: {
        Path: folder,
        CreationInfo: { OwnerUid: root.owner_uid, OwnerGid: root.owner_gid, Permissions: root.permissions },
      },
      Tags: backend.tags(instance, pool),
    }));
    accessPointId = created.AccessPointId;
  } catch (err) {
    if (isEfsError(err, 'AccessPointAlreadyExists')) {
      accessPointId = err.AccessPointId as string | undefined;
    } else if (isEfsError(err, 'AccessPointLimitExceeded')) {
      throw new DriverError(
        `File system ${fileSystemId} (${backend.backendHost}#${pool.name}) has as many access points as EFS allows: delete access points no share uses, ` +
          `or add another file system to this backend as a pool (pools[].file_system_id) and create the share there`,
        ids,
        { cause: err },
      );
    } else {
      throw err;
    }
  }
  if (accessPointId === undefined) throw new DriverError(`EFS created no access point for instance ${instance.id}`, ids);
  return accessPointExportLocations(fileSystemId, config.region, folder, accessPointId);
}

/**
 * Its policy statements, then the access point; done when either is already gone. The folder and its files
 * stay: EFS has no call that removes a file system's contents (dataLeftBehind names them for the purge task).
 */
export async function deleteAccessPointInstance(backend: EfsBackend, instance: ShareInstance, pool: ResolvedEfsPool): Promise<void> {
  const fileSystemId = pool.file_system_id!;
  const prefix = statementPrefix(instance.id);
  const policyKept = await updatePolicy(backend, fileSystemId, (policy) => withInstanceStatements(policy, prefix, []));
  if (!policyKept) return; // The file system itself is gone.
  const accessPoint = await findAccessPoint(backend, instance, fileSystemId);
  if (!accessPoint) return;
  try {
    await backend.client.send(new DeleteAccessPointCommand({ AccessPointId: accessPoint.AccessPointId }));
  } catch (err) {
    if (!isEfsError(err, 'AccessPointNotFound')) throw err;
  }
}

/**
 * The folder a deleted access-point instance left, `/shares/share-<id>`, with the file system's root as the
 * purge task mounts it (IAM authorization, no access point). Null when the file system is gone. Refused
 * while the access point exists (and is not being deleted): that folder is a live share's.
 */
export async function accessPointLeftovers(backend: EfsBackend, instance: ShareInstance, pool: ResolvedEfsPool): Promise<DataPurge | null> {
  const fileSystemId = pool.file_system_id!;
  const folder = instanceFolder(instance);
  if (!(await describeFileSystem(backend, fileSystemId))) return null;
  const accessPoint = await findAccessPoint(backend, instance, fileSystemId);
  // Right after DeleteAccessPoint EFS may still list it, `deleting`: no new client can connect through it.
  if (accessPoint && !['deleting', 'deleted'].includes(accessPoint.LifeCycleState ?? '')) {
    throw new DriverError(`Instance ${instance.id} still exists (access point ${accessPoint.AccessPointId} of ${fileSystemId}): its folder ${folder} is not left over`, {
      shareId: instance.share_id,
    });
  }
  const path = purgeMountPath(fileSystemId);
  return {
    mount: { path, volume: { fileSystemId, containerPath: path, region: backend.config.region, rootDirectory: '/' } },
    folder: folder.slice(1),
    location: `${fileSystemId}:${folder}`,
  };
}

/** The access point volume (mounted with IAM authorization through it) at `/mnt/efs/<instance id>`. */
export async function accessPointCopyMount(backend: EfsBackend, instance: ShareInstance): Promise<EfsCopyMount> {
  const path = copyMountPath(instance.id);
  const { fileSystemId, accessPoint } = await existingAccessPoint(backend, instance);
  return {
    path,
    volume: { fileSystemId, accessPointId: accessPoint.AccessPointId!, containerPath: path, region: backend.config.region, rootDirectory: '/' },
  };
}
