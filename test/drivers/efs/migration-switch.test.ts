import {
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DeleteReplicationConfigurationCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  DescribeReplicationConfigurationsCommand,
  PolicyNotFound,
  PutFileSystemPolicyCommand,
  ReplicationNotFound,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-efs';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverMigrationCommittedError } from '../../../lambdas/core/errors.ts';
import { EfsNotReadyError } from '../../../lambdas/drivers/efs/index.ts';
import { efsError, mountTarget, PREFIX, SHARE_ID, T0, TOKEN } from './fixtures.ts';
import {
  clientConnections,
  cloudWatch,
  DEST_SUBNET,
  destinationFs,
  driver,
  DST,
  efs,
  fileSystems,
  replication,
  request,
  RW_STATEMENT,
  sourceFs,
  SRC,
  SRC_ARN,
} from './migration-fixtures.ts';

const MINUTE = 60_000;
/** The source's statements once read-only: the rule without ClientWrite, and the instance's Deny of it. */
const READ_ONLY_STATEMENTS = [
  { ...RW_STATEMENT, Action: ['elasticfilesystem:ClientMount'] },
  { Sid: `${PREFIX}ReadOnly`, Effect: 'Deny', Principal: { AWS: '*' }, Action: ['elasticfilesystem:ClientWrite'], Resource: SRC_ARN },
];

describe('Class: EfsDriver (driver-assisted migration: switchover)', () => {
  beforeEach(() => {
    efs.reset();
    cloudWatch.reset();
  });

  describe('Method: migrationComplete', () => {
    it('makes the source read-only and records the moment, then refuses to sync while a client connected before may still write: EfsNotReadyError, nothing switched', async () => {
      // Prepare: a sync after the read-only moment exists; CloudWatch has reported no whole minute since.
      fileSystems(sourceFs(), destinationFs());
      efs.on(DescribeFileSystemPolicyCommand).resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [RW_STATEMENT] }) });
      efs.on(PutFileSystemPolicyCommand).resolves({});
      efs.on(TagResourceCommand).resolves({});
      efs.on(DescribeReplicationConfigurationsCommand).resolves({ Replications: [replication(new Date(T0 + 5_000))] });
      efs.on(DeleteReplicationConfigurationCommand).resolves({});
      clientConnections([[T0 - 2 * MINUTE, 3], [T0 - MINUTE, 3]]);

      // Act
      const failure = await driver().migrationComplete(request).catch((err: unknown) => err);

      // Assess
      expect(failure).toBeInstanceOf(EfsNotReadyError);
      expect((failure as Error).message).toContain(`file system ${SRC} reported 3 client connection(s)`);
      expect((failure as Error).message).toContain('they may still write to the source, so the final sync cannot start yet; calling again resumes');
      expect(JSON.parse(efs.commandCalls(PutFileSystemPolicyCommand)[0]!.args[0].input.Policy!).Statement).toEqual([
        { ...RW_STATEMENT, Action: ['elasticfilesystem:ClientMount'] },
        { Sid: `${PREFIX}ReadOnly`, Effect: 'Deny', Principal: { AWS: '*' }, Action: ['elasticfilesystem:ClientWrite'], Resource: SRC_ARN },
      ]);
      expect(efs.commandCalls(TagResourceCommand).map((call) => call.args[0].input)).toEqual([
        { ResourceId: SRC, Tags: [{ Key: 'smig:read-only-since', Value: new Date(T0).toISOString() }] },
      ]);
      expect(efs.commandCalls(DeleteReplicationConfigurationCommand)).toHaveLength(0);
      expect(cloudWatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toMatchObject({
        MetricDataQueries: [{ MetricStat: { Metric: { Namespace: 'AWS/EFS', MetricName: 'ClientConnections', Dimensions: [{ Name: 'FileSystemId', Value: SRC }] }, Period: 60, Stat: 'Sum' } }],
      });
    });

    it('takes the moment the workflow established that no client could write, waits for a sync after it, records the switch, deletes the replication, and answers once the destination is writable and mountable', async () => {
      // Prepare: the workflow made the source read-only ten minutes ago and saw the last client leave by T0-7m.
      const writersGoneSince = new Date(T0 - 7 * MINUTE);
      fileSystems(sourceFs(), destinationFs({ FileSystemProtection: { ReplicationOverwriteProtection: 'REPLICATING' } }));
      efs.on(DescribeFileSystemPolicyCommand).resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: READ_ONLY_STATEMENTS }) });
      efs.on(TagResourceCommand).resolves({});
      efs.on(DescribeReplicationConfigurationsCommand)
        .resolvesOnce({ Replications: [replication(new Date(T0 - 7.5 * MINUTE))] })
        .resolvesOnce({ Replications: [replication(new Date(T0 - 7.5 * MINUTE))] })
        .resolves({ Replications: [replication(new Date(T0 + 5_000))] });
      efs.on(DeleteReplicationConfigurationCommand).resolves({});
      efs.on(DescribeFileSystemsCommand, { FileSystemId: DST })
        .resolvesOnce({ FileSystems: [destinationFs({ FileSystemProtection: { ReplicationOverwriteProtection: 'REPLICATING' } })] })
        .resolves({ FileSystems: [destinationFs()] });
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [mountTarget({ FileSystemId: DST, SubnetId: DEST_SUBNET, AvailabilityZoneName: 'eu-central-1a' })] });

      // Act
      const locations = await driver().migrationComplete({ ...request, writersGoneSince });

      // Assess
      expect(locations).toEqual([{ id: expect.any(String), path: `${DST}.efs.eu-central-1.amazonaws.com:/`, preferred: true, is_admin_only: false }]);
      expect(efs.commandCalls(PutFileSystemPolicyCommand)).toHaveLength(0);
      expect(efs.commandCalls(TagResourceCommand).map((call) => call.args[0].input)).toEqual([
        { ResourceId: SRC, Tags: [{ Key: 'smig:read-only-since', Value: new Date(T0).toISOString() }] },
        { ResourceId: SRC, Tags: [{ Key: 'smig:migrated-to', Value: DST }] },
      ]);
      // The workflow counted the clients: the driver does not ask CloudWatch again.
      expect(cloudWatch.calls()).toHaveLength(0);
      // Once to find the replication, then polled: the sync at T0-7.5m is before the clients were gone.
      expect(efs.commandCalls(DescribeReplicationConfigurationsCommand)).toHaveLength(3);
      expect(efs.commandCalls(DeleteReplicationConfigurationCommand)[0]!.args[0].input).toEqual({ SourceFileSystemId: SRC });
      const order = efs.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
      expect(order.lastIndexOf('TagResourceCommand')).toBeLessThan(order.indexOf('DeleteReplicationConfigurationCommand'));
    });

    it('fails with EfsNotReadyError while no sync has finished since the clients left, and resumes from the recorded moment', async () => {
      // Prepare: read-only since T0-10m (recorded); no datapoint since, so the first settled minute counts: T0-9m to T0-8m.
      const readOnlyAt = new Date(T0 - 10 * MINUTE).toISOString();
      fileSystems(sourceFs({ Tags: [{ Key: 'smig:read-only-since', Value: readOnlyAt }] }), destinationFs());
      efs.on(DescribeFileSystemPolicyCommand).rejects(efsError(PolicyNotFound));
      efs.on(PutFileSystemPolicyCommand).resolves({});
      efs.on(TagResourceCommand).resolves({});
      // A sync after the policy changed, but while clients connected before could still be writing.
      efs.on(DescribeReplicationConfigurationsCommand).resolves({ Replications: [replication(new Date(T0 - 9 * MINUTE))] });
      clientConnections([]);
      const efsDriver = driver();

      // Act
      const failure = await efsDriver.migrationComplete(request).catch((err: unknown) => err);
      efs.on(DescribeReplicationConfigurationsCommand).resolves({ Replications: [replication(new Date(T0 - 60_000))] });
      efs.on(DeleteReplicationConfigurationCommand).resolves({});
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [mountTarget({ FileSystemId: DST, SubnetId: DEST_SUBNET, AvailabilityZoneName: 'eu-central-1a' })] });
      const locations = await efsDriver.migrationComplete(request);

      // Assess
      expect(failure).toBeInstanceOf(EfsNotReadyError);
      expect((failure as Error).message).toMatch(
        new RegExp(`has not synced since the source went read-only at ${new Date(T0 - 8 * MINUTE).toISOString().replace(/\./g, '\\.')} \\(last sync: .*\\) after waiting 30s; calling again resumes`),
      );
      expect(efs.commandCalls(DeleteReplicationConfigurationCommand)).toHaveLength(1);
      // The moment was recorded before: only the switch is.
      expect(efs.commandCalls(TagResourceCommand).map((call) => call.args[0].input.Tags![0]!.Key)).toEqual(['smig:migrated-to']);
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

    it('refuses a committed switch with DriverMigrationCommittedError, so cleanup can tell it from a failure to undo', async () => {
      // Prepare
      fileSystems(sourceFs({ Tags: [{ Key: 'smig:migrated-to', Value: DST }] }), destinationFs());

      // Act
      const refusal = await driver().migrationCancel(request).catch((err: unknown) => err);

      // Assess
      expect(refusal).toBeInstanceOf(DriverMigrationCommittedError);
      expect(refusal).toMatchObject({ name: 'DriverMigrationCommittedError', shareId: SHARE_ID });
      expect(efs.commandCalls(DeleteReplicationConfigurationCommand)).toHaveLength(0);
    });
  });
});
