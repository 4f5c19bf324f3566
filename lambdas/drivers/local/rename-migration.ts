import { mkdir, rename, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DriverError } from '../../core/errors.ts';
import { formatHost, type Host } from '../../core/host.ts';
import type { ExportLocation, ShareInstance } from '../../core/model.ts';
import type { DriverMigrationRequest, DriverMigrationStatus, MigrationCompatibility } from '../driver.ts';
import { exists, isErrno, readJson, removeTree, writeJsonAtomic } from './fs-util.ts';
import type { InstanceLocation, InstanceLocator } from './instance-locator.ts';
import { LocalInstanceFiles, type LocalInstanceRecord } from './records.ts';

/**
 * The local driver's driver-assisted migration: between two pools of one backend on one file system, an
 * instance moves with a single rename of its folder (data, modes, owners, times, links, snapshots and
 * bookkeeping all intact, in O(1)). Anything else is refused by the compatibility check and left to the
 * host-assisted copy. A marker under `<root>/.migrations/` records a started migration.
 */

const MIGRATIONS_DIR = '.migrations';

/** `.migrations/<destination instance id>.json`: written by start, removed by complete and cancel. */
interface MigrationMarker {
  readonly version: 1;
  readonly source_instance_id: string;
  readonly destination_instance_id: string;
  readonly source_pool: string;
  readonly destination_pool: string;
  /** The destination pool folder did not exist before: cancel removes it again if it is still empty. */
  readonly created_pool: boolean;
  readonly started_at: string;
}

interface MigrationLocations {
  readonly source: InstanceLocation;
  readonly destination: InstanceLocation;
  readonly marker: string;
}

const COMPATIBLE: MigrationCompatibility = {
  compatible: true,
  writable: true,
  nondisruptive: false,
  preserve_metadata: true,
  preserve_snapshots: true,
};

function incompatible(reason: string): MigrationCompatibility {
  return { compatible: false, writable: false, nondisruptive: false, preserve_metadata: false, preserve_snapshots: false, reason };
}

const PHASE1_DONE: DriverMigrationStatus = { phase1Done: true, totalProgress: 100 };
const NOT_STARTED: DriverMigrationStatus = { phase1Done: false, totalProgress: 0 };

export class RenameMigration {
  readonly #at: InstanceLocator;

  constructor(locator: InstanceLocator) {
    this.#at = locator;
  }

