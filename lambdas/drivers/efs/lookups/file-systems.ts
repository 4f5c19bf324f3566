/** Finding file systems (DescribeFileSystems only: a read every part that needs it may share). */
import { DescribeFileSystemsCommand, type FileSystemDescription } from '@aws-sdk/client-efs';
import type { ShareInstance } from '../../../core/model.ts';
import type { EfsBackend } from '../backend.ts';
import { isEfsError } from '../client.ts';
import { creationToken } from '../naming.ts';

/** The file system an instance was created as (by its CreationToken), or null. */
export async function findFileSystem(backend: EfsBackend, instance: ShareInstance): Promise<FileSystemDescription | null> {
  const { FileSystems: found = [] } = await backend.client.send(new DescribeFileSystemsCommand({ CreationToken: creationToken(instance.id) }));
  return found.find((fileSystem) => fileSystem.LifeCycleState !== 'deleted') ?? null;
}

/** The file system `fileSystemId`, or null when it does not exist. */
export async function describeFileSystem(backend: EfsBackend, fileSystemId: string): Promise<FileSystemDescription | null> {
  try {
    const { FileSystems: found = [] } = await backend.client.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId }));
    return found[0] ?? null;
  } catch (err) {
    if (isEfsError(err, 'FileSystemNotFound')) return null;
    throw err;
  }
}

/** Every file system of the account in the backend's region, page by page. */
export async function allFileSystems(backend: EfsBackend): Promise<FileSystemDescription[]> {
  const all: FileSystemDescription[] = [];
  let marker: string | undefined;
  do {
    const page = await backend.client.send(new DescribeFileSystemsCommand(marker ? { Marker: marker } : {}));
    all.push(...(page.FileSystems ?? []));
    marker = page.NextMarker;
  } while (marker);
  return all;
}
