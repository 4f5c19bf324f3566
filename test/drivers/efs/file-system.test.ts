import {
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  EFSClient,
  FileSystemAlreadyExists,
  FileSystemLimitExceeded,
  FileSystemNotFound,
  MountTargetConflict,
  MountTargetNotFound,
  TooManyRequests,
} from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../lambdas/core/errors.ts';
import type { ShareType } from '../../../lambdas/core/model.ts';
import { EfsNotReadyError } from '../../../lambdas/drivers/efs/index.ts';
import {
  efsError,
  FILE_SYSTEM_BACKEND,
  fileSystem,
  GOLD_TYPE,
  INSTANCE_ID,
  instance,
  makeDriver,
  mountTarget,
  SHARE_ID,
  shareTypes,
  TOKEN,
} from './fixtures.ts';

const efs = mockClient(EFSClient);
const FS = 'fs-0dddddddddddddddd';
const SUBNET_A = 'subnet-0aaaaaaaaaaaaaaa1';
const SUBNET_B = 'subnet-0bbbbbbbbbbbbbbb2';
const SG = 'sg-0ccccccccccccccc3';
const TAGS = (pool: string) => [
  { Key: 'Name', Value: `share-${INSTANCE_ID}` },
  { Key: 'smig:instance-id', Value: INSTANCE_ID },
  { Key: 'smig:share-id', Value: SHARE_ID },
  { Key: 'smig:backend', Value: 'efs@dedicated' },
  { Key: 'smig:pool', Value: pool },
];
const fsInstance = (pool = 'default', type = GOLD_TYPE.id) => instance({ host: `efs@dedicated#${pool}`, share_type_id: type });

