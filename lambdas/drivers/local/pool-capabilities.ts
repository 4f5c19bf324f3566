import { mkdir, readdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { PoolCapabilities } from '../../core/model.ts';
import { MetadataCapability, METADATA_KINDS } from '../../core/pools/metadata.ts';
import type { LocalPoolConfig } from './config.ts';
import { readJson } from './fs-util.ts';
import type { InstanceLocator } from './instance-locator.ts';
import { LocalInstanceFiles, type LocalInstanceRecord } from './records.ts';

export const LOCAL_DRIVER_VERSION = '1.0.0';
export const LOCAL_VENDOR_NAME = 'share-migration';
export const LOCAL_STORAGE_PROTOCOL = 'NFS_CIFS';

const GIB = 1024 ** 3;

/**
 * What a local pool reports to the scheduler: its file system's size and free space, or the capacity its
 * config gives less what its instances were allocated, and what the backend can do.
 */
export async function poolCapabilities(locator: InstanceLocator, pool: LocalPoolConfig): Promise<PoolCapabilities> {
  const { config } = locator;
  const dir = locator.poolPath(pool.name);
  await mkdir(dir, { recursive: true });
  const fs = await statfs(dir);
  const fsTotal = (fs.blocks * fs.bsize) / GIB;
  const fsFree = (fs.bavail * fs.bsize) / GIB;
  const allocated = await allocatedGb(dir);
  const total = pool.total_capacity_gb ?? fsTotal;
  const free = pool.total_capacity_gb === undefined ? fsFree : Math.min(fsFree, Math.max(0, pool.total_capacity_gb - allocated));
  return {
    pool_name: pool.name,
    share_backend_name: config.share_backend_name,
    vendor_name: LOCAL_VENDOR_NAME,
    driver_version: LOCAL_DRIVER_VERSION,
    storage_protocol: LOCAL_STORAGE_PROTOCOL,
    total_capacity_gb: roundDown(total),
    free_capacity_gb: roundDown(free),
    allocated_capacity_gb: allocated,
    reserved_percentage: 0,
    driver_handles_share_servers: config.driver_handles_share_servers,
    snapshot_support: config.snapshot_support,
    // A new share's data is cloned from one of its snapshots in the same pool (snapshots.ts cloneSnapshotData).
    create_share_from_snapshot_support: config.snapshot_support,
    revert_to_snapshot_support: false,
    mount_snapshot_support: false,
    security_service_types: [...config.security_service_types],
    ...(config.availability_zone !== undefined ? { availability_zone: config.availability_zone } : {}),
    [MetadataCapability.PRESERVED]: [...(config.metadata_preserved ?? METADATA_KINDS)],
  };
}

/** The sum of the sizes of the instances in a pool folder. */
export async function allocatedGb(poolDir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(poolDir)) {
    if (!name.startsWith('share-')) continue;
    const record = (await readJson(path.join(poolDir, name, LocalInstanceFiles.INSTANCE))) as LocalInstanceRecord | undefined;
    total += record?.size_gb ?? 0;
  }
  return total;
}

function roundDown(gb: number): number {
  return Math.floor(gb * 100) / 100;
}
