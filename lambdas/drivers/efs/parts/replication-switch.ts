/**
 * The switchover of a driver-assisted migration (migrationComplete) and its undoing before it is committed
 * (migrationCancel). Every stage is recorded on EFS (the source's tags and policy), so a call that fails or
 * runs out of waiting time resumes where it stopped.
 */
import { DeleteReplicationConfigurationCommand, TagResourceCommand, UntagResourceCommand, type FileSystemDescription } from '@aws-sdk/client-efs';
import { DriverError, DriverMigrationCommittedError, type ErrorIds } from '../../../core/errors.ts';
import type { ExportLocation, ShareInstance } from '../../../core/model.ts';
import type { DriverMigrationRequest } from '../../driver.ts';
import { tagValue, type Deadline, type EfsBackend } from '../backend.ts';
import { isEfsError } from '../client.ts';
import { EfsNotReadyError } from '../errors.ts';
import { describeFileSystem } from '../lookups/file-systems.ts';
import { waitForMountTargets } from '../lookups/mount-targets.ts';
import { replicationOf, replicationTo } from '../lookups/replications.ts';
import { EfsTag, fileSystemExportLocations, statementPrefix } from '../naming.ts';
import { withReadOnly } from '../policy.ts';
import { writersSince } from './client-connections.ts';
import { deleteFileSystem } from './file-system-lifecycle.ts';
import { updatePolicy } from './file-system-policy.ts';
import { migrationPair, notStarted } from './replication-pair.ts';

/**
 * The switchover: the source goes read-only (its policy statements lose ClientWrite and a Deny of
 * ClientWrite is added; the moment is kept in the source's `smig:read-only-since` tag), then a wait until
 * CloudWatch reports a minute without client connections after that moment (EfsNotReadyError until then:
 * clients connected before keep their write access), then a wait for a replication sync that finished
 * after that quiet minute; the switch is recorded (`smig:migrated-to`), the
 * replication deleted so the destination becomes writable, and the destination's export locations
 * returned once its mount targets are available. The source file system is kept, read-only and tagged.
 */
export async function migrationComplete(backend: EfsBackend, request: DriverMigrationRequest): Promise<readonly ExportLocation[]> {
  const ids = { shareId: request.source.share_id };
  const { peer, source, destination } = await migrationPair(backend, request);
  if (!destination) throw notStarted(request);
  if (!source) throw new DriverError(`The source file system of instance ${request.source.id} does not exist on ${backend.backendHost}`, ids);
  const sourceId = source.FileSystemId!;
  const destinationId = destination.FileSystemId!;
  const deadline = backend.deadline();
  if (tagValue(source.Tags, EfsTag.MIGRATED_TO) !== destinationId) {
    const replication = await replicationTo(backend, source, destination);
    if (!replication) throw notStarted(request);
    const readOnlySince = await makeSourceReadOnly(backend, request.source, source);
    // The policy holds only for clients that connect from then on: a client connected before keeps writing
    // until it disconnects, and what it writes must be in the final sync. So the sync that counts is one
    // after the last such client was gone (ClientConnections), not merely after the policy changed.
    const writersGoneSince = request.writersGoneSince ?? (await writersGone(backend, sourceId, readOnlySince, ids));
    await waitForSyncAfter(backend, source, destination, writersGoneSince, ids, deadline);
    await backend.client.send(new TagResourceCommand({ ResourceId: sourceId, Tags: [{ Key: EfsTag.MIGRATED_TO, Value: destinationId }] }));
    try {
      await backend.client.send(new DeleteReplicationConfigurationCommand({ SourceFileSystemId: sourceId }));
    } catch (err) {
      if (!isEfsError(err, 'ReplicationNotFound')) throw err;
    }
  }
  await waitUntilWritable(peer, destinationId, ids, deadline);
  await waitForMountTargets(peer, destination, ids, deadline);
  return fileSystemExportLocations(destinationId, peer.config.region);
}

/**
 * Deletes the replication and the destination file system, and gives the source back its write access if
 * migrationComplete had taken it. Refused with DriverMigrationCommittedError once the switch is recorded:
 * the destination may then hold the only current data.
 */
