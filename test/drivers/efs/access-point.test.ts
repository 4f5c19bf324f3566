import {
  AccessPointAlreadyExists,
  AccessPointLimitExceeded,
  AccessPointNotFound,
  CreateAccessPointCommand,
  DeleteAccessPointCommand,
  DeleteFileSystemPolicyCommand,
  DescribeAccessPointsCommand,
  DescribeFileSystemPolicyCommand,
  DescribeFileSystemsCommand,
  EFSClient,
  FileSystemNotFound,
  PolicyNotFound,
  PutFileSystemPolicyCommand,
  ThrottlingException,
  TooManyRequests,
} from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../lambdas/core/errors.ts';
import type { ShareType } from '../../../lambdas/core/model.ts';
import { createEfsClient } from '../../../lambdas/drivers/efs/index.ts';
import {
  ACCESS_POINT_BACKEND,
  accessPoint,
  AP_ID,
  BACKEND_FS,
  efsError,
  fileSystem,
  INSTANCE_ID,
  instance,
  makeDriver,
  PREFIX,
  SHARE_ID,
  shareTypes,
  TOKEN,
} from './fixtures.ts';

const efs = mockClient(EFSClient);
const FOLDER = `/shares/share-${INSTANCE_ID}`;
const EXPORTS = [
  { id: expect.any(String), path: `${BACKEND_FS}.efs.eu-west-1.amazonaws.com:${FOLDER}`, preferred: true, is_admin_only: false },
  { id: expect.any(String), path: `efs-ap://${AP_ID}`, preferred: false, is_admin_only: true },
];

