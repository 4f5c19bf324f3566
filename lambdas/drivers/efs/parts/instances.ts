/**
 * The instances part: a share instance is an access point of the pool's file system (access-point mode,
 * access-point-instances.ts) or a file system of its own with its mount targets (file-system mode,
 * file-system-instances.ts). Both modes are in the part: a function's backends may be of either.
 */
import { DriverError } from '../../../core/errors.ts';
import type { ExportLocation, ShareInstance } from '../../../core/model.ts';
import type { CreateInstanceRequest, DataPurge } from '../../driver.ts';
import type { EfsBackend } from '../backend.ts';
import { EfsMode } from '../config.ts';
import type { EfsCopyMount, EfsInstancesPart } from '../parts.ts';
import { accessPointCopyMount, accessPointLeftovers, createAccessPoint, deleteAccessPointInstance } from './access-point-instances.ts';
import { extendEfsInstance, shrinkEfsInstance } from './instance-sizes.ts';
import { createFileSystemInstance, deleteFileSystemInstance, fileSystemCopyMount, fileSystemLeftovers } from './file-system-instances.ts';

async function createInstance(backend: EfsBackend, request: CreateInstanceRequest): Promise<readonly ExportLocation[]> {
  const { instance } = request;
  const pool = backend.poolOf(instance);
  if (pool.name !== request.pool) {
    throw new DriverError(`Instance ${instance.id} is on ${instance.host} but was asked to be created in pool "${request.pool}"`, { shareId: instance.share_id });
  }
  const type = await backend.specsOf(instance);
  return backend.config.mode === EfsMode.ACCESS_POINT
    ? createAccessPoint(backend, instance, pool, type)
    : createFileSystemInstance(backend, instance, pool, type);
}

/**
 * Access point: its policy statements, then the access point (its folder stays: dataLeftBehind).
 * File system: its mount targets (waiting until they are gone), then the file system.
 * Succeeds when the instance is already gone.
 */
async function deleteInstance(backend: EfsBackend, instance: ShareInstance): Promise<void> {
  const pool = backend.poolOf(instance);
  return backend.config.mode === EfsMode.ACCESS_POINT ? deleteAccessPointInstance(backend, instance, pool) : deleteFileSystemInstance(backend, instance);
}

/**
 * `/mnt/efs/<instance id>`, and the volume the copy task definition mounts there. The driver cannot know
 * whether the instance is a migration's source or destination; the pipeline registers a task definition
 * with one such volume per instance.
 */
async function getCopyMount(backend: EfsBackend, instance: ShareInstance): Promise<EfsCopyMount> {
  return backend.config.mode === EfsMode.ACCESS_POINT ? accessPointCopyMount(backend, instance) : fileSystemCopyMount(backend, instance);
}

/** What deleteInstance could not remove: an access point's folder (for the purge task), or nothing. */
async function dataLeftBehind(backend: EfsBackend, instance: ShareInstance): Promise<DataPurge | null> {
  const pool = backend.poolOf(instance);
  return backend.config.mode === EfsMode.ACCESS_POINT ? accessPointLeftovers(backend, instance, pool) : fileSystemLeftovers(backend, instance);
}

export const efsInstances: EfsInstancesPart = {
  createInstance,
  deleteInstance,
  getCopyMount,
  dataLeftBehind,
  extendInstance: extendEfsInstance,
  shrinkInstance: shrinkEfsInstance,
};
