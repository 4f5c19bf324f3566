/**
 * What an operator has before `cdk deploy`, made in the emulator: a VPC with two private subnets and the
 * mount targets' security group, and the existing file systems of the access-point backends. Their ids
 * go into the CDK context, as in cdk.context.sample.json.
 */
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateFileSystemCommand, EFSClient } from '@aws-sdk/client-efs';
import type { AwsClientConfig } from './admin.ts';

export interface RehearsalBackends {
  /** The CDK context the rehearsal synthesizes with. */
  readonly context: Readonly<Record<string, unknown>>;
  /** Hosts of the pools, by role in the scenarios. */
  readonly hosts: {
    /** Access-point backend `gold`: pools on two existing file systems. */
    readonly accessPointA: string;
    readonly accessPointB: string;
    /** File-system backend `silver`: a file system per share. */
    readonly fileSystemRegional: string;
    readonly fileSystemOneZone: string;
  };
  /** The file systems of the access-point pools. */
  readonly fileSystems: { readonly a: string; readonly b: string };
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
  const fileSystems = { a: await fileSystem('gold-default'), b: await fileSystem('gold-archive') };
  const backends = {
    backends: [
      {
        kind: 'efs', backend: 'gold', mode: 'access-point', region,
        file_system_id: fileSystems.a,
        pools: [{ name: 'default' }, { name: 'archive', file_system_id: fileSystems.b }],
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
  return {
    context: { vpcId: vpc, subnetIds: subnets, availabilityZones: zones, efsSecurityGroupIds: [securityGroup], backends },
    hosts: { accessPointA: 'efs@gold#default', accessPointB: 'efs@gold#archive', fileSystemRegional: 'efs@silver#regional', fileSystemOneZone: 'efs@silver#onezone-a' },
    fileSystems,
  };
}
