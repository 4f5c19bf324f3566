import { EFSClient, type AccessPointDescription, type FileSystemDescription, type MountTargetDescription } from '@aws-sdk/client-efs';
import type { ShareInstance, ShareType } from '../../../lambdas/core/model.ts';
import { allEfsParts } from '../../../lambdas/drivers/efs/all-parts.ts';
import { EfsDriver, EfsDriverRegistry, type EfsBackendConfig, type EfsDriverDeps } from '../../../lambdas/drivers/efs/index.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const BACKEND_FS = 'fs-0123456789abcdef0';
export const SHARE_ID = 'a1b2c3d4-0000-4000-8000-000000000001';
export const INSTANCE_ID = '5f0c6d1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f';
/** `statementPrefix(INSTANCE_ID)` */
export const PREFIX = 'Smig5f0c6d1e2a3b4c5d8e9f0a1b2c3d4e5f';
export const TOKEN = `smig-${INSTANCE_ID}`;
export const AP_ID = 'fsap-0aaaaaaaaaaaaaaa1';
export const AP_ARN = `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:access-point/${AP_ID}`;
export const BACKEND_FS_ARN = `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/${BACKEND_FS}`;
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/app-server`;
export const T0 = Date.parse('2030-01-01T00:00:00.000Z');

export const ACCESS_POINT_BACKEND: EfsBackendConfig = {
  kind: 'efs',
  backend: 'shared',
  region: REGION,
  mode: 'access-point',
  file_system_id: BACKEND_FS,
};

export const FILE_SYSTEM_BACKEND: EfsBackendConfig = {
  kind: 'efs',
  backend: 'dedicated',
  region: REGION,
  mode: 'file-system',
  mount_target_subnets: { 'eu-west-1a': 'subnet-0aaaaaaaaaaaaaaa1', 'eu-west-1b': 'subnet-0bbbbbbbbbbbbbbb2' },
  security_group_ids: ['sg-0ccccccccccccccc3'],
  pools: [{ name: 'default' }, { name: 'onezone', file_system: { availability_zone: 'eu-west-1b' } }],
  wait_timeout_seconds: 30,
  poll_interval_seconds: 10,
};

export const PLAIN_TYPE: ShareType = {
  id: 'type-plain',
  name: 'plain',
  description: null,
  is_public: true,
  extra_specs: { driver_handles_share_servers: 'False' },
  created_at: '2030-01-01T00:00:00.000Z',
};

export const GOLD_TYPE: ShareType = {
  id: 'type-gold',
  name: 'gold',
  description: null,
  is_public: true,
  extra_specs: {
    driver_handles_share_servers: 'True',
    'efs:performance_mode': 'generalPurpose',
    'efs:throughput_mode': 'provisioned',
    'efs:provisioned_throughput_mibps': '256',
    'efs:encrypted': 'True',
    'efs:kms_key_id': 'alias/shares',
  },
  created_at: '2030-01-01T00:00:00.000Z',
};

export function instance(overrides: Partial<ShareInstance> = {}): ShareInstance {
  return {
    id: INSTANCE_ID,
    share_id: SHARE_ID,
    host: 'efs@shared#default',
    status: 'available',
    share_type_id: PLAIN_TYPE.id,
    export_locations: [],
    created_at: '2030-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function shareTypes(...types: ShareType[]): EfsDriverDeps['shareTypes'] {
  const all = [PLAIN_TYPE, GOLD_TYPE, ...types];
  return { get: async (id) => all.find((type) => type.id === id) ?? null };
}

/** A clock that only moves when the driver sleeps, so waits are instant and deterministic. */
export function fakeTime(): { clock: () => Date; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let now = T0;
  const slept: number[] = [];
  return {
    clock: () => new Date(now),
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    slept,
  };
}

export function makeDriver(config: EfsBackendConfig, deps: Partial<EfsDriverDeps> = {}): EfsDriver {
  const time = fakeTime();
  return new EfsDriver(config, {
    shareTypes: shareTypes(),
    clientFor: (region) => new EFSClient({ region }),
    clock: time.clock,
    sleep: time.sleep,
    parts: allEfsParts,
    ...deps,
  });
}

export function makeRegistry(configs: EfsBackendConfig[], deps: Partial<EfsDriverDeps> = {}): EfsDriverRegistry {
  const time = fakeTime();
  return new EfsDriverRegistry(configs, {
    shareTypes: shareTypes(),
    clientFor: (region) => new EFSClient({ region }),
    clock: time.clock,
    sleep: time.sleep,
    parts: allEfsParts,
    ...deps,
  });
}

export function fileSystem(overrides: Partial<FileSystemDescription> = {}): FileSystemDescription {
  const id = overrides.FileSystemId ?? BACKEND_FS;
  return {
    OwnerId: ACCOUNT,
    CreationToken: 'console-1',
    FileSystemId: id,
    FileSystemArn: `arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/${id}`,
    CreationTime: new Date(T0),
    LifeCycleState: 'available',
    NumberOfMountTargets: 2,
    SizeInBytes: { Value: 10 * 1024 ** 3 },
    PerformanceMode: 'generalPurpose',
    Encrypted: true,
    ThroughputMode: 'elastic',
    Tags: [],
    FileSystemProtection: { ReplicationOverwriteProtection: 'ENABLED' },
    ...overrides,
  };
}

export function accessPoint(overrides: Partial<AccessPointDescription> = {}): AccessPointDescription {
  return {
    ClientToken: TOKEN,
    AccessPointId: AP_ID,
    AccessPointArn: AP_ARN,
    FileSystemId: BACKEND_FS,
    OwnerId: ACCOUNT,
    LifeCycleState: 'available',
    RootDirectory: { Path: `/shares/share-${INSTANCE_ID}`, CreationInfo: { OwnerUid: 0, OwnerGid: 0, Permissions: '0755' } },
    Tags: [{ Key: 'smig:instance-id', Value: INSTANCE_ID }],
    ...overrides,
  };
}

export function mountTarget(overrides: Partial<MountTargetDescription> = {}): MountTargetDescription {
  return {
    MountTargetId: 'fsmt-0aaaaaaaaaaaaaaa1',
    FileSystemId: 'fs-0dddddddddddddddd',
    SubnetId: 'subnet-0aaaaaaaaaaaaaaa1',
    AvailabilityZoneName: 'eu-west-1a',
    LifeCycleState: 'available',
    ...overrides,
  };
}

/** A modelled EFS exception, as the SDK would throw it (name = error code). */
export function efsError<T extends new (options: never) => Error>(type: T, extra: Record<string, unknown> = {}): InstanceType<T> {
  return new type({ message: `${type.name} (test)`, $metadata: {}, ErrorCode: type.name, ...extra } as never) as InstanceType<T>;
}