export async function migrationCancel(backend: EfsBackend, request: DriverMigrationRequest): Promise<void> {
  const ids = { shareId: request.source.share_id };
  const { peer, source, destination } = await migrationPair(backend, request);
  const deadline = backend.deadline();
  if (source && destination && tagValue(source.Tags, EfsTag.MIGRATED_TO) === destination.FileSystemId) {
    throw new DriverMigrationCommittedError(
      `Migration of instance ${request.source.id} was already switched to file system ${destination.FileSystemId}; nothing was deleted`,
      ids,
    );
  }
  if (source) {
    if (destination && (await replicationTo(backend, source, destination))) {
      try {
        await backend.client.send(new DeleteReplicationConfigurationCommand({ SourceFileSystemId: source.FileSystemId }));
      } catch (err) {
        if (!isEfsError(err, 'ReplicationNotFound')) throw err;
      }
      await backend.poll(deadline, ids, async () => {
        const replication = await replicationOf(backend, source.FileSystemId!);
        return replication ? { waiting: `the replication of ${source.FileSystemId} is still ${replication.Destinations?.[0]?.Status ?? 'present'}` } : { value: true };
      });
    }
    if (tagValue(source.Tags, EfsTag.READ_ONLY_SINCE) !== undefined) {
      const target = { fileSystemArn: backend.fileSystemArn(source), sidPrefix: statementPrefix(request.source.id) };
      await updatePolicy(backend, source.FileSystemId!, (policy) => withReadOnly(policy, target, false));
      await backend.client.send(new UntagResourceCommand({ ResourceId: source.FileSystemId, TagKeys: [EfsTag.READ_ONLY_SINCE] }));
    }
  }
  if (destination) await deleteFileSystem(peer, destination, ids, deadline);
}

/** Read-only for the final sync: the policy first, then the moment, so the moment is after the policy took effect. */
async function makeSourceReadOnly(backend: EfsBackend, instance: ShareInstance, source: FileSystemDescription): Promise<Date> {
  const target = { fileSystemArn: backend.fileSystemArn(source), sidPrefix: statementPrefix(instance.id) };
  await updatePolicy(backend, source.FileSystemId!, (policy) => withReadOnly(policy, target, true));
  const recorded = tagValue(source.Tags, EfsTag.READ_ONLY_SINCE);
  if (recorded !== undefined && !Number.isNaN(Date.parse(recorded))) return new Date(recorded);
  const now = backend.now();
  await backend.client.send(new TagResourceCommand({ ResourceId: source.FileSystemId, Tags: [{ Key: EfsTag.READ_ONLY_SINCE, Value: now.toISOString() }] }));
  return now;
}

/** The end of the first minute without client connections after `readOnlySince`; EfsNotReadyError until CloudWatch reports one. */
async function writersGone(backend: EfsBackend, fileSystemId: string, readOnlySince: Date, ids: ErrorIds): Promise<Date> {
  const writers = await writersSince(backend, fileSystemId, readOnlySince, 'instance');
  if (!writers.clear || writers.clearSince === undefined) {
    throw new EfsNotReadyError(`${backend.backendHost}: ${writers.detail}; they may still write to the source, so the final sync cannot start yet; calling again resumes`, ids);
  }
  return new Date(writers.clearSince);
}

/** Until a sync finished after `since`: then every write the source acknowledged before it went read-only is on the destination. */
async function waitForSyncAfter(
  backend: EfsBackend,
  source: FileSystemDescription,
  destination: FileSystemDescription,
  since: Date,
  ids: ErrorIds,
  deadline: Deadline,
): Promise<void> {
  await backend.poll(deadline, ids, async () => {
    const replication = await replicationTo(backend, source, destination);
    if (!replication) throw new DriverError(`The replication from ${source.FileSystemId} to ${destination.FileSystemId} disappeared before the final sync`, ids);
    if (replication.Status === 'ERROR') {
      throw new DriverError(`EFS replication from ${source.FileSystemId} to ${destination.FileSystemId} failed: ${replication.StatusMessage ?? 'no reason given'}`, ids);
    }
    const last = replication.LastReplicatedTimestamp;
    return last !== undefined && last.getTime() > since.getTime()
      ? { value: true }
      : {
          waiting: `EFS replication from ${source.FileSystemId} to ${destination.FileSystemId} has not synced since the source went read-only at ${since.toISOString()} (last sync: ${last?.toISOString() ?? 'none'})`,
        };
  });
}

/** A replication destination is read-only until its replication is deleted; EFS then lifts the protection. */
async function waitUntilWritable(backend: EfsBackend, fileSystemId: string, ids: ErrorIds, deadline: Deadline): Promise<void> {
  await backend.poll(deadline, ids, async () => {
    const fileSystem = await describeFileSystem(backend, fileSystemId);
    if (!fileSystem) throw new DriverError(`Destination file system ${fileSystemId} does not exist`, ids);
    return fileSystem.FileSystemProtection?.ReplicationOverwriteProtection === 'REPLICATING'
      ? { waiting: `file system ${fileSystemId} is still a read-only replication destination` }
      : { value: true };
  });
}
