/**
 * What an operator has before `cdk deploy`, made in the emulator: a VPC with two private subnets and the
 * mount targets' security group, and the existing file systems of the access-point backends. Their ids
 * go into the CDK context, as in cdk.context.sample.json.
 */
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateFileSystemCommand, EFSClient } from '@aws-sdk/client-efs';
import type { AwsClientConfig } from './admin.ts';

/** A source and a destination pool of the access-point backend, each on a file system of its own. */
export interface PoolPair {
  readonly source: string;
  readonly destination: string;
  readonly sourceFileSystem: string;
  readonly destinationFileSystem: string;
}

/**
 * Scenarios run at the same time; each one that moves an access-point share has its own pair of file
 * systems, so that a file system's client connections (what the switchover waits on) are that
 * scenario's only.
 */
export const POOL_PAIRS = ['cli', 'cancel', 'schedule', 'retry', 'fail'] as const;
export type PoolPairName = (typeof POOL_PAIRS)[number];

export interface RehearsalBackends {
  /** The CDK context the rehearsal synthesizes with. */
  readonly context: Readonly<Record<string, unknown>>;
  /** Access-point backend `gold`: a pair of pools on existing file systems per scenario. */
  readonly pairs: Readonly<Record<PoolPairName, PoolPair>>;
  /** File-system backend `silver`: a file system per share. */
  readonly fileSystemRegional: string;
  readonly fileSystemOneZone: string;
  /** Every pool's host. */
  readonly hosts: readonly string[];
}

export async function createBackends(admin: AwsClientConfig): Promise<RehearsalBackends> {
  const ec2 = new EC2Client(admin);
  const region = admin.region;
  const zones = [`${region}a`, `${region}b`];
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!.VpcId!;
  const subnets: string[] = [];
  for (const [index, zone] of zones.entries()) {
    subnets.push((await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.40.${index + 1}.0/24`, AvailabilityZone: zone }))).Subnet!.SubnetId!);
  }
  const securityGroup = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: 'efs-mount-targets', Description: 'NFS from clients and the copy tasks' }))).GroupId!;
  const efs = new EFSClient(admin);
  const fileSystem = async (name: string): Promise<string> =>
    (await efs.send(new CreateFileSystemCommand({ CreationToken: `rehearsal-${name}`, Encrypted: true, PerformanceMode: 'generalPurpose', ThroughputMode: 'elastic', Tags: [{ Key: 'Name', Value: name }] }))).FileSystemId!;
  const pools: { name: string; file_system_id: string }[] = [];
  const pairs = {} as Record<PoolPairName, PoolPair>;
  for (const pair of POOL_PAIRS) {
    const [source, destination] = [`${pair}-src`, `${pair}-dst`];
    const [sourceFileSystem, destinationFileSystem] = [await fileSystem(`gold-${source}`), await fileSystem(`gold-${destination}`)];
    pools.push({ name: source, file_system_id: sourceFileSystem }, { name: destination, file_system_id: destinationFileSystem });
    pairs[pair] = { source: `efs@gold#${source}`, destination: `efs@gold#${destination}`, sourceFileSystem, destinationFileSystem };
  }
  const backends = {
    backends: [
      {
        kind: 'efs', backend: 'gold', mode: 'access-point', region,
        file_system_id: pools[0]!.file_system_id,
        pools,
        wait_timeout_seconds: 20, poll_interval_seconds: 1,
      },
      {
        kind: 'efs', backend: 'silver', mode: 'file-system', region,
        mount_target_subnets: Object.fromEntries(zones.map((zone, index) => [zone, subnets[index]])),
        security_group_ids: [securityGroup],
        file_system: { performance_mode: 'generalPurpose', throughput_mode: 'elastic', encrypted: true },
        pools: [{ name: 'regional' }, { name: 'onezone-a', file_system: { availability_zone: zones[0] } }],
        wait_timeout_seconds: 20, poll_interval_seconds: 1,
      },
    ],
  };
  const fileSystemRegional = 'efs@silver#regional';
  const fileSystemOneZone = 'efs@silver#onezone-a';
  return {
    context: { vpcId: vpc, subnetIds: subnets, availabilityZones: zones, efsSecurityGroupIds: [securityGroup], backends },
    pairs,
    fileSystemRegional,
    fileSystemOneZone,
    hosts: [...pools.map((pool) => `efs@gold#${pool.name}`), fileSystemRegional, fileSystemOneZone],
  };
}
