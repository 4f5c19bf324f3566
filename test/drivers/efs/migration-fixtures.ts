/** The source and destination of the driver-assisted migration tests, and the EFS answers about them. */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeFileSystemsCommand,
  EFSClient,
  type FileSystemDescription,
  type ReplicationConfigurationDescription,
} from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { parseHost } from '../../../lambdas/core/host.ts';
import type { DriverMigrationRequest } from '../../../lambdas/drivers/driver.ts';
import {
  ACCESS_POINT_BACKEND,
  ACCOUNT,
  FILE_SYSTEM_BACKEND,
  fileSystem,
  GOLD_TYPE,
  instance,
  makeRegistry,
  PREFIX,
  ROLE_ARN,
  T0,
  TOKEN,
} from './fixtures.ts';

export const efs = mockClient(EFSClient);
/** CloudWatch's answers (ClientConnections). */
export const cloudWatch = mockClient(CloudWatchClient);

/**
 * ClientConnections of the source as CloudWatch reports it: one Sum per minute, by the minute's start;
 * a minute left out reports no datapoint.
 */
export function clientConnections(perMinute: ReadonlyArray<readonly [number, number]>): void {
  cloudWatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [{ Id: 'connections', Label: 'ClientConnections', Timestamps: perMinute.map(([at]) => new Date(at)), Values: perMinute.map(([, n]) => n), StatusCode: 'Complete' }],
  });
}

export const SRC = 'fs-0a0a0a0a0a0a0a0a0';
export const DST = 'fs-0b0b0b0b0b0b0b0b0';
export const SRC_ARN = `arn:aws:elasticfilesystem:eu-west-1:${ACCOUNT}:file-system/${SRC}`;
export const DEST_ID = '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a';
export const DEST_TOKEN = `smig-${DEST_ID}`;
export const DEST_SUBNET = 'subnet-0eeeeeeeeeeeeeee1';
export const DR_BACKEND = {
  kind: 'efs' as const,
  backend: 'dr',
  region: 'eu-central-1',
  mode: 'file-system' as const,
  mount_target_subnets: { 'eu-central-1a': DEST_SUBNET },
  wait_timeout_seconds: 60,
  poll_interval_seconds: 10,
};
export const RW_STATEMENT = { Sid: `${PREFIX}Rule11111111222243338444555555555555Rw`, Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'], Resource: SRC_ARN };

export const source = instance({ host: 'efs@dedicated#default', share_type_id: 'type-plain' });
export const destination = instance({ id: DEST_ID, host: 'efs@dr#default', status: 'migrating_to', share_type_id: GOLD_TYPE.id });
export const request: DriverMigrationRequest = { source, destination, destinationHost: parseHost('efs@dr#default') };

export const registry = () => makeRegistry([FILE_SYSTEM_BACKEND, DR_BACKEND, ACCESS_POINT_BACKEND]);
export const driver = () => registry().forHost('efs@dedicated');

export function sourceFs(overrides: Partial<FileSystemDescription> = {}): FileSystemDescription {
  return fileSystem({ FileSystemId: SRC, CreationToken: TOKEN, SizeInBytes: { Value: 400 }, ...overrides });
}

export function destinationFs(overrides: Partial<FileSystemDescription> = {}): FileSystemDescription {
  return fileSystem({
    FileSystemId: DST,
    CreationToken: DEST_TOKEN,
    FileSystemArn: `arn:aws:elasticfilesystem:eu-central-1:${ACCOUNT}:file-system/${DST}`,
    SizeInBytes: { Value: 100 },
    ...overrides,
  });
}

export function replication(last?: Date, status: 'ENABLED' | 'ERROR' = 'ENABLED'): ReplicationConfigurationDescription {
  return {
    SourceFileSystemId: SRC,
    SourceFileSystemRegion: 'eu-west-1',
    SourceFileSystemArn: SRC_ARN,
    OriginalSourceFileSystemArn: SRC_ARN,
    CreationTime: new Date(T0 - 3_600_000),
    Destinations: [{ Status: status, FileSystemId: DST, Region: 'eu-central-1', ...(last ? { LastReplicatedTimestamp: last } : {}), ...(status === 'ERROR' ? { StatusMessage: 'KMS key disabled' } : {}) }],
  };
}

/** The file systems as DescribeFileSystems finds them, by creation token and by id. */
export function fileSystems(src: FileSystemDescription | null, dst: FileSystemDescription | null): void {
  efs.on(DescribeFileSystemsCommand, { CreationToken: TOKEN }).resolves({ FileSystems: src ? [src] : [] });
  efs.on(DescribeFileSystemsCommand, { CreationToken: DEST_TOKEN }).resolves({ FileSystems: dst ? [dst] : [] });
  if (dst) efs.on(DescribeFileSystemsCommand, { FileSystemId: DST }).resolves({ FileSystems: [dst] });
}

export async function regionOf(call: { thisValue: unknown }): Promise<string> {
  return (call.thisValue as EFSClient).config.region();
}