  /** Compatible only between pools of this backend whose folders are on one file system (a rename works). */
  async compatibility(source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility> {
    const { config, backendHost } = this.#at;
    const from = this.#at.locate(source);
    if (config.driver_handles_share_servers) {
      return incompatible(`${backendHost} handles share servers: the local driver does not move instances between share servers`);
    }
    if (destinationHost.host !== config.host || destinationHost.backend !== config.backend) {
      return incompatible(
        `different backend: ${formatHost(destinationHost)} is not on ${backendHost}, and the local driver only moves instances between pools of one backend`,
      );
    }
    if (!this.#at.hasPool(destinationHost.pool)) {
      return incompatible(`unknown pool: ${backendHost} has no pool "${destinationHost.pool}"`);
    }
    const [fromDevice, toDevice] = await Promise.all([
      deviceOf(this.#at.poolPath(from.pool)),
      deviceOf(this.#at.poolPath(destinationHost.pool)),
    ]);
    if (fromDevice !== toDevice) {
      return incompatible(`different file system: pools "${from.pool}" and "${destinationHost.pool}" of ${backendHost} cannot be joined by a rename`);
    }
    return COMPATIBLE;
  }

  /** Checks the preconditions and prepares the destination pool; moves no data. */
  async start(request: DriverMigrationRequest): Promise<void> {
    const compatibility = await this.compatibility(request.source, request.destinationHost);
    if (!compatibility.compatible) {
      throw new DriverError(`${this.#at.backendHost} cannot migrate instance ${request.source.id}: ${compatibility.reason}`, {
        shareId: request.source.share_id,
      });
    }
    const at = this.#locations(request);
    const marker = await readMarker(at.marker);
    if (marker) {
      if (marker.source_instance_id !== request.source.id) {
        throw new DriverError(
          `Destination instance ${request.destination.id} is already the target of a migration from instance ${marker.source_instance_id}`,
          { shareId: request.source.share_id },
        );
      }
      return;
    }
    const [sourceExists, destinationExists] = await Promise.all([exists(at.source.dir), exists(at.destination.dir)]);
    if (!sourceExists && destinationExists) return; // Already completed.
    if (!sourceExists) {
      throw new DriverError(`Source instance ${request.source.id} does not exist at ${at.source.dir}`, { shareId: request.source.share_id });
    }
    if (destinationExists) {
      throw new DriverError(`Destination instance folder ${at.destination.dir} already exists; a rename would overwrite it`, {
        shareId: request.source.share_id,
      });
    }
    const poolDir = this.#at.poolPath(at.destination.pool);
    const createdPool = !(await exists(poolDir));
    await mkdir(poolDir, { recursive: true });
    await mkdir(path.dirname(at.marker), { recursive: true });
    const record: MigrationMarker = {
      version: 1,
      source_instance_id: request.source.id,
      destination_instance_id: request.destination.id,
      source_pool: at.source.pool,
      destination_pool: at.destination.pool,
      created_pool: createdPool,
      started_at: new Date().toISOString(),
    };
    await writeJsonAtomic(at.marker, record);
  }

  /** A rename needs no phase-1 copy: once started, phase 1 is done. */
  async continue(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    const status = await this.status(request);
    if (!status.phase1Done) {
      throw new DriverError(`Migration of instance ${request.source.id} to ${request.destination.id} was not started`, {
        shareId: request.source.share_id,
      });
    }
    return status;
  }

  async status(request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
    const at = this.#locations(request);
    if (await exists(at.marker)) return PHASE1_DONE;
    const [sourceExists, destinationExists] = await Promise.all([exists(at.source.dir), exists(at.destination.dir)]);
    return !sourceExists && destinationExists ? PHASE1_DONE : NOT_STARTED;
  }

  /** Renames the source instance folder to the destination's; run again after success, it changes nothing. */
  async complete(request: DriverMigrationRequest): Promise<readonly ExportLocation[]> {
    const at = this.#locations(request);
    const [sourceExists, destinationExists] = await Promise.all([exists(at.source.dir), exists(at.destination.dir)]);
    if (sourceExists) {
      if (!(await exists(at.marker))) {
        throw new DriverError(`Migration of instance ${request.source.id} to ${request.destination.id} was not started`, {
          shareId: request.source.share_id,
        });
      }
      if (destinationExists) {
        throw new DriverError(`Destination instance folder ${at.destination.dir} appeared after the migration started`, {
          shareId: request.source.share_id,
        });
      }
      await rename(at.source.dir, at.destination.dir);
    } else if (!destinationExists) {
      throw new DriverError(`Neither source ${at.source.dir} nor destination ${at.destination.dir} exists`, {
        shareId: request.source.share_id,
      });
    }
    await rewriteIdentity(at.destination.dir, request.destination, at.destination.pool);
    await removeTree(at.marker);
    return this.#at.exportLocations(at.destination);
  }

  /**
   * Removes what start created; the source is not touched. Should it run after complete (a failure
   * between the rename and the switchover), it renames the folder back, so the source is again exactly
   * as it was.
   */
  async cancel(request: DriverMigrationRequest): Promise<void> {
    const at = this.#locations(request);
    const [sourceExists, destinationExists] = await Promise.all([exists(at.source.dir), exists(at.destination.dir)]);
    if (!sourceExists && destinationExists) {
      await rename(at.destination.dir, at.source.dir);
      await rewriteIdentity(at.source.dir, request.source, at.source.pool);
    }
    const marker = await readMarker(at.marker);
    await removeTree(at.marker);
    if (marker?.created_pool) {
      try {
        await rmdir(this.#at.poolPath(marker.destination_pool));
      } catch (err) {
        // Something else lives there now: it stays.
        if (!isErrno(err, 'ENOTEMPTY', 'EEXIST', 'ENOENT')) throw err;
      }
    }
  }

  #locations(request: DriverMigrationRequest): MigrationLocations {
    const destinationHost = formatHost(request.destinationHost);
    if (request.destination.host !== destinationHost) {
      throw new DriverError(`Destination instance ${request.destination.id} is on ${request.destination.host}, not on ${destinationHost}`, {
        shareId: request.source.share_id,
      });
    }
    return {
      source: this.#at.locate(request.source),
      destination: this.#at.locate(request.destination),
      marker: path.join(this.#at.config.root, MIGRATIONS_DIR, `${request.destination.id}.json`),
    };
  }
}

async function readMarker(file: string): Promise<MigrationMarker | null> {
  return ((await readJson(file)) as MigrationMarker | undefined) ?? null;
}

/** Makes a moved folder's instance.json name the instance it now is. */
async function rewriteIdentity(dir: string, instance: ShareInstance, pool: string): Promise<void> {
  const file = path.join(dir, LocalInstanceFiles.INSTANCE);
  const current = (await readJson(file)) as LocalInstanceRecord | undefined;
  if (current?.instance_id === instance.id && current.pool === pool) return;
  const record: LocalInstanceRecord = {
    version: 1,
    instance_id: instance.id,
    share_id: instance.share_id,
    pool,
    size_gb: current?.size_gb ?? 0,
    share_proto: current?.share_proto ?? 'NFS',
  };
  await writeJsonAtomic(file, record);
}

/** st_dev of a folder, or of its nearest existing ancestor if it does not exist yet. */
async function deviceOf(target: string): Promise<number> {
  try {
    return (await stat(target)).dev;
  } catch (err) {
    const parent = path.dirname(target);
    if (!isErrno(err, 'ENOENT') || parent === target) throw err;
    return deviceOf(parent);
  }
}
