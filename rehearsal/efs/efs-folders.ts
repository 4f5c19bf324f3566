/**
 * EFS file systems as local folders: the emulator holds the file systems and access points (ids, tags,
 * policies), and each file system's data lives in `<root>/<file system id>/`. Mounting a volume answers
 * the folder a task sees: the access point's root directory inside it (made with the access point's
 * CreationInfo on first mount, as EFS does), or the volume's root directory.
 */
import { chown, chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DescribeAccessPointsCommand, DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import type { AwsClientConfig } from '../aws/admin.ts';

export interface EfsVolumeSource {
  readonly fileSystemId: string;
  readonly rootDirectory?: string;
  readonly accessPointId?: string;
}

/** Why EFS would refuse a mount. */
export class EfsMountError extends Error {
  override readonly name = 'EfsMountError';
}

export class EfsFolders {
  readonly root: string;
  private readonly efs: EFSClient;

  constructor(root: string, admin: AwsClientConfig) {
    this.root = root;
    this.efs = new EFSClient(admin);
  }

  /** The data folder of a file system. */
  fileSystemFolder(fileSystemId: string): string {
    if (!/^fs-[0-9a-f]+$/.test(fileSystemId)) throw new Error(`Not a file system id: ${fileSystemId}`);
    return path.join(this.root, fileSystemId);
  }

  /** The folder of an access point's root directory (whether or not it exists yet). */
  async accessPointFolder(accessPointId: string): Promise<string> {
    const accessPoint = await this.describeAccessPoint(accessPointId);
    return path.join(this.fileSystemFolder(accessPoint.FileSystemId!), accessPoint.RootDirectory?.Path ?? '/');
  }

  /** The folder a task sees at a volume's mount point; EfsMountError where EFS would fail the mount. */
  async mount(volume: EfsVolumeSource): Promise<string> {
    const fileSystems = await this.efs.send(new DescribeFileSystemsCommand({ FileSystemId: volume.fileSystemId })).catch(() => ({ FileSystems: [] }));
    if ((fileSystems.FileSystems ?? []).length === 0) throw new EfsMountError(`file system ${volume.fileSystemId} does not exist`);
    const base = this.fileSystemFolder(volume.fileSystemId);
    await mkdir(base, { recursive: true });
    if (!volume.accessPointId) {
      const folder = path.join(base, volume.rootDirectory ?? '/');
      if (!(await isFolder(folder))) throw new EfsMountError(`${volume.rootDirectory} does not exist on ${volume.fileSystemId}`);
      return folder;
    }
    const accessPoint = await this.describeAccessPoint(volume.accessPointId);
    if (accessPoint.FileSystemId !== volume.fileSystemId) throw new EfsMountError(`access point ${volume.accessPointId} belongs to ${accessPoint.FileSystemId}, not ${volume.fileSystemId}`);
    const folder = path.join(base, accessPoint.RootDirectory?.Path ?? '/');
    if (!(await isFolder(folder))) {
      const creation = accessPoint.RootDirectory?.CreationInfo;
      if (!creation) throw new EfsMountError(`the root directory of access point ${volume.accessPointId} does not exist and it has no CreationInfo`);
      // EFS makes the missing folders of the path with the access point's owner and mode.
      await mkdir(folder, { recursive: true });
      await chown(folder, Number(creation.OwnerUid), Number(creation.OwnerGid));
      await chmod(folder, Number.parseInt(creation.Permissions ?? '755', 8));
    }
    return folder;
  }

  private async describeAccessPoint(accessPointId: string) {
    const found = await this.efs.send(new DescribeAccessPointsCommand({ AccessPointId: accessPointId })).catch(() => ({ AccessPoints: [] }));
    const accessPoint = found.AccessPoints?.[0];
    if (!accessPoint) throw new EfsMountError(`access point ${accessPointId} does not exist`);
    return accessPoint;
  }
}

async function isFolder(folder: string): Promise<boolean> {
  return (await stat(folder).catch(() => undefined))?.isDirectory() ?? false;
}
