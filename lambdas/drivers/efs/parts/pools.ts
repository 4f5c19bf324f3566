/**
 * The pools part: each pool's capabilities for the scheduler. Access-point pools report their file system
 * (DescribeFileSystems by id); file-system pools report the file systems this backend created in them.
 */
import type { FileSystemDescription } from '@aws-sdk/client-efs';
import { DriverError } from '../../../core/errors.ts';
import type { PoolCapabilities } from '../../../core/model.ts';
import { MetadataCapability, type MetadataKind } from '../../../core/pools/metadata.ts';
import { EFS_DRIVER_VERSION, EFS_STORAGE_PROTOCOL, EFS_VENDOR_NAME, sizeOf, tagValue, type EfsBackend } from '../backend.ts';
import { EfsMode, type ResolvedEfsFileSystemSettings, type ResolvedEfsPool } from '../config.ts';
import { allFileSystems, describeFileSystem } from '../lookups/file-systems.ts';
import { EfsTag } from '../naming.ts';
import type { EfsPoolsPart } from '../parts.ts';

const GIB = 1024 ** 3;

async function listPools(backend: EfsBackend): Promise<PoolCapabilities[]> {
  const { config } = backend;
  if (config.mode === EfsMode.ACCESS_POINT) {
    return Promise.all(config.pools.map(async (pool) => {
      const fileSystem = await describeFileSystem(backend, pool.file_system_id!);
      if (!fileSystem) {
        throw new DriverError(`${backend.backendHost}: file system ${pool.file_system_id} of pool "${pool.name}" does not exist in ${config.region}`);
      }
      return capabilities(backend, pool, sizeOf(fileSystem), { ...fileSystemCapabilities(fileSystem), ...manilaZone(backend, fileSystem.AvailabilityZoneName) });
    }));
  }
  const managed = (await allFileSystems(backend)).filter(
    (fileSystem) => tagValue(fileSystem.Tags, EfsTag.BACKEND) === backend.backendHost && fileSystem.LifeCycleState !== 'deleted',
  );
  return config.pools.map((pool) => {
    const mine = managed.filter((fileSystem) => tagValue(fileSystem.Tags, EfsTag.POOL) === pool.name);
    const used = mine.reduce((sum, fileSystem) => sum + sizeOf(fileSystem), 0);
    return capabilities(backend, pool, used, { ...settingsCapabilities(pool.file_system!), efs_file_systems: mine.length, ...manilaZone(backend, pool.file_system!.availability_zone) });
  });
}

function capabilities(backend: EfsBackend, pool: ResolvedEfsPool, usedBytes: number, extra: Record<string, unknown>): PoolCapabilities {
  return {
    pool_name: pool.name,
    share_backend_name: backend.config.share_backend_name,
    vendor_name: EFS_VENDOR_NAME,
    driver_version: EFS_DRIVER_VERSION,
    storage_protocol: EFS_STORAGE_PROTOCOL,
    total_capacity_gb: pool.total_capacity_gb,
    free_capacity_gb: roundDown(Math.max(0, pool.total_capacity_gb - usedBytes / GIB)),
    reserved_percentage: 0,
    driver_handles_share_servers: backend.driverHandlesShareServers,
    snapshot_support: false,
    create_share_from_snapshot_support: false,
    revert_to_snapshot_support: false,
    mount_snapshot_support: false,
    security_service_types: [],
    efs_mode: backend.config.mode,
    efs_region: backend.config.region,
    efs_metered_size_gb: roundDown(usedBytes / GIB),
    ...metadataCapabilities(backend),
    ...extra,
  };
}

/**
 * What an instance keeps of the metadata the copy task writes. EFS (NFSv4.0/4.1) stores modes, owners
 * and times (atime too, when set explicitly), and no POSIX ACLs: its user guide lists "Access control
 * lists (ACL)" among the unsupported NFSv4 features. It has no extended attributes either: those need
 * NFSv4.2 (RFC 8276), and EFS speaks 4.0 and 4.1, so the client refuses setxattr (EOPNOTSUPP). An access
 * point with a POSIX user makes every request through it that user's, so everything written gets that
 * owner and a chown to another fails: it keeps no owners, and says which one it forces. A POSIX user
 * of uid 0 is root, whose chown the copy task uses as it does without one (with ClientRootAccess).
 */
function metadataCapabilities(backend: EfsBackend): Record<string, unknown> {
  const configured = backend.config.mode === EfsMode.ACCESS_POINT ? backend.config.posix_user : undefined;
  const posixUser = configured?.uid === 0 ? undefined : configured;
  const kept: MetadataKind[] = posixUser === undefined ? ['modes', 'owners', 'times'] : ['modes', 'times'];
  return {
    [MetadataCapability.PRESERVED]: kept,
    ...(posixUser === undefined ? {} : { [MetadataCapability.FORCED_OWNER]: `${posixUser.uid}:${posixUser.gid}` }),
  };
}

function fileSystemCapabilities(fileSystem: FileSystemDescription): Record<string, unknown> {
  return {
    efs_file_system_id: fileSystem.FileSystemId,
    efs_encrypted: fileSystem.Encrypted === true,
    efs_performance_mode: fileSystem.PerformanceMode,
    efs_throughput_mode: fileSystem.ThroughputMode,
    ...(fileSystem.ProvisionedThroughputInMibps === undefined ? {} : { efs_provisioned_throughput_mibps: fileSystem.ProvisionedThroughputInMibps }),
    efs_availability: fileSystem.AvailabilityZoneName === undefined ? 'regional' : 'one_zone',
    efs_availability_zone: fileSystem.AvailabilityZoneName ?? 'regional',
  };
}

function settingsCapabilities(settings: ResolvedEfsFileSystemSettings): Record<string, unknown> {
  return {
    efs_encrypted: settings.encrypted,
    efs_performance_mode: settings.performance_mode,
    efs_throughput_mode: settings.throughput_mode,
    ...(settings.provisioned_throughput_mibps === undefined ? {} : { efs_provisioned_throughput_mibps: settings.provisioned_throughput_mibps }),
    efs_availability: settings.availability_zone === undefined ? 'regional' : 'one_zone',
    efs_availability_zone: settings.availability_zone ?? 'regional',
  };
}

/**
 * The pool's Manila availability zone (lambdas/core/pools/availability-zones.ts): a One Zone file system's
 * Availability Zone, else the region, which Regional storage spans. Without it every EFS pool was in
 * Manila's default zone, `nova`, whatever its storage.
 */
function manilaZone(backend: EfsBackend, oneZone: string | undefined): { availability_zone: string } {
  return { availability_zone: oneZone ?? backend.config.region };
}

function roundDown(gb: number): number {
  return Math.floor(gb * 100) / 100;
}

export const efsPools: EfsPoolsPart = { listPools };
