/**
 * Names the EFS driver derives from ids, so that every retried call finds what an earlier one made:
 * client and creation tokens, the folder of an access point, policy statement ids, tags, export
 * locations, and the copy task's mount path.
 */
import { createHash } from 'node:crypto';
import { DriverError } from '../../core/errors.ts';
import type { ExportLocation, ShareInstance } from '../../core/model.ts';

/** The folder under which each access-point instance gets `share-<instance id>`. */
export const SHARES_FOLDER = '/shares';
/** Where the copy task's container mounts each instance: `<COPY_MOUNT_ROOT>/<instance id>`. */
export const COPY_MOUNT_ROOT = '/mnt/efs';
/** Where a purge task's container mounts a file system's root: `<PURGE_MOUNT_ROOT>/<file system id>`. */
export const PURGE_MOUNT_ROOT = '/mnt/efs-root';
/** The scheme of the admin-only export location that names an instance's access point. */
export const ACCESS_POINT_SCHEME = 'efs-ap://';

/** Tags the driver puts on what it creates (and reads back to recognise it). */
export const EfsTag = {
  NAME: 'Name',
  INSTANCE_ID: 'smig:instance-id',
  SHARE_ID: 'smig:share-id',
  BACKEND: 'smig:backend',
  POOL: 'smig:pool',
  /** On a migration's source file system: when it went read-only for the final replication (ISO 8601). */
  READ_ONLY_SINCE: 'smig:read-only-since',
  /** On a migration's source file system: the destination it was switched to (the switch is committed). */
  MIGRATED_TO: 'smig:migrated-to',
} as const;

const TOKEN_SAFE = /^[A-Za-z0-9_.-]{1,59}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FOLDER_SAFE = /^[A-Za-z0-9_.-]+$/;

/**
 * The ClientToken of an instance's access point and the CreationToken of its file system (EFS takes up
 * to 64 ASCII characters): `smig-<instance id>`, or a digest of the id when it does not fit.
 */
export function creationToken(instanceId: string): string {
  return TOKEN_SAFE.test(instanceId) ? `smig-${instanceId}` : `smig-${sha256(instanceId).slice(0, 59)}`;
}

/** 32 lowercase hex digits for an id: a UUID without its dashes, anything else digested. Statement ids allow only [A-Za-z0-9]. */
export function idDigits(id: string): string {
  return UUID.test(id) ? id.replace(/-/g, '').toLowerCase() : sha256(id).slice(0, 32);
}

/** Every policy statement of an instance starts with this (fixed length, so no instance's prefix is another's). */
export function statementPrefix(instanceId: string): string {
  return `Smig${idDigits(instanceId)}`;
}

/** `/shares/share-<instance id>` */
export function instanceFolder(instance: ShareInstance): string {
  if (!FOLDER_SAFE.test(instance.id) || instance.id.startsWith('.')) {
    throw new DriverError(`Instance id "${instance.id}" cannot name a folder`, { shareId: instance.share_id });
  }
  return `${SHARES_FOLDER}/share-${instance.id}`;
}

/** `/mnt/efs/<instance id>`: where the copy task definition mounts the instance's volume. */
export function copyMountPath(instanceId: string): string {
  return `${COPY_MOUNT_ROOT}/${instanceId}`;
}

/** `/mnt/efs-root/<file system id>`: where the purge task definition mounts the file system's root. */
export function purgeMountPath(fileSystemId: string): string {
  return `${PURGE_MOUNT_ROOT}/${fileSystemId}`;
}

/** The file system's DNS name; the China regions live under amazonaws.com.cn. */
export function fileSystemDnsName(fileSystemId: string, region: string): string {
  return `${fileSystemId}.efs.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/**
 * An access-point instance's export locations:
 * 1. `fs-123.efs.eu-west-1.amazonaws.com:/shares/share-<id>`, preferred, for everyone: the folder over NFS.
 * 2. `efs-ap://fsap-123`, admin only: the access point, for IAM-authorized mounts
 *    (`mount -t efs -o tls,iam,accesspoint=fsap-123 fs-123:/ /mnt`) and the copy task's volume.
 */
export function accessPointExportLocations(fileSystemId: string, region: string, folder: string, accessPointId: string): ExportLocation[] {
  const nfs = `${fileSystemDnsName(fileSystemId, region)}:${folder}`;
  const ap = `${ACCESS_POINT_SCHEME}${accessPointId}`;
  return [
    { id: stableId(`${region}:${nfs}`), path: nfs, preferred: true, is_admin_only: false },
    { id: stableId(`${region}:${ap}`), path: ap, preferred: false, is_admin_only: true },
  ];
}

/** A file-system instance's export location: `fs-123.efs.eu-west-1.amazonaws.com:/`. */
export function fileSystemExportLocations(fileSystemId: string, region: string): ExportLocation[] {
  const nfs = `${fileSystemDnsName(fileSystemId, region)}:/`;
  return [{ id: stableId(`${region}:${nfs}`), path: nfs, preferred: true, is_admin_only: false }];
}

/** The access point id an instance's export locations name, if any. */
export function accessPointIdFrom(locations: readonly ExportLocation[]): string | undefined {
  const location = locations.find((candidate) => candidate.path.startsWith(ACCESS_POINT_SCHEME));
  const id = location?.path.slice(ACCESS_POINT_SCHEME.length);
  return id !== undefined && /^fsap-[0-9a-f]{8,40}$/.test(id) ? id : undefined;
}

/**
 * An EFS volume of the copy task's per-migration task definition (ECS `efsVolumeConfiguration` with
 * transit encryption and IAM authorization), mounted in the copy container at `containerPath`.
 */
export interface EfsVolume {
  readonly fileSystemId: string;
  /** The instance's access point; absent for a whole-file-system instance (mount `rootDirectory`). */
  readonly accessPointId?: string;
  /** `/mnt/efs/<instance id>` */
  readonly containerPath: string;
  /** ECS mounts only file systems of its own region: a copy across regions needs another path. */
  readonly region: string;
  /** The folder mounted when there is no access point. */
  readonly rootDirectory: string;
}

const NFS_LOCATION = /^(fs-[0-9a-f]{8,40})\.efs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?:(\/.*)$/;

/**
 * The copy task's volume for an instance, from the export locations the EFS driver gave it (so the
 * pipeline can build the task definition from the share record alone). DriverError for an instance
 * whose export locations are not an EFS driver's.
 */
export function efsVolumeFor(instance: ShareInstance): EfsVolume {
  const nfs = instance.export_locations.map((location) => NFS_LOCATION.exec(location.path)).find((match) => match !== null);
  if (!nfs) {
    throw new DriverError(`Instance ${instance.id} has no EFS export location (on ${instance.host})`, { shareId: instance.share_id });
  }
  const [, fileSystemId, region, folder] = nfs as unknown as [string, string, string, string];
  const accessPointId = accessPointIdFrom(instance.export_locations);
  if (accessPointId === undefined && folder !== '/') {
    throw new DriverError(`Instance ${instance.id} is an access-point instance, but its export locations name no access point`, {
      shareId: instance.share_id,
    });
  }
  return {
    fileSystemId,
    ...(accessPointId === undefined ? {} : { accessPointId }),
    containerPath: copyMountPath(instance.id),
    region,
    rootDirectory: accessPointId === undefined ? folder : '/',
  };
}

/** A UUID-shaped id derived from `seed`, so an instance always reports the same export location ids. */
export function stableId(seed: string): string {
  const hex = sha256(seed);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
