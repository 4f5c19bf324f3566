/**
 * extend and shrink on EFS (the instances part). EFS is elastic: a share's size is the size Manila records,
 * not a limit EFS enforces, so resizing checks the instance exists and changes nothing on AWS. A shrink
 * refuses when the data may not fit: in file-system mode the file system's metered size (DescribeFileSystems
 * SizeInBytes, which EFS updates within hours, not at once) is what the driver can read; in access-point
 * mode EFS meters only the whole file system, not a folder, so there is nothing to check against and the
 * shrink is taken as asked.
 */
import { DriverError } from '../../../core/errors.ts';
import type { ShareInstance } from '../../../core/model.ts';
import { ShareShrinkingPossibleDataLossError } from '../../../core/shares/resize-errors.ts';
import type { EfsBackend } from '../backend.ts';
import { EfsMode } from '../config.ts';
import { existingAccessPoint } from '../lookups/access-points.ts';
import { findFileSystem } from '../lookups/file-systems.ts';

const GIB = 1024 ** 3;

export async function extendEfsInstance(backend: EfsBackend, instance: ShareInstance): Promise<void> {
  await usedBytes(backend, instance);
}

export async function shrinkEfsInstance(backend: EfsBackend, instance: ShareInstance, newSizeGb: number): Promise<void> {
  const used = await usedBytes(backend, instance);
  if (used !== null && used > newSizeGb * GIB) throw new ShareShrinkingPossibleDataLossError(instance.share_id);
}

/** The bytes the instance's file system holds (file-system mode), or null (access-point mode); DriverError when the instance does not exist. */
async function usedBytes(backend: EfsBackend, instance: ShareInstance): Promise<number | null> {
  if (backend.config.mode === EfsMode.ACCESS_POINT) {
    await existingAccessPoint(backend, instance);
    return null;
  }
  backend.poolOf(instance);
  const fileSystem = await findFileSystem(backend, instance);
  if (!fileSystem) throw new DriverError(`Instance ${instance.id} does not exist on ${backend.backendHost}`, { shareId: instance.share_id });
  return fileSystem.SizeInBytes?.Value ?? 0;
}
