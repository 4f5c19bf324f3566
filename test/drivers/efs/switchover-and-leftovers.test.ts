import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeAccessPointsCommand, DescribeFileSystemsCommand, EFSClient, FileSystemNotFound } from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../lambdas/core/errors.ts';
import {
  ACCESS_POINT_BACKEND,
  accessPoint,
  BACKEND_FS,
  efsError,
  FILE_SYSTEM_BACKEND,
  fileSystem,
  INSTANCE_ID,
  instance,
  makeDriver,
  T0,
  TOKEN,
} from './fixtures.ts';

const efs = mockClient(EFSClient);
const cloudWatch = mockClient(CloudWatchClient);
const MINUTE = 60_000;
const OWN_FS = 'fs-0c0c0c0c0c0c0c0c0';
const fsInstance = instance({
  host: 'efs@dedicated#default',
  export_locations: [{ id: 'x', path: `${OWN_FS}.efs.eu-west-1.amazonaws.com:/`, preferred: true, is_admin_only: false }],
});

/** CloudWatch's ClientConnections: one Sum per minute, by the minute's start; a minute left out reports nothing. */
function connections(perMinute: ReadonlyArray<readonly [number, number]>): void {
  cloudWatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [{ Id: 'connections', Timestamps: perMinute.map(([at]) => new Date(at)), Values: perMinute.map(([, n]) => n), StatusCode: 'Complete' }],
  });
}

describe('Class: EfsDriver (switchover and leftovers)', () => {
  beforeEach(() => {
    efs.reset();
    cloudWatch.reset();
  });

  describe('Method: switchoverBlockers', () => {
    it("of an access point: counts the whole file system's clients, says they cannot be attributed, and sends no EFS call", async () => {
      // Prepare
      connections([[T0 - 3 * MINUTE, 5], [T0 - 2 * MINUTE, 4], [T0 - MINUTE, 2]]);

      // Act
      const blockers = await makeDriver(ACCESS_POINT_BACKEND).switchoverBlockers(instance(), new Date(T0 - 5 * MINUTE));

      // Assess
      expect(blockers).toEqual({
        clear: false,
        connections: 2,
        scope: 'shared',
        retryAfterSeconds: 60,
        detail: expect.stringContaining(`file system ${BACKEND_FS} reported 2 client connection(s)`),
      });
      expect(blockers.detail).toContain("other shares' access points too");
      expect(efs.calls()).toHaveLength(0);
      expect(cloudWatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input).toMatchObject({
        MetricDataQueries: [{ MetricStat: { Metric: { Namespace: 'AWS/EFS', MetricName: 'ClientConnections', Dimensions: [{ Name: 'FileSystemId', Value: BACKEND_FS }] }, Period: 60, Stat: 'Sum' } }],
        ScanBy: 'TimestampAscending',
      });
    });

    it('of an access point: a minute without any connection on the file system proves that none of its clients can still write', async () => {
      // Prepare: read-only at T0-5m, in force from T0-4m; nobody in the minute from T0-3m.
      connections([[T0 - 4 * MINUTE, 1], [T0 - 3 * MINUTE, 0]]);

      // Act
      const blockers = await makeDriver(ACCESS_POINT_BACKEND).switchoverBlockers(instance(), new Date(T0 - 5 * MINUTE));

      // Assess
      expect(blockers).toMatchObject({ clear: true, connections: 0, scope: 'shared', clearSince: new Date(T0 - 2 * MINUTE).toISOString() });
    });

    it('of a file system: its own clients; a minute with no datapoint counts only once CloudWatch had time to report it', async () => {
      // Prepare
      connections([]);

      // Act
      const recent = await makeDriver(FILE_SYSTEM_BACKEND).switchoverBlockers(fsInstance, new Date(T0 - 2 * MINUTE));
      const settled = await makeDriver(FILE_SYSTEM_BACKEND).switchoverBlockers(fsInstance, new Date(T0 - 10 * MINUTE));

      // Assess
      expect(recent).toMatchObject({ clear: false, connections: 0, scope: 'instance', retryAfterSeconds: 60 });
      expect(recent.detail).toContain(`CloudWatch has not yet reported a whole minute of file system ${OWN_FS}`);
      expect(settled).toMatchObject({ clear: true, scope: 'instance', clearSince: new Date(T0 - 8 * MINUTE).toISOString() });
      expect(cloudWatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input.MetricDataQueries![0]!.MetricStat!.Metric!.Dimensions).toEqual([{ Name: 'FileSystemId', Value: OWN_FS }]);
    });

    it('does not count the minute in which the read-only policy was still propagating', async () => {
      // Prepare: read-only at T0-3m30s; the first minute that counts starts at T0-2m.
      connections([[T0 - 3 * MINUTE, 0], [T0 - 2 * MINUTE, 1], [T0 - MINUTE, 1]]);

      // Act
      const blockers = await makeDriver(FILE_SYSTEM_BACKEND).switchoverBlockers(fsInstance, new Date(T0 - 3.5 * MINUTE));

      // Assess
      expect(blockers).toMatchObject({ clear: false, connections: 1 });
    });
  });

  describe('Method: dataLeftBehind', () => {
    it.each([
      ['gone', []],
      ['still listed while EFS deletes it', [accessPoint({ LifeCycleState: 'deleting' })]],
    ])("of a deleted access point (%s): its folder, and the file system's root as the purge task mounts it (IAM, no access point)", async (_case, listed) => {
      // Prepare
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem()] });
      efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: listed });

      // Act
      const left = await makeDriver(ACCESS_POINT_BACKEND).dataLeftBehind(instance());

      // Assess
      expect(left).toEqual({
        mount: { path: `/mnt/efs-root/${BACKEND_FS}`, volume: { fileSystemId: BACKEND_FS, containerPath: `/mnt/efs-root/${BACKEND_FS}`, region: 'eu-west-1', rootDirectory: '/' } },
        folder: `shares/share-${INSTANCE_ID}`,
        location: `${BACKEND_FS}:/shares/share-${INSTANCE_ID}`,
      });
    });

    it('refuses an access-point instance that still exists: its folder is a live share', async () => {
      // Prepare
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem()] });
      efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [accessPoint()] });

      // Act
      const refusal = await makeDriver(ACCESS_POINT_BACKEND).dataLeftBehind(instance()).catch((err: unknown) => err);

      // Assess
      expect(refusal).toBeInstanceOf(DriverError);
      expect((refusal as Error).message).toMatch(/still exists \(access point fsap-0aaaaaaaaaaaaaaa1 .*\): its folder \/shares\/share-.* is not left over/);
    });

    it('answers nothing left when the file system itself is gone', async () => {
      // Prepare
      efs.on(DescribeFileSystemsCommand).rejects(efsError(FileSystemNotFound));

      // Act & Assess
      await expect(makeDriver(ACCESS_POINT_BACKEND).dataLeftBehind(instance())).resolves.toBeNull();
    });

    it('of a file-system instance: nothing once its file system is deleted, a refusal while it exists', async () => {
      // Prepare
      efs.on(DescribeFileSystemsCommand, { CreationToken: TOKEN }).resolvesOnce({ FileSystems: [] }).resolves({ FileSystems: [fileSystem({ FileSystemId: OWN_FS })] });
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act
      const gone = await driver.dataLeftBehind(fsInstance);
      const refusal = await driver.dataLeftBehind(fsInstance).catch((err: unknown) => err);

      // Assess
      expect(gone).toBeNull();
      expect(refusal).toBeInstanceOf(DriverError);
      expect((refusal as Error).message).toContain(`still exists (file system ${OWN_FS}`);
    });
  });
});
