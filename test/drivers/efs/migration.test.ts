import {
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  CreateReplicationConfigurationCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DeleteReplicationConfigurationCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  DescribeReplicationConfigurationsCommand,
  EFSClient,
  FileSystemAlreadyExists,
  PolicyNotFound,
  PutFileSystemPolicyCommand,
  ReplicationNotFound,
  TagResourceCommand,
  ThrottlingException,
  UntagResourceCommand,
  UpdateFileSystemProtectionCommand,
  type FileSystemDescription,
  type ReplicationConfigurationDescription,
} from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../lambdas/core/errors.ts';
import { parseHost } from '../../../lambdas/core/host.ts';
import type { DriverMigrationRequest } from '../../../lambdas/drivers/driver.ts';
import { EfsNotReadyError } from '../../../lambdas/drivers/efs/index.ts';
import {
  ACCESS_POINT_BACKEND,
  ACCOUNT,
  efsError,
  FILE_SYSTEM_BACKEND,
  fileSystem,
  GOLD_TYPE,
  instance,
  makeRegistry,
  mountTarget,
  PREFIX,
  ROLE_ARN,
  SHARE_ID,
  T0,
  TOKEN,
} from './fixtures.ts';

const efs = mockClient(EFSClient);

const SRC = 'fs-0a0a0a0a0a0a0a0a0';
const DST = 'fs-0b0b0b0b0b0b0b0b0';
const SRC_ARN = `arn:aws:elasticfilesystem:eu-west-1:${ACCOUNT}:file-system/${SRC}`;
const DEST_ID = '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a';
const DEST_TOKEN = `smig-${DEST_ID}`;
const DEST_SUBNET = 'subnet-0eeeeeeeeeeeeeee1';
const DR_BACKEND = {
  kind: 'efs' as const,
  backend: 'dr',
  region: 'eu-central-1',
  mode: 'file-system' as const,
  mount_target_subnets: { 'eu-central-1a': DEST_SUBNET },
  wait_timeout_seconds: 60,
  poll_interval_seconds: 10,
};
const RW_STATEMENT = { Sid: `${PREFIX}Rule11111111222243338444555555555555Rw`, Effect: 'Allow', Principal: { AWS: ROLE_ARN }, Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'], Resource: SRC_ARN };

const source = instance({ host: 'efs@dedicated#default', share_type_id: 'type-plain' });
const destination = instance({ id: DEST_ID, host: 'efs@dr#default', status: 'migrating_to', share_type_id: GOLD_TYPE.id });
const request: DriverMigrationRequest = { source, destination, destinationHost: parseHost('efs@dr#default') };

const registry = () => makeRegistry([FILE_SYSTEM_BACKEND, DR_BACKEND, ACCESS_POINT_BACKEND]);
const driver = () => registry().forHost('efs@dedicated');

function sourceFs(overrides: Partial<FileSystemDescription> = {}): FileSystemDescription {
  return fileSystem({ FileSystemId: SRC, CreationToken: TOKEN, SizeInBytes: { Value: 400 }, ...overrides });
}

function destinationFs(overrides: Partial<FileSystemDescription> = {}): FileSystemDescription {
  return fileSystem({
    FileSystemId: DST,
    CreationToken: DEST_TOKEN,
    FileSystemArn: `arn:aws:elasticfilesystem:eu-central-1:${ACCOUNT}:file-system/${DST}`,
    SizeInBytes: { Value: 100 },
    ...overrides,
  });
}

function replication(last?: Date, status: 'ENABLED' | 'ERROR' = 'ENABLED'): ReplicationConfigurationDescription {
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
function fileSystems(src: FileSystemDescription | null, dst: FileSystemDescription | null): void {
  efs.on(DescribeFileSystemsCommand, { CreationToken: TOKEN }).resolves({ FileSystems: src ? [src] : [] });
  efs.on(DescribeFileSystemsCommand, { CreationToken: DEST_TOKEN }).resolves({ FileSystems: dst ? [dst] : [] });
  if (dst) efs.on(DescribeFileSystemsCommand, { FileSystemId: DST }).resolves({ FileSystems: [dst] });
}

async function regionOf(call: { thisValue: unknown }): Promise<string> {
  return (call.thisValue as EFSClient).config.region();
}

describe('Class: EfsDriver (driver-assisted migration)', () => {
  beforeEach(() => {
    efs.reset();
  });

  describe('Method: migrationCheckCompatibility', () => {
    it('is compatible from a file-system instance to a file-system backend in another region: writable until complete, metadata kept, no snapshots', async () => {
      // Prepare
      fileSystems(sourceFs(), null);

      // Act
      const answer = await driver().migrationCheckCompatibility(source, parseHost('efs@dr#default'));

      // Assess
      expect(answer).toEqual({ compatible: true, writable: true, nondisruptive: false, preserve_metadata: true, preserve_snapshots: false });
    });

    it.each([
      ['an access-point instance', 'efs@shared', instance(), 'efs@dedicated#default', /efs@shared keeps instances as access points of a shared file system; EFS replication copies whole file systems, so this instance moves by the host-assisted copy/],
      ['an access-point destination', 'efs@dedicated', source, 'efs@shared#default', /efs@shared keeps instances as access points; EFS replication needs a whole file system on both sides/],
      ['a backend it cannot reach', 'efs@dedicated', source, 'local@alpha#default', /local@alpha is not an EFS backend efs@dedicated can reach/],
      ['an unknown pool', 'efs@dedicated', source, 'efs@dr#fast', /efs@dr has no pool "fast"/],
    ])('is not compatible for %s, with the reason', async (_case, backend, from, to, reason) => {
      // Prepare
      fileSystems(sourceFs(), null);

      // Act
      const answer = await registry().forHost(backend).migrationCheckCompatibility(from, parseHost(to));

      // Assess
      expect(answer).toMatchObject({ compatible: false, writable: false, preserve_metadata: false });
      expect(answer.reason).toMatch(reason);
    });

    it('is not compatible when the source file system does not exist', async () => {
      // Prepare
      fileSystems(null, null);

      // Act
      const answer = await driver().migrationCheckCompatibility(source, parseHost('efs@dr#default'));

      // Assess
      expect(answer.reason).toMatch(/the file system of instance .* does not exist on efs@dedicated/);
    });
  });

  describe('Method: migrationStart', () => {
    it("creates the destination file system in the destination's region with its type's settings, opens it to replication, adds its mount target, and replicates the source to it", async () => {
      // Prepare
      fileSystems(sourceFs(), destinationFs());
      efs.on(CreateFileSystemCommand).resolves(destinationFs());
      efs.on(UpdateFileSystemProtectionCommand).resolves({});
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [] });
      efs.on(CreateMountTargetCommand).resolves(mountTarget());
      efs.on(DescribeReplicationConfigurationsCommand).rejects(efsError(ReplicationNotFound));
      efs.on(CreateReplicationConfigurationCommand).resolves(replication());

      // Act
      await driver().migrationStart(request);

      // Assess
      const create = efs.commandCalls(CreateFileSystemCommand)[0]!;
      expect(create.args[0].input).toEqual({
        CreationToken: DEST_TOKEN,
        PerformanceMode: 'generalPurpose',
        ThroughputMode: 'provisioned',
        ProvisionedThroughputInMibps: 256,
        Encrypted: true,
        KmsKeyId: 'alias/shares',
        Tags: [
          { Key: 'Name', Value: `share-${DEST_ID}` },
          { Key: 'smig:instance-id', Value: DEST_ID },
          { Key: 'smig:share-id', Value: SHARE_ID },
          { Key: 'smig:backend', Value: 'efs@dr' },
          { Key: 'smig:pool', Value: 'default' },
        ],
      });
      expect(await regionOf(create)).toBe('eu-central-1');
      const protection = efs.commandCalls(UpdateFileSystemProtectionCommand)[0]!;
      expect(protection.args[0].input).toEqual({ FileSystemId: DST, ReplicationOverwriteProtection: 'DISABLED' });
      expect(await regionOf(protection)).toBe('eu-central-1');
      expect(efs.commandCalls(CreateMountTargetCommand).map((call) => call.args[0].input)).toEqual([{ FileSystemId: DST, SubnetId: DEST_SUBNET }]);
      expect(efs.commandCalls(DescribeReplicationConfigurationsCommand)[0]!.args[0].input).toEqual({ FileSystemId: SRC });
      const replicate = efs.commandCalls(CreateReplicationConfigurationCommand)[0]!;
      expect(replicate.args[0].input).toEqual({ SourceFileSystemId: SRC, Destinations: [{ Region: 'eu-central-1', FileSystemId: DST }] });
      expect(await regionOf(replicate)).toBe('eu-west-1');
    });

    it('run again, adopts the destination and the replication it already made', async () => {
      // Prepare
      const replicating = destinationFs({ FileSystemProtection: { ReplicationOverwriteProtection: 'REPLICATING' } });
      fileSystems(sourceFs(), replicating);
      efs.on(CreateFileSystemCommand).rejects(efsError(FileSystemAlreadyExists, { FileSystemId: DST }));
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [mountTarget({ FileSystemId: DST, SubnetId: DEST_SUBNET, AvailabilityZoneName: 'eu-central-1a' })] });
      efs.on(DescribeReplicationConfigurationsCommand).resolves({ Replications: [replication()] });

      // Act
      await driver().migrationStart(request);

      // Assess
      expect(efs.commandCalls(CreateFileSystemCommand)[0]!.args[0].input.CreationToken).toBe(DEST_TOKEN);
      expect(efs.commandCalls(UpdateFileSystemProtectionCommand)).toHaveLength(0);
      expect(efs.commandCalls(CreateMountTargetCommand)).toHaveLength(0);
      expect(efs.commandCalls(CreateReplicationConfigurationCommand)).toHaveLength(0);
    });

    it('refuses when the source already replicates elsewhere (EFS allows one replication)', async () => {
      // Prepare
      fileSystems(sourceFs(), destinationFs());
      efs.on(CreateFileSystemCommand).resolves(destinationFs());
      efs.on(UpdateFileSystemProtectionCommand).resolves({});
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [] });
      efs.on(CreateMountTargetCommand).resolves(mountTarget());
      const elsewhere = replication();
      efs.on(DescribeReplicationConfigurationsCommand).resolves({ Replications: [{ ...elsewhere, Destinations: [{ Status: 'ENABLED', FileSystemId: 'fs-0ffffffffffffffff', Region: 'us-east-1' }] }] });

      // Act & Assess
      await expect(driver().migrationStart(request)).rejects.toThrow(
        `File system ${SRC} already replicates to fs-0ffffffffffffffff in us-east-1; EFS allows one replication per file system: delete that one first (share ${SHARE_ID})`,
      );
      expect(efs.commandCalls(CreateReplicationConfigurationCommand)).toHaveLength(0);
    });

    it('refuses an access-point source with the compatibility reason', async () => {
      // Act & Assess
      await expect(registry().forHost('efs@shared').migrationStart({ ...request, source: instance() })).rejects.toThrow(/efs@shared cannot migrate instance .*host-assisted copy/);
      expect(efs.calls()).toHaveLength(0);
    });

    it('fails when throttling outlasts the retries at CreateReplicationConfiguration, and the cancel that follows removes the destination and leaves the source alone', async () => {
      // Prepare
      fileSystems(sourceFs(), destinationFs());
      efs.on(CreateFileSystemCommand).resolves(destinationFs());
      efs.on(UpdateFileSystemProtectionCommand).resolves({});
      efs.on(DescribeMountTargetsCommand, { FileSystemId: DST })
        .resolvesOnce({ MountTargets: [] })
        .resolvesOnce({ MountTargets: [mountTarget({ FileSystemId: DST, SubnetId: DEST_SUBNET, MountTargetId: 'fsmt-0d0d0d0d0d0d0d0d0' })] })
        .resolves({ MountTargets: [] });
      efs.on(CreateMountTargetCommand).resolves(mountTarget());
      efs.on(DescribeReplicationConfigurationsCommand).rejects(efsError(ReplicationNotFound));
      efs.on(CreateReplicationConfigurationCommand).rejects(efsError(ThrottlingException));
      efs.on(DeleteMountTargetCommand).resolves({});
      efs.on(DeleteFileSystemCommand).resolves({});
      const efsDriver = driver();

      // Act
      const failure = await efsDriver.migrationStart(request).catch((err: unknown) => err);
      await efsDriver.migrationCancel(request);

      // Assess
      expect(failure).toBeInstanceOf(DriverError);
      expect((failure as Error).message).toMatch(/starting migration .* EFS still throttled the request after 5 attempts/);
      expect(efs.commandCalls(DeleteReplicationConfigurationCommand)).toHaveLength(0);
      expect(efs.commandCalls(DeleteMountTargetCommand).map((call) => call.args[0].input)).toEqual([{ MountTargetId: 'fsmt-0d0d0d0d0d0d0d0d0' }]);
      expect(efs.commandCalls(DeleteFileSystemCommand).map((call) => call.args[0].input)).toEqual([{ FileSystemId: DST }]);
      expect(await regionOf(efs.commandCalls(DeleteFileSystemCommand)[0]!)).toBe('eu-central-1');
      expect(efs.commandCalls(PutFileSystemPolicyCommand)).toHaveLength(0);
      expect(efs.commandCalls(UntagResourceCommand)).toHaveLength(0);
    });
  });

  describe('Method: migrationContinue', () => {
    it('reports progress from the metered sizes until the first sync, then phase 1 done', async () => {
      // Prepare
      fileSystems(sourceFs(), destinationFs());
      efs.on(DescribeReplicationConfigurationsCommand)
        .resolvesOnce({ Replications: [replication()] })
        .resolves({ Replications: [replication(new Date(T0))] });
      const efsDriver = driver();

      // Act
      const first = await efsDriver.migrationContinue(request);
      const second = await efsDriver.migrationContinue(request);

      // Assess
      expect(first).toEqual({ phase1Done: false, totalProgress: 25 });
      expect(second).toEqual({ phase1Done: true, totalProgress: 100 });
      expect(efs.commandCalls(DescribeReplicationConfigurationsCommand).map((call) => call.args[0].input)).toEqual([{ FileSystemId: SRC }, { FileSystemId: SRC }]);
    });

    it('fails with the replication status message when the replication is in error', async () => {
      // Prepare
      fileSystems(sourceFs(), destinationFs());
      efs.on(DescribeReplicationConfigurationsCommand).resolves({ Replications: [replication(undefined, 'ERROR')] });

      // Act & Assess
      await expect(driver().migrationContinue(request)).rejects.toThrow(`EFS replication from ${SRC} to ${DST} failed: KMS key disabled`);
    });

    it('fails when the migration was not started', async () => {
      // Prepare
      fileSystems(sourceFs(), destinationFs());
      efs.on(DescribeReplicationConfigurationsCommand).rejects(efsError(ReplicationNotFound));

      // Act & Assess
      await expect(driver().migrationContinue(request)).rejects.toThrow(/was not started \(no EFS replication between them\)/);
    });
  });

  describe('Method: migrationComplete', () => {
    it('makes the source read-only, waits for a sync after that moment, records the switch, deletes the replication, and answers once the destination is writable and mountable', async () => {
      // Prepare
      fileSystems(sourceFs(), destinationFs({ FileSystemProtection: { ReplicationOverwriteProtection: 'REPLICATING' } }));
      efs.on(DescribeFileSystemPolicyCommand).resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [RW_STATEMENT] }) });
      efs.on(PutFileSystemPolicyCommand).resolves({});
      efs.on(TagResourceCommand).resolves({});
      efs.on(DescribeReplicationConfigurationsCommand)
        .resolvesOnce({ Replications: [replication(new Date(T0 - 60_000))] })
        .resolvesOnce({ Replications: [replication(new Date(T0 - 60_000))] })
        .resolves({ Replications: [replication(new Date(T0 + 5_000))] });
      efs.on(DeleteReplicationConfigurationCommand).resolves({});
      efs.on(DescribeFileSystemsCommand, { FileSystemId: DST })
        .resolvesOnce({ FileSystems: [destinationFs({ FileSystemProtection: { ReplicationOverwriteProtection: 'REPLICATING' } })] })
        .resolves({ FileSystems: [destinationFs()] });
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [mountTarget({ FileSystemId: DST, SubnetId: DEST_SUBNET, AvailabilityZoneName: 'eu-central-1a' })] });

      // Act
      const locations = await driver().migrationComplete(request);

      // Assess
      expect(locations).toEqual([{ id: expect.any(String), path: `${DST}.efs.eu-central-1.amazonaws.com:/`, preferred: true, is_admin_only: false }]);
      expect(efs.commandCalls(PutFileSystemPolicyCommand)[0]!.args[0].input.FileSystemId).toBe(SRC);
      expect(JSON.parse(efs.commandCalls(PutFileSystemPolicyCommand)[0]!.args[0].input.Policy!).Statement).toEqual([
        { ...RW_STATEMENT, Action: ['elasticfilesystem:ClientMount'] },
        { Sid: `${PREFIX}ReadOnly`, Effect: 'Deny', Principal: { AWS: '*' }, Action: ['elasticfilesystem:ClientWrite'], Resource: SRC_ARN },
      ]);
      expect(efs.commandCalls(TagResourceCommand).map((call) => call.args[0].input)).toEqual([
        { ResourceId: SRC, Tags: [{ Key: 'smig:read-only-since', Value: new Date(T0).toISOString() }] },
        { ResourceId: SRC, Tags: [{ Key: 'smig:migrated-to', Value: DST }] },
      ]);
      // Once to find the replication, then polled until a sync after T0 (the wait slept 10 s once).
      expect(efs.commandCalls(DescribeReplicationConfigurationsCommand)).toHaveLength(3);
      expect(efs.commandCalls(DeleteReplicationConfigurationCommand)[0]!.args[0].input).toEqual({ SourceFileSystemId: SRC });
      const order = efs.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
      expect(order.indexOf('PutFileSystemPolicyCommand')).toBeLessThan(order.indexOf('TagResourceCommand'));
      expect(order.lastIndexOf('TagResourceCommand')).toBeLessThan(order.indexOf('DeleteReplicationConfigurationCommand'));
    });

    it('fails with EfsNotReadyError while no sync has finished since the source went read-only, and resumes from the recorded moment', async () => {
      // Prepare
      const readOnlyAt = new Date(T0 - 120_000).toISOString();
      fileSystems(sourceFs(), destinationFs());
      efs.on(DescribeFileSystemPolicyCommand).rejects(efsError(PolicyNotFound));
      efs.on(PutFileSystemPolicyCommand).resolves({});
      efs.on(TagResourceCommand).resolves({});
      efs.on(DescribeReplicationConfigurationsCommand).resolves({ Replications: [replication(new Date(T0 - 600_000))] });
      const efsDriver = driver();

      // Act
      const failure = await efsDriver.migrationComplete(request).catch((err: unknown) => err);
      efs.on(DescribeFileSystemsCommand, { CreationToken: TOKEN }).resolves({ FileSystems: [sourceFs({ Tags: [{ Key: 'smig:read-only-since', Value: readOnlyAt }] })] });
      efs.on(DescribeReplicationConfigurationsCommand).resolves({ Replications: [replication(new Date(T0 - 60_000))] });
      efs.on(DeleteReplicationConfigurationCommand).resolves({});
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [mountTarget({ FileSystemId: DST, SubnetId: DEST_SUBNET, AvailabilityZoneName: 'eu-central-1a' })] });
      const locations = await efsDriver.migrationComplete(request);

      // Assess
      expect(failure).toBeInstanceOf(EfsNotReadyError);
      expect((failure as Error).message).toMatch(
        new RegExp(`has not synced since the source went read-only at ${new Date(T0).toISOString().replace(/\./g, '\\.')} \\(last sync: .*\\) after waiting 30s; calling again resumes`),
      );
      expect(efs.commandCalls(DeleteReplicationConfigurationCommand)).toHaveLength(1);
      // The first call recorded the moment and the Deny; the second found both and recorded only the switch.
      expect(efs.commandCalls(TagResourceCommand).map((call) => call.args[0].input.Tags![0]!.Key)).toEqual(['smig:read-only-since', 'smig:migrated-to']);
      expect(locations[0]!.path).toBe(`${DST}.efs.eu-central-1.amazonaws.com:/`);
    });

    it('run again after the switch was recorded, touches no replication and answers the destination', async () => {
      // Prepare
      fileSystems(sourceFs({ Tags: [{ Key: 'smig:migrated-to', Value: DST }] }), destinationFs());
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [mountTarget({ FileSystemId: DST, SubnetId: DEST_SUBNET, AvailabilityZoneName: 'eu-central-1a' })] });

      // Act
      const locations = await driver().migrationComplete(request);

      // Assess
      expect(locations[0]!.path).toBe(`${DST}.efs.eu-central-1.amazonaws.com:/`);
      expect(efs.commandCalls(DescribeReplicationConfigurationsCommand)).toHaveLength(0);
      expect(efs.commandCalls(DeleteReplicationConfigurationCommand)).toHaveLength(0);
      expect(efs.commandCalls(PutFileSystemPolicyCommand)).toHaveLength(0);
    });

    it('fails when the migration was not started', async () => {
      // Prepare
      fileSystems(sourceFs(), null);

      // Act & Assess
      await expect(driver().migrationComplete(request)).rejects.toThrow(/was not started/);
      expect(efs.commandCalls(PutFileSystemPolicyCommand)).toHaveLength(0);
    });
  });

  describe('Method: migrationCancel', () => {
    it('deletes the replication and waits until it is gone, gives the source its writes back, and deletes the destination with its mount targets', async () => {
      // Prepare
      const readOnly = { Sid: `${PREFIX}ReadOnly`, Effect: 'Deny', Principal: { AWS: '*' }, Action: ['elasticfilesystem:ClientWrite'], Resource: SRC_ARN };
      fileSystems(sourceFs({ Tags: [{ Key: 'smig:read-only-since', Value: new Date(T0).toISOString() }] }), destinationFs());
      efs.on(DescribeReplicationConfigurationsCommand)
        .resolvesOnce({ Replications: [replication()] })
        .resolvesOnce({ Replications: [{ ...replication(), Destinations: [{ Status: 'DELETING', FileSystemId: DST, Region: 'eu-central-1' }] }] })
        .rejects(efsError(ReplicationNotFound));
      efs.on(DeleteReplicationConfigurationCommand).resolves({});
      efs.on(DescribeFileSystemPolicyCommand).resolves({
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ ...RW_STATEMENT, Action: ['elasticfilesystem:ClientMount'] }, readOnly] }),
      });
      efs.on(PutFileSystemPolicyCommand).resolves({});
      efs.on(UntagResourceCommand).resolves({});
      efs.on(DescribeMountTargetsCommand)
        .resolvesOnce({ MountTargets: [mountTarget({ FileSystemId: DST, MountTargetId: 'fsmt-0d0d0d0d0d0d0d0d0', SubnetId: DEST_SUBNET })] })
        .resolves({ MountTargets: [] });
      efs.on(DeleteMountTargetCommand).resolves({});
      efs.on(DeleteFileSystemCommand).resolves({});

      // Act
      await driver().migrationCancel(request);

      // Assess
      expect(efs.commandCalls(DeleteReplicationConfigurationCommand)[0]!.args[0].input).toEqual({ SourceFileSystemId: SRC });
      expect(efs.commandCalls(DescribeReplicationConfigurationsCommand)).toHaveLength(3);
      expect(JSON.parse(efs.commandCalls(PutFileSystemPolicyCommand)[0]!.args[0].input.Policy!).Statement).toEqual([RW_STATEMENT]);
      expect(efs.commandCalls(UntagResourceCommand)[0]!.args[0].input).toEqual({ ResourceId: SRC, TagKeys: ['smig:read-only-since'] });
      expect(efs.commandCalls(DeleteMountTargetCommand)[0]!.args[0].input).toEqual({ MountTargetId: 'fsmt-0d0d0d0d0d0d0d0d0' });
      expect(efs.commandCalls(DeleteFileSystemCommand)[0]!.args[0].input).toEqual({ FileSystemId: DST });
    });

    it('succeeds when nothing was started', async () => {
      // Prepare
      fileSystems(sourceFs(), null);
      efs.on(DescribeReplicationConfigurationsCommand).rejects(efsError(ReplicationNotFound));

      // Act & Assess
      await expect(driver().migrationCancel(request)).resolves.toBeUndefined();
      expect(efs.commandCalls(DeleteFileSystemCommand)).toHaveLength(0);
    });

    it('refuses once the switch is recorded: the destination may hold the only current data', async () => {
      // Prepare
      fileSystems(sourceFs({ Tags: [{ Key: 'smig:migrated-to', Value: DST }] }), destinationFs());

      // Act & Assess
      await expect(driver().migrationCancel(request)).rejects.toThrow(`was already switched to file system ${DST}; nothing was deleted`);
      expect(efs.commandCalls(DeleteFileSystemCommand)).toHaveLength(0);
    });
  });

  describe('Method: migrationGetProgress', () => {
    it.each([
      ['not started', () => fileSystems(sourceFs(), null), { phase1Done: false, totalProgress: 0 }],
      ['replicating', () => {
        fileSystems(sourceFs(), destinationFs({ SizeInBytes: { Value: 300 } }));
        efs.on(DescribeReplicationConfigurationsCommand).resolves({ Replications: [replication()] });
      }, { phase1Done: false, totalProgress: 75 }],
      ['switched', () => fileSystems(sourceFs({ Tags: [{ Key: 'smig:migrated-to', Value: DST }] }), destinationFs()), { phase1Done: true, totalProgress: 100 }],
    ])('reports %s', async (_case, arrange, expected) => {
      // Prepare
      arrange();

      // Act & Assess
      await expect(driver().migrationGetProgress(request)).resolves.toEqual(expected);
    });
  });
});
