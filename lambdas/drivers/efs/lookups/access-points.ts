/** Finding an instance's access point (DescribeAccessPoints only). */
import { DescribeAccessPointsCommand, type AccessPointDescription } from '@aws-sdk/client-efs';
import { DriverError } from '../../../core/errors.ts';
import type { ShareInstance } from '../../../core/model.ts';
import type { ResolvedEfsPool } from '../config.ts';
import { tagValue, type EfsBackend } from '../backend.ts';
import { isEfsError } from '../client.ts';
import { accessPointIdFrom, creationToken, EfsTag } from '../naming.ts';

export interface AccessPointInstance {
  readonly pool: ResolvedEfsPool;
  readonly fileSystemId: string;
  readonly accessPoint: AccessPointDescription;
}

/**
 * The instance's access point: the one its export locations name if that is it, else the one of the
 * file system whose ClientToken (or instance tag) is the instance's. Null when there is none.
 */
export async function findAccessPoint(backend: EfsBackend, instance: ShareInstance, fileSystemId: string): Promise<AccessPointDescription | null> {
  const token = creationToken(instance.id);
  const isInstance = (accessPoint: AccessPointDescription) =>
    accessPoint.FileSystemId === fileSystemId &&
    (accessPoint.ClientToken === token || tagValue(accessPoint.Tags, EfsTag.INSTANCE_ID) === instance.id);
  const named = accessPointIdFrom(instance.export_locations);
  if (named !== undefined) {
    try {
      const { AccessPoints: found = [] } = await backend.client.send(new DescribeAccessPointsCommand({ AccessPointId: named }));
      const accessPoint = found.find(isInstance);
      if (accessPoint) return accessPoint;
    } catch (err) {
      if (!isEfsError(err, 'AccessPointNotFound')) throw err;
    }
  }
  let next: string | undefined;
  do {
    let page;
    try {
      page = await backend.client.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId, MaxResults: 100, ...(next ? { NextToken: next } : {}) }));
    } catch (err) {
      if (isEfsError(err, 'FileSystemNotFound')) return null;
      throw err;
    }
    const accessPoint = (page.AccessPoints ?? []).find(isInstance);
    if (accessPoint) return accessPoint;
    next = page.NextToken;
  } while (next);
  return null;
}

/** The instance's access point; DriverError when it does not exist. */
export async function existingAccessPoint(backend: EfsBackend, instance: ShareInstance): Promise<AccessPointInstance> {
  const pool = backend.poolOf(instance);
  const fileSystemId = pool.file_system_id!;
  const accessPoint = await findAccessPoint(backend, instance, fileSystemId);
  if (!accessPoint) {
    throw new DriverError(`Instance ${instance.id} does not exist on ${backend.backendHost} (no access point of ${fileSystemId} is its)`, {
      shareId: instance.share_id,
    });
  }
  return { pool, fileSystemId, accessPoint };
}
