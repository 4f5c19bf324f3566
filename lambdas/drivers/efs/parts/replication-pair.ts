/**
 * The two file systems of a driver-assisted migration and the backends they are on: what every
 * replication call starts from (reads only).
 */
import type { FileSystemDescription } from '@aws-sdk/client-efs';
import { DriverError } from '../../../core/errors.ts';
import { formatHost, type Host } from '../../../core/host.ts';
import type { ShareInstance } from '../../../core/model.ts';
import type { DriverMigrationRequest, MigrationCompatibility } from '../../driver.ts';
import type { EfsBackend } from '../backend.ts';
import { EfsMode } from '../config.ts';
import { findFileSystem } from '../lookups/file-systems.ts';

export interface MigrationPair {
  /** The destination's backend (this one, or another of the registry). */
  readonly peer: EfsBackend;
  readonly source: FileSystemDescription | null;
  readonly destination: FileSystemDescription | null;
}

export const COMPATIBLE: MigrationCompatibility = {
  compatible: true,
  writable: true,
  nondisruptive: false,
  preserve_metadata: true,
  preserve_snapshots: false,
};

function incompatible(reason: string): MigrationCompatibility {
  return { compatible: false, writable: false, nondisruptive: false, preserve_metadata: false, preserve_snapshots: false, reason };
}

/**
 * Compatible only from a file-system instance to a pool of a file-system backend this driver can reach
 * (this one, or another configured EFS backend): EFS replication copies whole file systems.
 */
export async function compatibility(backend: EfsBackend, source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility> {
  backend.poolOf(source);
  if (backend.config.mode !== EfsMode.FILE_SYSTEM) {
    return incompatible(
      `${backend.backendHost} keeps instances as access points of a shared file system; EFS replication copies whole file systems, so this instance moves by the host-assisted copy`,
    );
  }
  const peer = backend.peerFor(destinationHost);
  if (!peer) {
    return incompatible(`${destinationHost.host}@${destinationHost.backend} is not an EFS backend ${backend.backendHost} can reach`);
  }
  if (peer.config.mode !== EfsMode.FILE_SYSTEM) {
    return incompatible(`${peer.backendHost} keeps instances as access points; EFS replication needs a whole file system on both sides`);
  }
  if (!peer.pools.has(destinationHost.pool)) return incompatible(`${peer.backendHost} has no pool "${destinationHost.pool}"`);
  if (!(await findFileSystem(backend, source))) return incompatible(`the file system of instance ${source.id} does not exist on ${backend.backendHost}`);
  return COMPATIBLE;
}

/** The destination's backend and both file systems as they are now (null: not there). */
export async function migrationPair(backend: EfsBackend, request: DriverMigrationRequest): Promise<MigrationPair> {
  backend.poolOf(request.source);
  checkDestinationHost(request);
  const peer = backend.peerFor(request.destinationHost);
  if (!peer || peer.config.mode !== EfsMode.FILE_SYSTEM) {
    throw new DriverError(`${formatHost(request.destinationHost)} is not a file-system EFS backend ${backend.backendHost} can reach`, {
      shareId: request.source.share_id,
    });
  }
  const [source, destination] = await Promise.all([findFileSystem(backend, request.source), findFileSystem(peer, request.destination)]);
  return { peer, source, destination };
}

export function checkDestinationHost(request: DriverMigrationRequest): void {
  const destinationHost = formatHost(request.destinationHost);
  if (request.destination.host !== destinationHost) {
    throw new DriverError(`Destination instance ${request.destination.id} is on ${request.destination.host}, not on ${destinationHost}`, {
      shareId: request.source.share_id,
    });
  }
}

export function notStarted(request: DriverMigrationRequest): DriverError {
  return new DriverError(`Migration of instance ${request.source.id} to ${request.destination.id} was not started (no EFS replication between them)`, {
    shareId: request.source.share_id,
  });
}
