/**
 * The replication part: driver-assisted migration of a file-system instance by EFS replication, to a
 * file system the driver creates in the destination backend (this one or another of the registry, any
 * region). The switchover and its undoing are in replication-switch.ts.
 */
import {
  CreateReplicationConfigurationCommand,
  UpdateFileSystemProtectionCommand,
  type Destination,
  type FileSystemDescription,
  type ReplicationConfigurationDescription,
} from '@aws-sdk/client-efs';
import { DriverError, type ErrorIds } from '../../../core/errors.ts';
import type { Host } from '../../../core/host.ts';
import type { ShareInstance } from '../../../core/model.ts';
import type { DriverMigrationRequest, DriverMigrationStatus, MigrationCompatibility } from '../../driver.ts';
import { sizeOf, tagValue, type EfsBackend } from '../backend.ts';
import { isEfsError } from '../client.ts';
import { findFileSystem } from '../lookups/file-systems.ts';
import { replicationOf, replicationTo } from '../lookups/replications.ts';
import { EfsTag } from '../naming.ts';
import type { EfsReplicationPart } from '../parts.ts';
import { ensureFileSystem, ensureMountTargets } from './file-system-lifecycle.ts';
import { checkDestinationHost, compatibility, migrationPair, notStarted } from './replication-pair.ts';
import { migrationCancel, migrationComplete } from './replication-switch.ts';

const PHASE1_DONE: DriverMigrationStatus = { phase1Done: true, totalProgress: 100 };
const NOT_STARTED: DriverMigrationStatus = { phase1Done: false, totalProgress: 0 };

async function migrationCheckCompatibility(backend: EfsBackend, source: ShareInstance, destinationHost: Host): Promise<MigrationCompatibility> {
  return compatibility(backend, source, destinationHost);
}

/**
 * Creates the destination file system (the destination's share type settings, in the destination
 * backend's region, with its mount targets), opens it to replication, and replicates the source to it.
 * The destination is made by the driver rather than by EFS replication so that settings replication
 * would copy from the source (performance and throughput modes) follow the destination's type.
 */
async function migrationStart(backend: EfsBackend, request: DriverMigrationRequest): Promise<void> {
  const ids = { shareId: request.source.share_id };
  const compatible = await compatibility(backend, request.source, request.destinationHost);
  if (!compatible.compatible) {
    throw new DriverError(`${backend.backendHost} cannot migrate instance ${request.source.id}: ${compatible.reason}`, ids);
  }
  checkDestinationHost(request);
  const peer = backend.peerFor(request.destinationHost)!;
  const source = (await findFileSystem(backend, request.source))!;
  const type = await peer.specsOf(request.destination);
  const pool = peer.pools.get(request.destinationHost.pool)!;
  const destination = await ensureFileSystem(peer, request.destination, pool, type, backend.deadline());
  const destinationId = destination.FileSystemId!;
  if (destination.FileSystemProtection?.ReplicationOverwriteProtection === 'ENABLED') {
    await peer.client.send(new UpdateFileSystemProtectionCommand({ FileSystemId: destinationId, ReplicationOverwriteProtection: 'DISABLED' }));
  }
  await ensureMountTargets(peer, destination, ids);
  const existing = await replicationOf(backend, source.FileSystemId!);
  if (existing) {
    checkReplicationTarget(existing, destinationId, ids);
    return;
  }
  try {
    await backend.client.send(new CreateReplicationConfigurationCommand({
      SourceFileSystemId: source.FileSystemId,
      Destinations: [{ Region: peer.config.region, FileSystemId: destinationId }],
    }));
  } catch (err) {
    if (!isEfsError(err, 'ReplicationAlreadyExists')) throw err;
    const raced = await replicationOf(backend, source.FileSystemId!);
    if (!raced) throw err;
    checkReplicationTarget(raced, destinationId, ids);
  }
}

/** Phase 1 is done once the replication has completed its first sync (LastReplicatedTimestamp is set). */
async function migrationContinue(backend: EfsBackend, request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
  const { source, destination } = await migrationPair(backend, request);
  const replication = source && destination ? await replicationTo(backend, source, destination) : undefined;
  if (!source || !destination || !replication) throw notStarted(request);
  if (replication.Status === 'ERROR') {
    throw new DriverError(`EFS replication from ${source.FileSystemId} to ${destination.FileSystemId} failed: ${replication.StatusMessage ?? 'no reason given'}`, {
      shareId: request.source.share_id,
    });
  }
  return replicationStatus(replication, source, destination);
}

/** As migrationContinue, without failing; 100 after the switch. */
async function migrationGetProgress(backend: EfsBackend, request: DriverMigrationRequest): Promise<DriverMigrationStatus> {
  const { source, destination } = await migrationPair(backend, request);
  if (!source || !destination) return NOT_STARTED;
  if (tagValue(source.Tags, EfsTag.MIGRATED_TO) === destination.FileSystemId) return PHASE1_DONE;
  const replication = await replicationTo(backend, source, destination);
  return replication ? replicationStatus(replication, source, destination) : NOT_STARTED;
}

function checkReplicationTarget(replication: ReplicationConfigurationDescription, destinationId: string, ids: ErrorIds): void {
  if (replication.Destinations?.some((candidate) => candidate.FileSystemId === destinationId)) return;
  const others = (replication.Destinations ?? []).map((candidate) => `${candidate.FileSystemId} in ${candidate.Region}`).join(', ');
  throw new DriverError(
    `File system ${replication.SourceFileSystemId} already replicates to ${others || 'another file system'}; EFS allows one replication per file system: delete that one first`,
    ids,
  );
}

/** Phase 1 is done after the first sync; before it, the destination's metered size over the source's, short of 100. */
function replicationStatus(replication: Destination, source: FileSystemDescription, destination: FileSystemDescription): DriverMigrationStatus {
  if (replication.LastReplicatedTimestamp !== undefined) return PHASE1_DONE;
  const total = sizeOf(source);
  const done = total === 0 ? 0 : Math.min(99, Math.floor((sizeOf(destination) / total) * 100));
  return { phase1Done: false, totalProgress: done };
}

export const efsReplication: EfsReplicationPart = {
  migrationCheckCompatibility,
  migrationStart,
  migrationContinue,
  migrationComplete,
  migrationCancel,
  migrationGetProgress,
};
