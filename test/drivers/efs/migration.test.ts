import {
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  CreateReplicationConfigurationCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DeleteReplicationConfigurationCommand,
  DescribeMountTargetsCommand,
  DescribeReplicationConfigurationsCommand,
  FileSystemAlreadyExists,
  PutFileSystemPolicyCommand,
  ReplicationNotFound,
  ThrottlingException,
  UntagResourceCommand,
  UpdateFileSystemProtectionCommand,
} from '@aws-sdk/client-efs';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../lambdas/core/errors.ts';
import { parseHost } from '../../../lambdas/core/host.ts';
import { efsError, instance, mountTarget, SHARE_ID, T0 } from './fixtures.ts';
import {
  DEST_ID,
  DEST_SUBNET,
  DEST_TOKEN,
  destinationFs,
  driver,
  DST,
  efs,
  fileSystems,
  regionOf,
  registry,
  replication,
  request,
  source,
  sourceFs,
  SRC,
} from './migration-fixtures.ts';

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
