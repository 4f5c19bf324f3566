/**
 * File-system instances: a file system of its own, created with its share type's `efs:*` specs
 * (CreationToken derived from the instance id), with one mount target per configured subnet (its "share
 * server").
 */
import { DriverError } from '../../../core/errors.ts';
import type { ExportLocation, ShareInstance } from '../../../core/model.ts';
import type { EfsBackend, Specs } from '../backend.ts';
import type { ResolvedEfsPool } from '../config.ts';
import { findFileSystem } from '../lookups/file-systems.ts';
import { waitForMountTargets } from '../lookups/mount-targets.ts';
import { copyMountPath, fileSystemExportLocations } from '../naming.ts';
import type { EfsCopyMount } from '../parts.ts';
import { deleteFileSystem, ensureFileSystem, ensureMountTargets } from './file-system-lifecycle.ts';

export async function createFileSystemInstance(
  backend: EfsBackend,
  instance: ShareInstance,
  pool: ResolvedEfsPool,
  type: { specs: Specs; label: string },
): Promise<ExportLocation[]> {
  const fileSystem = await ensureFileSystem(backend, instance, pool, type, backend.deadline());
  await ensureMountTargets(backend, fileSystem, { shareId: instance.share_id });
  return fileSystemExportLocations(fileSystem.FileSystemId!, backend.config.region);
}

/** Its mount targets (waiting until they are gone), then the file system; done when it is already gone. */
export async function deleteFileSystemInstance(backend: EfsBackend, instance: ShareInstance): Promise<void> {
  const fileSystem = await findFileSystem(backend, instance);
  if (fileSystem) await deleteFileSystem(backend, fileSystem, { shareId: instance.share_id }, backend.deadline());
}

/** Deleting the file system removed its data: nothing is left, unless the file system still exists. */
export async function fileSystemLeftovers(backend: EfsBackend, instance: ShareInstance): Promise<null> {
  backend.poolOf(instance);
  const fileSystem = await findFileSystem(backend, instance);
  if (fileSystem) {
    throw new DriverError(`Instance ${instance.id} still exists (file system ${fileSystem.FileSystemId}, ${fileSystem.LifeCycleState}): delete it first`, {
      shareId: instance.share_id,
    });
  }
  return null;
}

/** The whole file system at `/mnt/efs/<instance id>`, once its mount targets are available (ECS cannot mount before). */
export async function fileSystemCopyMount(backend: EfsBackend, instance: ShareInstance): Promise<EfsCopyMount> {
  const ids = { shareId: instance.share_id };
  const path = copyMountPath(instance.id);
  backend.poolOf(instance);
  const fileSystem = await findFileSystem(backend, instance);
  if (!fileSystem) throw new DriverError(`Instance ${instance.id} does not exist on ${backend.backendHost}`, ids);
  await ensureMountTargets(backend, fileSystem, ids);
  await waitForMountTargets(backend, fileSystem, ids, backend.deadline());
  return {
    path,
    volume: { fileSystemId: fileSystem.FileSystemId!, containerPath: path, region: backend.config.region, rootDirectory: '/' },
  };
}
