/** Reading mount targets and waiting for them (DescribeMountTargets only). */
import { DescribeMountTargetsCommand, type FileSystemDescription, type MountTargetDescription } from '@aws-sdk/client-efs';
import { DriverError, type ErrorIds } from '../../../core/errors.ts';
import type { Deadline, EfsBackend } from '../backend.ts';
import { isEfsError } from '../client.ts';

/** The mount targets of a file system; none when the file system does not exist. */
export async function mountTargets(backend: EfsBackend, fileSystemId: string): Promise<MountTargetDescription[]> {
  const all: MountTargetDescription[] = [];
  let marker: string | undefined;
  do {
    let page;
    try {
      page = await backend.client.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId, ...(marker ? { Marker: marker } : {}) }));
    } catch (err) {
      if (isEfsError(err, 'FileSystemNotFound')) return [];
      throw err;
    }
    all.push(...(page.MountTargets ?? []));
    marker = page.NextMarker;
  } while (marker);
  return all;
}

/** `[zone, subnet]` of every mount target the file system should have: one per configured zone, only its own for One Zone. */
export function wantedSubnets(backend: EfsBackend, fileSystem: FileSystemDescription, ids: ErrorIds): [string, string][] {
  const subnets = Object.entries(backend.config.mount_target_subnets ?? {});
  const zone = fileSystem.AvailabilityZoneName;
  if (zone === undefined) return subnets;
  const own = subnets.filter(([candidate]) => candidate === zone);
  if (own.length === 0) throw new DriverError(`One Zone file system ${fileSystem.FileSystemId} is in ${zone}, where ${backend.backendHost} has no mount target subnet`, ids);
  return own;
}

/** Until every wanted mount target is available: ECS cannot mount the file system before. */
export async function waitForMountTargets(backend: EfsBackend, fileSystem: FileSystemDescription, ids: ErrorIds, deadline: Deadline): Promise<void> {
  const fileSystemId = fileSystem.FileSystemId!;
  const wanted = wantedSubnets(backend, fileSystem, ids);
  await backend.poll(deadline, ids, async () => {
    const targets = await mountTargets(backend, fileSystemId);
    const pending = wanted.filter(([zone, subnet]) =>
      !targets.some((target) => (target.SubnetId === subnet || target.AvailabilityZoneName === zone) && target.LifeCycleState === 'available'),
    );
    return pending.length === 0
      ? { value: true }
      : { waiting: `mount targets of ${fileSystemId} in ${pending.map(([zone]) => zone).join(', ')} are not available yet` };
  });
}
