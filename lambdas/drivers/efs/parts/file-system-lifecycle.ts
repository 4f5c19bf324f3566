/**
 * Creating and deleting a file system with its mount targets: a file-system instance, or a replication
 * destination (CreateFileSystem, CreateMountTarget, DeleteMountTarget, DeleteFileSystem). It writes, so
 * only the instances and replication parts import it.
 */
import {
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  type FileSystemDescription,
} from '@aws-sdk/client-efs';
import { DriverError, type ErrorIds } from '../../../core/errors.ts';
import type { ShareInstance } from '../../../core/model.ts';
import type { Deadline, EfsBackend, Specs } from '../backend.ts';
import { isEfsError } from '../client.ts';
import type { ResolvedEfsPool } from '../config.ts';
import { describeFileSystem } from '../lookups/file-systems.ts';
import { mountTargets, wantedSubnets } from '../lookups/mount-targets.ts';
import { creationToken } from '../naming.ts';
import { fileSystemSettingsFrom } from '../specs.ts';

/**
 * The instance's file system in `backend`, created with the share type's settings over the pool's, once it
 * is available. A retried call adopts the one its CreationToken already made.
 */
export async function ensureFileSystem(
  backend: EfsBackend,
  instance: ShareInstance,
  pool: ResolvedEfsPool,
  { specs, label }: { specs: Specs; label: string },
  deadline: Deadline,
): Promise<FileSystemDescription> {
  const ids = { shareId: instance.share_id };
  const settings = fileSystemSettingsFrom(specs, pool.file_system!, label, (message) => {
    throw new DriverError(message, ids);
  });
  const zone = settings.availability_zone;
  if (zone !== undefined && backend.config.mount_target_subnets?.[zone] === undefined) {
    throw new DriverError(`${label} asks for One Zone storage in ${zone}, but ${backend.backendHost} has no mount target subnet there`, ids);
  }
  const create = async (): Promise<string> => {
    let fileSystemId: string | undefined;
    try {
      const created = await backend.client.send(new CreateFileSystemCommand({
        CreationToken: creationToken(instance.id),
        PerformanceMode: settings.performance_mode,
        ThroughputMode: settings.throughput_mode,
        ...(settings.provisioned_throughput_mibps === undefined ? {} : { ProvisionedThroughputInMibps: settings.provisioned_throughput_mibps }),
        Encrypted: settings.encrypted,
        ...(settings.kms_key_id === undefined ? {} : { KmsKeyId: settings.kms_key_id }),
        ...(zone === undefined ? {} : { AvailabilityZoneName: zone }),
        Tags: backend.tags(instance, pool),
      }));
      fileSystemId = created.FileSystemId;
    } catch (err) {
      if (isEfsError(err, 'FileSystemAlreadyExists')) {
        fileSystemId = err.FileSystemId as string | undefined;
      } else if (isEfsError(err, 'FileSystemLimitExceeded')) {
        throw new DriverError(
          `The account has as many EFS file systems in ${backend.config.region} as it may: delete unused ones or ask AWS for a higher quota`,
          ids,
          { cause: err },
        );
      } else {
        throw err;
      }
    }
    if (fileSystemId === undefined) throw new DriverError(`EFS created no file system for instance ${instance.id}`, ids);
    return fileSystemId;
  };
  let id = await create();
  // An earlier file system of this instance that is being deleted (a cancelled driver-assisted start,
  // before the host-assisted fallback creates the same destination instance) holds the token until it
  // is gone: wait for it, then create again.
  return backend.poll<FileSystemDescription>(deadline, ids, async () => {
    const fileSystem = await describeFileSystem(backend, id);
    if (!fileSystem || fileSystem.LifeCycleState === 'deleted') {
      id = await create();
      return { waiting: `file system ${id} of instance ${instance.id} is being created again after an earlier one was deleted` };
    }
    if (fileSystem.LifeCycleState === 'available') return { value: fileSystem };
    if (fileSystem.LifeCycleState === 'error') throw new DriverError(`EFS could not create file system ${id} of instance ${instance.id}`, ids);
    if (fileSystem.LifeCycleState === 'deleting') return { waiting: `an earlier file system ${id} of instance ${instance.id} is still being deleted` };
    return { waiting: `file system ${id} is still ${fileSystem.LifeCycleState}` };
  });
}

/** One mount target per configured zone (only the file system's own zone for One Zone); creates the missing ones. */
export async function ensureMountTargets(backend: EfsBackend, fileSystem: FileSystemDescription, ids: ErrorIds): Promise<void> {
  const fileSystemId = fileSystem.FileSystemId!;
  const existing = await mountTargets(backend, fileSystemId);
  for (const [zone, subnet] of wantedSubnets(backend, fileSystem, ids)) {
    if (existing.some((target) => target.SubnetId === subnet || target.AvailabilityZoneName === zone)) continue;
    try {
      const groups = backend.config.security_group_ids ?? [];
      await backend.client.send(new CreateMountTargetCommand({
        FileSystemId: fileSystemId,
        SubnetId: subnet,
        ...(groups.length > 0 ? { SecurityGroups: [...groups] } : {}),
      }));
    } catch (err) {
      if (!isEfsError(err, 'MountTargetConflict')) throw err;
    }
  }
}

/** Mount targets first (EFS refuses to delete a file system that has any), waiting until they are gone. */
export async function deleteFileSystem(backend: EfsBackend, fileSystem: FileSystemDescription, ids: ErrorIds, deadline: Deadline): Promise<void> {
  const fileSystemId = fileSystem.FileSystemId!;
  if (fileSystem.LifeCycleState === 'deleting') return;
  for (const target of await mountTargets(backend, fileSystemId)) {
    if (target.LifeCycleState === 'deleting' || target.LifeCycleState === 'deleted') continue;
    try {
      await backend.client.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId }));
    } catch (err) {
      if (!isEfsError(err, 'MountTargetNotFound')) throw err;
    }
  }
  await backend.poll(deadline, ids, async () => {
    const left = (await mountTargets(backend, fileSystemId)).filter((target) => target.LifeCycleState !== 'deleted');
    return left.length === 0 ? { value: true } : { waiting: `${left.length} mount target(s) of ${fileSystemId} are still being deleted` };
  });
  try {
    await backend.client.send(new DeleteFileSystemCommand({ FileSystemId: fileSystemId }));
  } catch (err) {
    if (!isEfsError(err, 'FileSystemNotFound')) throw err;
  }
}
