/** Reading replications (DescribeReplicationConfigurations only). */
import { DescribeReplicationConfigurationsCommand, type Destination, type FileSystemDescription, type ReplicationConfigurationDescription } from '@aws-sdk/client-efs';
import type { EfsBackend } from '../backend.ts';
import { isEfsError } from '../client.ts';

/** The replication whose source is `fileSystemId`, or null. */
export async function replicationOf(backend: EfsBackend, fileSystemId: string): Promise<ReplicationConfigurationDescription | null> {
  try {
    const { Replications: found = [] } = await backend.client.send(new DescribeReplicationConfigurationsCommand({ FileSystemId: fileSystemId }));
    return found.find((replication) => replication.SourceFileSystemId === fileSystemId) ?? null;
  } catch (err) {
    if (isEfsError(err, 'ReplicationNotFound', 'FileSystemNotFound')) return null;
    throw err;
  }
}

/** The replication of `source` into `destination`, or undefined. */
export async function replicationTo(backend: EfsBackend, source: FileSystemDescription, destination: FileSystemDescription): Promise<Destination | undefined> {
  const replication = await replicationOf(backend, source.FileSystemId!);
  return replication?.Destinations?.find((candidate) => candidate.FileSystemId === destination.FileSystemId);
}