describe('Class: EfsDriver (file-system mode)', () => {
  beforeEach(() => {
    efs.reset();
  });

  describe('Method: createInstance', () => {
    it("creates a file system with the share type's settings and a token from the instance id, waits until it is available, and adds a mount target per configured zone", async () => {
      // Prepare
      efs.on(CreateFileSystemCommand).resolves(fileSystem({ FileSystemId: FS, LifeCycleState: 'creating' }));
      efs.on(DescribeFileSystemsCommand, { FileSystemId: FS })
        .resolvesOnce({ FileSystems: [fileSystem({ FileSystemId: FS, LifeCycleState: 'creating' })] })
        .resolves({ FileSystems: [fileSystem({ FileSystemId: FS })] });
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [] });
      efs.on(CreateMountTargetCommand).resolves(mountTarget());
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act
      const locations = await driver.createInstance({ instance: fsInstance(), pool: 'default', size_gb: 100, share_proto: 'NFS' });

      // Assess
      expect(locations).toEqual([{ id: expect.any(String), path: `${FS}.efs.eu-west-1.amazonaws.com:/`, preferred: true, is_admin_only: false }]);
      expect(efs.commandCalls(CreateFileSystemCommand)[0]!.args[0].input).toEqual({
        CreationToken: TOKEN,
        PerformanceMode: 'generalPurpose',
        ThroughputMode: 'provisioned',
        ProvisionedThroughputInMibps: 256,
        Encrypted: true,
        KmsKeyId: 'alias/shares',
        Tags: TAGS('default'),
      });
      expect(efs.commandCalls(DescribeFileSystemsCommand)).toHaveLength(2);
      expect(efs.commandCalls(DescribeMountTargetsCommand)[0]!.args[0].input).toEqual({ FileSystemId: FS });
      expect(efs.commandCalls(CreateMountTargetCommand).map((call) => call.args[0].input)).toEqual([
        { FileSystemId: FS, SubnetId: SUBNET_A, SecurityGroups: [SG] },
        { FileSystemId: FS, SubnetId: SUBNET_B, SecurityGroups: [SG] },
      ]);
    });

    it('creates a One Zone file system with its only mount target in its zone, from the pool defaults', async () => {
      // Prepare
      efs.on(CreateFileSystemCommand).resolves(fileSystem({ FileSystemId: FS }));
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem({ FileSystemId: FS, AvailabilityZoneName: 'eu-west-1b' })] });
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [] });
      efs.on(CreateMountTargetCommand).resolves(mountTarget());
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act
      await driver.createInstance({ instance: fsInstance('onezone', 'type-plain'), pool: 'onezone', size_gb: 1, share_proto: 'NFS' });

      // Assess
      expect(efs.commandCalls(CreateFileSystemCommand)[0]!.args[0].input).toEqual({
        CreationToken: TOKEN,
        PerformanceMode: 'generalPurpose',
        ThroughputMode: 'elastic',
        Encrypted: true,
        AvailabilityZoneName: 'eu-west-1b',
        Tags: TAGS('onezone'),
      });
      expect(efs.commandCalls(CreateMountTargetCommand).map((call) => call.args[0].input)).toEqual([{ FileSystemId: FS, SubnetId: SUBNET_B, SecurityGroups: [SG] }]);
    });

    it('adopts the file system of a retried step (FileSystemAlreadyExists) and creates only the missing mount target', async () => {
      // Prepare
      efs.on(CreateFileSystemCommand).rejects(efsError(FileSystemAlreadyExists, { FileSystemId: FS }));
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem({ FileSystemId: FS })] });
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [mountTarget({ FileSystemId: FS })] });
      efs.on(CreateMountTargetCommand).rejects(efsError(MountTargetConflict));
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act
      const locations = await driver.createInstance({ instance: fsInstance(), pool: 'default', size_gb: 1, share_proto: 'NFS' });

      // Assess
      expect(locations[0]!.path).toBe(`${FS}.efs.eu-west-1.amazonaws.com:/`);
      expect(efs.commandCalls(CreateMountTargetCommand).map((call) => call.args[0].input)).toEqual([{ FileSystemId: FS, SubnetId: SUBNET_B, SecurityGroups: [SG] }]);
    });

    it('waits out an earlier file system of the same instance that is being deleted (a cancelled driver-assisted start), then creates a new one', async () => {
      // Prepare
      const OLD = 'fs-0999999999999999a';
      efs.on(CreateFileSystemCommand).rejectsOnce(efsError(FileSystemAlreadyExists, { FileSystemId: OLD })).resolves(fileSystem({ FileSystemId: FS, LifeCycleState: 'creating' }));
      efs.on(DescribeFileSystemsCommand, { FileSystemId: OLD })
        .resolvesOnce({ FileSystems: [fileSystem({ FileSystemId: OLD, LifeCycleState: 'deleting' })] })
        .rejects(efsError(FileSystemNotFound));
      efs.on(DescribeFileSystemsCommand, { FileSystemId: FS }).resolves({ FileSystems: [fileSystem({ FileSystemId: FS })] });
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [] });
      efs.on(CreateMountTargetCommand).resolves(mountTarget());
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act
      const locations = await driver.createInstance({ instance: fsInstance(), pool: 'default', size_gb: 1, share_proto: 'NFS' });

      // Assess
      expect(locations[0]!.path).toBe(`${FS}.efs.eu-west-1.amazonaws.com:/`);
      expect(efs.commandCalls(CreateFileSystemCommand).map((call) => call.args[0].input.CreationToken)).toEqual([TOKEN, TOKEN]);
      expect(efs.commandCalls(DescribeFileSystemsCommand).map((call) => call.args[0].input)).toEqual([{ FileSystemId: OLD }, { FileSystemId: OLD }, { FileSystemId: FS }]);
      expect(efs.commandCalls(CreateMountTargetCommand).map((call) => call.args[0].input.FileSystemId)).toEqual([FS, FS]);
    });

    it('fails with EfsNotReadyError, which a retry resumes, when the file system is still creating after the wait budget', async () => {
      // Prepare
      efs.on(CreateFileSystemCommand).resolves(fileSystem({ FileSystemId: FS, LifeCycleState: 'creating' }));
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem({ FileSystemId: FS, LifeCycleState: 'creating' })] });
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act
      const failure = await driver.createInstance({ instance: fsInstance(), pool: 'default', size_gb: 1, share_proto: 'NFS' }).catch((err: unknown) => err);

      // Assess
      expect(failure).toBeInstanceOf(EfsNotReadyError);
      expect((failure as Error).name).toBe('EfsNotReadyError');
      expect((failure as Error).message).toBe(`efs@dedicated: file system ${FS} is still creating after waiting 30s; calling again resumes (share ${SHARE_ID})`);
      // 30 s budget, 10 s apart: probes at 0, 10, 20 and 30 s.
      expect(efs.commandCalls(DescribeFileSystemsCommand)).toHaveLength(4);
      expect(efs.commandCalls(CreateMountTargetCommand)).toHaveLength(0);
    });

    it.each([
      [{ 'efs:performance_mode': 'maxIO' }, /Elastic throughput needs the generalPurpose performance mode/],
      [{ 'efs:performance_mode': 'turbo' }, /Share type "x": efs:performance_mode must be one of generalPurpose, maxIO/],
      [{ 'efs:throughput_mode': 'provisioned' }, /throughput_mode "provisioned" needs provisioned_throughput_mibps/],
      [{ 'efs:encrypted': 'False', 'efs:kms_key_id': 'alias/k' }, /kms_key_id needs encrypted true/],
      [{ 'efs:encrypted': 'maybe' }, /efs:encrypted must be True or False/],
      [{ 'efs:availability_zone': 'eu-west-1c' }, /asks for One Zone storage in eu-west-1c, but efs@dedicated has no mount target subnet there/],
    ])('refuses share type specs %o before creating anything', async (specs, message) => {
      // Prepare
      const type: ShareType = { ...GOLD_TYPE, id: 'type-x', name: 'x', extra_specs: specs };
      const driver = makeDriver(FILE_SYSTEM_BACKEND, { shareTypes: shareTypes(type) });

      // Act & Assess
      await expect(driver.createInstance({ instance: fsInstance('default', 'type-x'), pool: 'default', size_gb: 1, share_proto: 'NFS' })).rejects.toThrow(message);
      expect(efs.commandCalls(CreateFileSystemCommand)).toHaveLength(0);
    });

    it('says what to do at the account file system quota', async () => {
      // Prepare
      efs.on(CreateFileSystemCommand).rejects(efsError(FileSystemLimitExceeded));
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act & Assess
      await expect(driver.createInstance({ instance: fsInstance(), pool: 'default', size_gb: 1, share_proto: 'NFS' })).rejects.toThrow(
        /as many EFS file systems in eu-west-1 as it may: delete unused ones or ask AWS for a higher quota/,
      );
    });

    it('leaves the file system for the cleanup when a mount target cannot be created, and the cleanup deletes it', async () => {
      // Prepare
      efs.on(CreateFileSystemCommand).resolves(fileSystem({ FileSystemId: FS }));
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem({ FileSystemId: FS, CreationToken: TOKEN })] });
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [] });
      efs.on(CreateMountTargetCommand).rejects(efsError(TooManyRequests));
      efs.on(DeleteFileSystemCommand).resolves({});
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act
      const failure = await driver.createInstance({ instance: fsInstance(), pool: 'default', size_gb: 1, share_proto: 'NFS' }).catch((err: unknown) => err);
      await driver.deleteInstance(fsInstance());

      // Assess
      expect(failure).toBeInstanceOf(DriverError);
      expect(efs.commandCalls(DeleteFileSystemCommand)[0]!.args[0].input).toEqual({ FileSystemId: FS });
    });
  });

  describe('Method: deleteInstance', () => {
    it('deletes the mount targets, waits until they are gone, then deletes the file system', async () => {
      // Prepare
      const targets = [mountTarget({ FileSystemId: FS }), mountTarget({ FileSystemId: FS, MountTargetId: 'fsmt-0bbbbbbbbbbbbbbb2', SubnetId: SUBNET_B, AvailabilityZoneName: 'eu-west-1b' })];
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem({ FileSystemId: FS, CreationToken: TOKEN })] });
      efs.on(DescribeMountTargetsCommand)
        .resolvesOnce({ MountTargets: targets })
        .resolvesOnce({ MountTargets: targets.map((target) => ({ ...target, LifeCycleState: 'deleting' as const })) })
        .resolves({ MountTargets: [] });
      efs.on(DeleteMountTargetCommand).resolves({});
      efs.on(DeleteFileSystemCommand).resolves({});
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act
      await driver.deleteInstance(fsInstance());

      // Assess
      expect(efs.commandCalls(DescribeFileSystemsCommand)[0]!.args[0].input).toEqual({ CreationToken: TOKEN });
      expect(efs.commandCalls(DeleteMountTargetCommand).map((call) => call.args[0].input)).toEqual([
        { MountTargetId: 'fsmt-0aaaaaaaaaaaaaaa1' },
        { MountTargetId: 'fsmt-0bbbbbbbbbbbbbbb2' },
      ]);
      expect(efs.commandCalls(DescribeMountTargetsCommand)).toHaveLength(3);
      expect(efs.commandCalls(DeleteFileSystemCommand)[0]!.args[0].input).toEqual({ FileSystemId: FS });
    });

    it.each([
      ['no file system has its token', () => efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [] })],
      ['the file system is already deleting', () => efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem({ FileSystemId: FS, LifeCycleState: 'deleting' })] })],
      ['mount targets and file system vanish under it', () => {
        efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem({ FileSystemId: FS })] });
        efs.on(DescribeMountTargetsCommand).resolvesOnce({ MountTargets: [mountTarget({ FileSystemId: FS })] }).rejects(efsError(FileSystemNotFound));
        efs.on(DeleteMountTargetCommand).rejects(efsError(MountTargetNotFound));
        efs.on(DeleteFileSystemCommand).rejects(efsError(FileSystemNotFound));
      }],
    ])('succeeds when %s', async (_case, arrange) => {
      // Prepare
      arrange();
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act & Assess
      await expect(driver.deleteInstance(fsInstance())).resolves.toBeUndefined();
    });

    it('fails with EfsNotReadyError while mount targets are still being deleted, without deleting the file system', async () => {
      // Prepare
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem({ FileSystemId: FS })] });
      efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [mountTarget({ FileSystemId: FS, LifeCycleState: 'deleting' })] });
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act & Assess
      await expect(driver.deleteInstance(fsInstance())).rejects.toThrow(EfsNotReadyError);
      expect(efs.commandCalls(DeleteMountTargetCommand)).toHaveLength(0);
      expect(efs.commandCalls(DeleteFileSystemCommand)).toHaveLength(0);
    });
  });

  describe('Method: getCopyMount', () => {
    it('waits until the mount targets are available, then answers /mnt/efs/<instance id> and the file system volume', async () => {
      // Prepare
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem({ FileSystemId: FS })] });
      const creating = [mountTarget({ FileSystemId: FS, LifeCycleState: 'creating' }), mountTarget({ FileSystemId: FS, SubnetId: SUBNET_B, AvailabilityZoneName: 'eu-west-1b', LifeCycleState: 'creating' })];
      efs.on(DescribeMountTargetsCommand)
        .resolvesOnce({ MountTargets: creating })
        .resolvesOnce({ MountTargets: creating })
        .resolves({ MountTargets: creating.map((target) => ({ ...target, LifeCycleState: 'available' as const })) });
      const driver = makeDriver(FILE_SYSTEM_BACKEND);

      // Act
      const mount = await driver.getCopyMount(fsInstance());

      // Assess
      expect(mount).toEqual({
        path: `/mnt/efs/${INSTANCE_ID}`,
        volume: { fileSystemId: FS, containerPath: `/mnt/efs/${INSTANCE_ID}`, region: 'eu-west-1', rootDirectory: '/' },
      });
      expect(efs.commandCalls(CreateMountTargetCommand)).toHaveLength(0);
      expect(efs.commandCalls(DescribeMountTargetsCommand)).toHaveLength(3);
    });
  });

  describe('Method: listPools', () => {
    it('reports each pool from the file systems this backend created: count, metered size, and the creation defaults', async () => {
      // Prepare
      const tagged = (id: string, pool: string, gib: number, backend = 'efs@dedicated') =>
        fileSystem({ FileSystemId: id, SizeInBytes: { Value: gib * 1024 ** 3 }, Tags: [{ Key: 'smig:backend', Value: backend }, { Key: 'smig:pool', Value: pool }] });
      efs.on(DescribeFileSystemsCommand)
        .resolvesOnce({ FileSystems: [tagged('fs-01111111111111111', 'default', 10), tagged('fs-02222222222222222', 'onezone', 5)], NextMarker: 'm2' })
        .resolves({ FileSystems: [tagged('fs-03333333333333333', 'default', 2.5), tagged('fs-04444444444444444', 'default', 500, 'efs@other'), fileSystem()] });
      const driver = makeDriver({ ...FILE_SYSTEM_BACKEND, total_capacity_gb: 100 });

      // Act
      const pools = await driver.listPools();

      // Assess
      expect(efs.commandCalls(DescribeFileSystemsCommand).map((call) => call.args[0].input)).toEqual([{}, { Marker: 'm2' }]);
      expect(pools.map((pool) => [pool.pool_name, pool.total_capacity_gb, pool.free_capacity_gb, pool.efs_file_systems, pool.efs_availability_zone])).toEqual([
        ['default', 100, 87.5, 2, 'regional'],
        ['onezone', 100, 95, 1, 'eu-west-1b'],
      ]);
      // Manila's zone of each pool: a One Zone pool's Availability Zone, a Regional pool's region.
      expect(pools.map((pool) => pool['availability_zone'])).toEqual(['eu-west-1', 'eu-west-1b']);
      expect(pools[0]).toMatchObject({
        driver_handles_share_servers: true,
        storage_protocol: 'NFS',
        vendor_name: 'Amazon',
        snapshot_support: false,
        security_service_types: [],
        efs_mode: 'file-system',
        efs_encrypted: true,
        efs_performance_mode: 'generalPurpose',
        efs_throughput_mode: 'elastic',
        efs_availability: 'regional',
      });
    });
  });
});