describe('Class: EfsDriver (access-point mode)', () => {
  beforeEach(() => {
    efs.reset();
  });

  describe('Method: createInstance', () => {
    it('creates an access point rooted at the instance folder, with the default owner and mode, tagged, with a token from the instance id', async () => {
      // Prepare
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem()] });
      efs.on(CreateAccessPointCommand).resolves(accessPoint());
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      const locations = await driver.createInstance({ instance: instance(), pool: 'default', size_gb: 10, share_proto: 'NFS' });

      // Assess
      expect(locations).toEqual(EXPORTS);
      expect(efs.commandCalls(DescribeFileSystemsCommand)[0]!.args[0].input).toEqual({ FileSystemId: BACKEND_FS });
      expect(efs.commandCalls(CreateAccessPointCommand)[0]!.args[0].input).toEqual({
        ClientToken: TOKEN,
        FileSystemId: BACKEND_FS,
        RootDirectory: { Path: FOLDER, CreationInfo: { OwnerUid: 0, OwnerGid: 0, Permissions: '0755' } },
        Tags: [
          { Key: 'Name', Value: `share-${INSTANCE_ID}` },
          { Key: 'smig:instance-id', Value: INSTANCE_ID },
          { Key: 'smig:share-id', Value: SHARE_ID },
          { Key: 'smig:backend', Value: 'efs@shared' },
          { Key: 'smig:pool', Value: 'default' },
        ],
      });
    });

    it('takes the owner and mode from the share type over the config, and the configured POSIX user', async () => {
      // Prepare
      const owned: ShareType = { ...(await shareTypes().get('type-plain'))!, id: 'type-owned', extra_specs: { 'efs:owner_uid': '1000', 'efs:permissions': '0750' } };
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem()] });
      efs.on(CreateAccessPointCommand).resolves(accessPoint());
      const driver = makeDriver(
        { ...ACCESS_POINT_BACKEND, root_directory: { owner_uid: 10, owner_gid: 20, permissions: '0700' } },
        { shareTypes: shareTypes(owned) },
      );
      // A POSIX user needs the instance folders owned by it (config validation refuses anything else).
      const withUser = makeDriver(
        { ...ACCESS_POINT_BACKEND, root_directory: { owner_uid: 1000, owner_gid: 1000, permissions: '0700' }, posix_user: { uid: 1000, gid: 1000, secondary_gids: [50] } },
      );

      // Act
      await driver.createInstance({ instance: instance({ share_type_id: 'type-owned' }), pool: 'default', size_gb: 1, share_proto: 'NFS' });
      await withUser.createInstance({ instance: instance(), pool: 'default', size_gb: 1, share_proto: 'NFS' });

      // Assess
      const [typed, userPinned] = efs.commandCalls(CreateAccessPointCommand).map((call) => call.args[0].input);
      expect(typed!.RootDirectory).toEqual({ Path: FOLDER, CreationInfo: { OwnerUid: 1000, OwnerGid: 20, Permissions: '0750' } });
      expect(typed!.PosixUser).toBeUndefined();
      expect(userPinned!.RootDirectory).toEqual({ Path: FOLDER, CreationInfo: { OwnerUid: 1000, OwnerGid: 1000, Permissions: '0700' } });
      expect(userPinned!.PosixUser).toEqual({ Uid: 1000, Gid: 1000, SecondaryGids: [50] });
    });

    it.each([
      ['EFS answers a retried token with the same access point', () => efs.on(CreateAccessPointCommand).resolves(accessPoint())],
      ['EFS answers a retried token with AccessPointAlreadyExists', () =>
        efs.on(CreateAccessPointCommand).resolvesOnce(accessPoint()).rejects(efsError(AccessPointAlreadyExists, { AccessPointId: AP_ID }))],
    ])('is idempotent when %s: the same token, the same access point', async (_case, arrange) => {
      // Prepare
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem()] });
      arrange();
      const driver = makeDriver(ACCESS_POINT_BACKEND);
      const request = { instance: instance(), pool: 'default', size_gb: 1, share_proto: 'NFS' as const };

      // Act
      const first = await driver.createInstance(request);
      const second = await driver.createInstance(request);

      // Assess
      expect(second).toEqual(first);
      const tokens = efs.commandCalls(CreateAccessPointCommand).map((call) => call.args[0].input.ClientToken);
      expect(tokens).toEqual([TOKEN, TOKEN]);
    });

    it('refuses a share type whose file system specs the backend file system does not meet, before creating anything', async () => {
      // Prepare
      const oneZone: ShareType = { ...(await shareTypes().get('type-plain'))!, id: 'type-oz', extra_specs: { 'efs:availability_zone': 'eu-west-1a', 'efs:encrypted': 'False' } };
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem()] });
      const driver = makeDriver(ACCESS_POINT_BACKEND, { shareTypes: shareTypes(oneZone) });

      // Act & Assess
      await expect(driver.createInstance({ instance: instance({ share_type_id: 'type-oz' }), pool: 'default', size_gb: 1, share_proto: 'NFS' })).rejects.toThrow(
        `Share type "plain" does not fit file system ${BACKEND_FS} of efs@shared#default: efs:encrypted is false, the file system's is true; efs:availability_zone is eu-west-1a, the file system's is regional`,
      );
      expect(efs.commandCalls(CreateAccessPointCommand)).toHaveLength(0);
    });

    it('refuses an unknown efs: extra spec (a typo would silently change nothing)', async () => {
      // Prepare
      const typo: ShareType = { ...(await shareTypes().get('type-plain'))!, id: 'type-typo', extra_specs: { 'efs:owner_iud': '1' } };
      const driver = makeDriver(ACCESS_POINT_BACKEND, { shareTypes: shareTypes(typo) });

      // Act & Assess
      await expect(driver.createInstance({ instance: instance({ share_type_id: 'type-typo' }), pool: 'default', size_gb: 1, share_proto: 'NFS' })).rejects.toThrow(
        /unknown extra spec efs:owner_iud/,
      );
    });

    it('says what to do when the file system has no access point left, and the cleanup that follows deletes nothing', async () => {
      // Prepare
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem()] });
      efs.on(CreateAccessPointCommand).rejects(efsError(AccessPointLimitExceeded));
      efs.on(DescribeFileSystemPolicyCommand).rejects(efsError(PolicyNotFound));
      efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [] });
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      const failure = await driver.createInstance({ instance: instance(), pool: 'default', size_gb: 1, share_proto: 'NFS' }).catch((err: unknown) => err);
      await driver.deleteInstance(instance());

      // Assess
      expect(failure).toBeInstanceOf(DriverError);
      expect((failure as DriverError).shareId).toBe(SHARE_ID);
      expect((failure as Error).message).toMatch(/as many access points as EFS allows: delete access points no share uses, or add another file system to this backend as a pool/);
      expect(efs.commandCalls(DescribeAccessPointsCommand)[0]!.args[0].input).toEqual({ FileSystemId: BACKEND_FS, MaxResults: 100 });
      expect(efs.commandCalls(DeleteAccessPointCommand)).toHaveLength(0);
      expect(efs.commandCalls(PutFileSystemPolicyCommand)).toHaveLength(0);
    });

    it.each([
      ['ThrottlingException', () => efsError(ThrottlingException)],
      ['TooManyRequests', () => efsError(TooManyRequests)],
    ])('surfaces %s that outlasted the SDK retries as a DriverError that says to retry later', async (_name, error) => {
      // Prepare
      efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fileSystem()] });
      efs.on(CreateAccessPointCommand).rejects(error());
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      const failure = await driver.createInstance({ instance: instance(), pool: 'default', size_gb: 1, share_proto: 'NFS' }).catch((err: unknown) => err);

      // Assess
      expect(failure).toBeInstanceOf(DriverError);
      expect((failure as Error).message).toMatch(/efs@shared: creating instance .* failed: EFS still throttled the request after 5 attempts .*retry later/);
      expect((failure as Error).cause).toBeInstanceOf(Error);
    });

    it('reports a backend file system that does not exist', async () => {
      // Prepare
      efs.on(DescribeFileSystemsCommand).rejects(efsError(FileSystemNotFound));
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act & Assess
      await expect(driver.createInstance({ instance: instance(), pool: 'default', size_gb: 1, share_proto: 'NFS' })).rejects.toThrow(
        `efs@shared: file system ${BACKEND_FS} of pool "default" does not exist in eu-west-1`,
      );
    });

    it('refuses an instance of another backend or pool', async () => {
      // Prepare
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act & Assess
      await expect(driver.createInstance({ instance: instance({ host: 'efs@other#default' }), pool: 'default', size_gb: 1, share_proto: 'NFS' })).rejects.toThrow(
        /is on efs@other#default, not on efs@shared/,
      );
      await expect(driver.createInstance({ instance: instance({ host: 'efs@shared#fast' }), pool: 'fast', size_gb: 1, share_proto: 'NFS' })).rejects.toThrow(
        /pool "fast", which efs@shared does not have/,
      );
    });
  });

  describe('Method: deleteInstance', () => {
    it("removes the instance's policy statements, keeps the others, then deletes the access point named by its export location", async () => {
      // Prepare
      const other = { Sid: 'Operator', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'elasticfilesystem:ClientMount' };
      const own = { Sid: `${PREFIX}RuleabcRw`, Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/x' }, Action: 'elasticfilesystem:ClientMount' };
      efs.on(DescribeFileSystemPolicyCommand).resolves({ FileSystemId: BACKEND_FS, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [other, own] }) });
      efs.on(PutFileSystemPolicyCommand).resolves({});
      efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [accessPoint()] });
      efs.on(DeleteAccessPointCommand).resolves({});
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      await driver.deleteInstance(instance({ export_locations: [{ id: 'x', path: `efs-ap://${AP_ID}`, preferred: false, is_admin_only: true }] }));

      // Assess
      expect(JSON.parse(efs.commandCalls(PutFileSystemPolicyCommand)[0]!.args[0].input.Policy!)).toEqual({ Version: '2012-10-17', Statement: [other] });
      expect(efs.commandCalls(DescribeAccessPointsCommand)[0]!.args[0].input).toEqual({ AccessPointId: AP_ID });
      expect(efs.commandCalls(DeleteAccessPointCommand)[0]!.args[0].input).toEqual({ AccessPointId: AP_ID });
    });

    it('deletes the policy when the instance held its only statements, and finds the access point by token when the export locations name none', async () => {
      // Prepare
      const own = { Sid: `${PREFIX}ReadOnly`, Effect: 'Deny', Principal: { AWS: '*' }, Action: ['elasticfilesystem:ClientWrite'] };
      efs.on(DescribeFileSystemPolicyCommand).resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: own }) });
      efs.on(DeleteFileSystemPolicyCommand).resolves({});
      efs.on(DescribeAccessPointsCommand)
        .resolvesOnce({ AccessPoints: [accessPoint({ AccessPointId: 'fsap-0bbbbbbbbbbbbbbb2', ClientToken: 'other', Tags: [] })], NextToken: 'page-2' })
        .resolves({ AccessPoints: [accessPoint()] });
      efs.on(DeleteAccessPointCommand).resolves({});
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      await driver.deleteInstance(instance());

      // Assess
      expect(efs.commandCalls(DeleteFileSystemPolicyCommand)[0]!.args[0].input).toEqual({ FileSystemId: BACKEND_FS });
      expect(efs.commandCalls(DescribeAccessPointsCommand).map((call) => call.args[0].input)).toEqual([
        { FileSystemId: BACKEND_FS, MaxResults: 100 },
        { FileSystemId: BACKEND_FS, MaxResults: 100, NextToken: 'page-2' },
      ]);
      expect(efs.commandCalls(DeleteAccessPointCommand)[0]!.args[0].input).toEqual({ AccessPointId: AP_ID });
    });

    it.each([
      ['the access point is already gone', () => {
        efs.on(DescribeFileSystemPolicyCommand).rejects(efsError(PolicyNotFound));
        efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [] });
      }],
      ['the access point vanishes between lookup and delete', () => {
        efs.on(DescribeFileSystemPolicyCommand).rejects(efsError(PolicyNotFound));
        efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [accessPoint()] });
        efs.on(DeleteAccessPointCommand).rejects(efsError(AccessPointNotFound));
      }],
      ['the named access point is gone', () => {
        efs.on(DescribeFileSystemPolicyCommand).rejects(efsError(PolicyNotFound));
        efs.on(DescribeAccessPointsCommand, { AccessPointId: AP_ID }).rejects(efsError(AccessPointNotFound));
        efs.on(DescribeAccessPointsCommand, { FileSystemId: BACKEND_FS }).resolves({ AccessPoints: [] });
      }],
      ['the whole file system is gone', () => {
        efs.on(DescribeFileSystemPolicyCommand).rejects(efsError(FileSystemNotFound));
      }],
    ])('succeeds when %s', async (_case, arrange) => {
      // Prepare
      arrange();
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act & Assess
      await expect(
        driver.deleteInstance(instance({ export_locations: [{ id: 'x', path: `efs-ap://${AP_ID}`, preferred: false, is_admin_only: true }] })),
      ).resolves.toBeUndefined();
      expect(efs.commandCalls(PutFileSystemPolicyCommand)).toHaveLength(0);
    });
  });

  describe('Method: getCopyMount', () => {
    it('answers /mnt/efs/<instance id> and the access point volume the copy task definition mounts there', async () => {
      // Prepare
      efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [accessPoint()] });
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act
      const mount = await driver.getCopyMount(instance());

      // Assess
      expect(mount).toEqual({
        path: `/mnt/efs/${INSTANCE_ID}`,
        volume: { fileSystemId: BACKEND_FS, accessPointId: AP_ID, containerPath: `/mnt/efs/${INSTANCE_ID}`, region: 'eu-west-1', rootDirectory: '/' },
      });
    });

    it('fails for an instance that does not exist', async () => {
      // Prepare
      efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [] });
      const driver = makeDriver(ACCESS_POINT_BACKEND);

      // Act & Assess
      await expect(driver.getCopyMount(instance())).rejects.toThrow(new RegExp(`Instance ${INSTANCE_ID} does not exist on efs@shared`));
    });
  });

  describe('Method: listPools', () => {
    it('reports each pool from DescribeFileSystems: NFS, Amazon, no snapshots, configured total, free = total - metered size', async () => {
      // Prepare
      efs.on(DescribeFileSystemsCommand).resolves({
        FileSystems: [fileSystem({ SizeInBytes: { Value: 100.5 * 1024 ** 3 }, AvailabilityZoneName: 'eu-west-1a', ThroughputMode: 'bursting' })],
      });
      const driver = makeDriver({ ...ACCESS_POINT_BACKEND, total_capacity_gb: 1000 });

      // Act
      const pools = await driver.listPools();

      // Assess
      expect(efs.commandCalls(DescribeFileSystemsCommand)[0]!.args[0].input).toEqual({ FileSystemId: BACKEND_FS });
      expect(pools).toEqual([{
        pool_name: 'default',
        share_backend_name: 'shared',
        vendor_name: 'Amazon',
        driver_version: '1.0.0',
        storage_protocol: 'NFS',
        total_capacity_gb: 1000,
        free_capacity_gb: 899.5,
        reserved_percentage: 0,
        driver_handles_share_servers: false,
        snapshot_support: false,
        create_share_from_snapshot_support: false,
        revert_to_snapshot_support: false,
        mount_snapshot_support: false,
        security_service_types: [],
        efs_mode: 'access-point',
        efs_region: 'eu-west-1',
        efs_metered_size_gb: 100.5,
        metadata_preserved: ['modes', 'owners', 'times'],
        efs_file_system_id: BACKEND_FS,
        efs_encrypted: true,
        efs_performance_mode: 'generalPurpose',
        efs_throughput_mode: 'bursting',
        efs_availability: 'one_zone',
        efs_availability_zone: 'eu-west-1a',
        // Manila's zone of the pool: the One Zone file system's Availability Zone.
        availability_zone: 'eu-west-1a',
      }]);
    });

    it('reports one pool per configured file system', async () => {
      // Prepare
      const second = 'fs-0eeeeeeeeeeeeeee5';
      efs.on(DescribeFileSystemsCommand, { FileSystemId: BACKEND_FS }).resolves({ FileSystems: [fileSystem()] });
      efs.on(DescribeFileSystemsCommand, { FileSystemId: second }).resolves({ FileSystems: [fileSystem({ FileSystemId: second, Encrypted: false })] });
      const driver = makeDriver({ ...ACCESS_POINT_BACKEND, pools: [{ name: 'default' }, { name: 'plain', file_system_id: second, total_capacity_gb: 50 }] });

      // Act
      const pools = await driver.listPools();

      // Assess
      expect(pools.map((pool) => [pool.pool_name, pool.efs_file_system_id, pool.efs_encrypted, pool.total_capacity_gb, pool.free_capacity_gb])).toEqual([
        ['default', BACKEND_FS, true, 1048576, 1048566],
        ['plain', second, false, 50, 40],
      ]);
    });
  });
});

describe('Function: createEfsClient', () => {
  it("uses the SDK's standard retry mode with the configured attempts, so throttling is retried with backoff", async () => {
    // Act
    const client = createEfsClient('eu-west-1', 7);

    // Assess
    expect(await client.config.maxAttempts()).toBe(7);
    const strategy = await client.config.retryStrategy();
    expect((strategy as { mode?: string }).mode).toBe('standard');
    expect(await client.config.region()).toBe('eu-west-1');
  });
});
