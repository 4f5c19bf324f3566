/**
 * What each part of the EFS driver may ask AWS to do, as IAM actions, so that the CDK stack can give each
 * function exactly what its bundle can call. Data only, with no imports: the CDK app reads it without
 * loading the SDK.
 *
 * `calls` is kept true by test/drivers/efs/parts.test.ts: it derives, from each part's modules (and the
 * modules they import), the `...Command`s they import from @aws-sdk/client-efs and
 * @aws-sdk/client-cloudwatch and compares them with `calls` both ways. `implied` lists what IAM also checks on the caller for those calls although the
 * driver sends no such request (tag-on-create, the network interfaces of mount targets, the EFS
 * service-linked role, a customer managed KMS key); it comes from AWS's documentation, cited per entry.
 * `unscoped` names the calls IAM checks only against `"*"` (CloudWatch's GetMetricData).
 */

export const EFS_PART_NAMES = ['pools', 'instances', 'accessRules', 'replication', 'switchover'] as const;
export type EfsPartName = (typeof EFS_PART_NAMES)[number];

/** The ShareDriver methods EfsDriver implements. */
export const EFS_DRIVER_METHODS = [
  'listPools',
  'createInstance',
  'deleteInstance',
  'getCopyMount',
  'switchoverBlockers',
  'dataLeftBehind',
  'extendInstance',
  'shrinkInstance',
  'applyAccessRules',
  'migrationCheckCompatibility',
  'migrationStart',
  'migrationContinue',
  'migrationComplete',
  'migrationCancel',
  'migrationGetProgress',
] as const;
export type EfsDriverMethod = (typeof EFS_DRIVER_METHODS)[number];

/** The parts a method needs: a function that calls the method must be composed with them (and granted their actions). */
export const EFS_METHOD_PARTS: Readonly<Record<EfsDriverMethod, readonly EfsPartName[]>> = {
  listPools: ['pools'],
  createInstance: ['instances'],
  deleteInstance: ['instances'],
  getCopyMount: ['instances'],
  switchoverBlockers: ['switchover'],
  dataLeftBehind: ['instances'],
  extendInstance: ['instances'],
  shrinkInstance: ['instances'],
  applyAccessRules: ['accessRules'],
  migrationCheckCompatibility: ['replication'],
  migrationStart: ['replication'],
  migrationContinue: ['replication'],
  migrationComplete: ['replication'],
  migrationCancel: ['replication'],
  migrationGetProgress: ['replication'],
};

/** A permission IAM checks on the caller of an EFS call, besides the call's own action. */
export interface EfsImpliedPermission {
  readonly actions: readonly string[];
  /** The EFS action that needs them. */
  readonly for: string;
  /** @default - always */
  readonly onlyWhen?: string;
  /** An IAM condition the grant should carry. @default - none */
  readonly condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Where AWS documents it. */
  readonly source: string;
}

export interface EfsPartPermissions {
  /**
   * `elasticfilesystem:<API name>` of every EFS API call the part's modules can send, and
   * `cloudwatch:<API name>` of every CloudWatch one.
   */
  readonly calls: readonly string[];
  readonly implied: readonly EfsImpliedPermission[];
  /** Actions of `calls` that support no resource-level permission: they can only be granted on `"*"`. */
  readonly unscoped: readonly UnscopedAction[];
}

/** An action IAM checks only against `"*"`, and where AWS says so. */
export interface UnscopedAction {
  readonly action: string;
  readonly source: string;
}

const API = 'https://docs.aws.amazon.com/efs/latest/ug';

/** "If tags are specified in the creation action, IAM performs additional authorization on the elasticfilesystem:TagResource action." */
function tagOnCreate(action: 'CreateFileSystem' | 'CreateAccessPoint'): EfsImpliedPermission {
  return { actions: ['elasticfilesystem:TagResource'], for: `elasticfilesystem:${action}`, source: `${API}/API_${action}.html` };
}

/** "This operation also requires permissions for the following Amazon EC2 actions" (the mount target's network interface). */
const CREATE_MOUNT_TARGET_EC2: EfsImpliedPermission = {
  actions: ['ec2:DescribeSubnets', 'ec2:DescribeNetworkInterfaces', 'ec2:CreateNetworkInterface'],
  for: 'elasticfilesystem:CreateMountTarget',
  source: `${API}/API_CreateMountTarget.html`,
};

/** "The operation also requires permissions for the following Amazon EC2 action on the mount target's network interface". */
const DELETE_MOUNT_TARGET_EC2: EfsImpliedPermission = {
  actions: ['ec2:DeleteNetworkInterface'],
  for: 'elasticfilesystem:DeleteMountTarget',
  source: `${API}/API_DeleteMountTarget.html`,
};

/**
 * "When you create mount targets or a replication configuration ... Amazon EFS creates the service-linked
 * role for you" (AWSServiceRoleForAmazonElasticFileSystem), with the caller's iam:CreateServiceLinkedRole,
 * limited by the condition the page gives. Once the role exists in the account the call is not repeated.
 */
function serviceLinkedRole(action: 'CreateMountTarget' | 'CreateReplicationConfiguration'): EfsImpliedPermission {
  return {
    actions: ['iam:CreateServiceLinkedRole'],
    for: `elasticfilesystem:${action}`,
    onlyWhen: 'the account has no AWSServiceRoleForAmazonElasticFileSystem yet',
    condition: { StringEquals: { 'iam:AWSServiceName': 'elasticfilesystem.amazonaws.com' } },
    source: `${API}/using-service-linked-roles.html`,
  };
}

/**
 * "You must manually configure IAM permissions for AWS KMS when creating a new Amazon EFS file system that
 * is encrypted at rest"; the encryption page marks these four "Required". The AWS managed key
 * (aws/elasticfilesystem) allows them through its key policy, so they matter only for a customer managed
 * key, on that key's ARN.
 */
const CUSTOMER_MANAGED_KEY: EfsImpliedPermission = {
  actions: ['kms:DescribeKey', 'kms:CreateGrant', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:Decrypt'],
  for: 'elasticfilesystem:CreateFileSystem',
  onlyWhen: 'a pool or share type names a customer managed key (kms_key_id, efs:kms_key_id)',
  source: `${API}/encryption-at-rest.html`,
};

/**
 * "If there is no value for this column [Resource types], you must specify all resources ("*")": the
 * Service Authorization Reference lists no resource type for cloudwatch:GetMetricData.
 */
const GET_METRIC_DATA: UnscopedAction = {
  action: 'cloudwatch:GetMetricData',
  source: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html',
};

const FILE_SYSTEM_POLICY = [
  'elasticfilesystem:DescribeFileSystemPolicy',
  'elasticfilesystem:PutFileSystemPolicy',
  'elasticfilesystem:DeleteFileSystemPolicy',
];

/** Creating and deleting a file system with its mount targets (file-system instances, replication destinations). */
const FILE_SYSTEM_LIFECYCLE = [
  'elasticfilesystem:CreateFileSystem',
  'elasticfilesystem:CreateMountTarget',
  'elasticfilesystem:DeleteFileSystem',
  'elasticfilesystem:DeleteMountTarget',
  'elasticfilesystem:DescribeFileSystems',
  'elasticfilesystem:DescribeMountTargets',
];

const FILE_SYSTEM_LIFECYCLE_IMPLIED = [tagOnCreate('CreateFileSystem'), CUSTOMER_MANAGED_KEY, CREATE_MOUNT_TARGET_EC2, DELETE_MOUNT_TARGET_EC2, serviceLinkedRole('CreateMountTarget')];

export const EFS_PART_PERMISSIONS: Readonly<Record<EfsPartName, EfsPartPermissions>> = {
  pools: {
    calls: ['elasticfilesystem:DescribeFileSystems'],
    implied: [],
    unscoped: [],
  },
  instances: {
    calls: [
      ...FILE_SYSTEM_LIFECYCLE,
      'elasticfilesystem:CreateAccessPoint',
      'elasticfilesystem:DeleteAccessPoint',
      'elasticfilesystem:DescribeAccessPoints',
      // deleteInstance removes an access point's statements from its file system's policy.
      ...FILE_SYSTEM_POLICY,
    ],
    implied: [tagOnCreate('CreateAccessPoint'), ...FILE_SYSTEM_LIFECYCLE_IMPLIED],
    unscoped: [],
  },
  accessRules: {
    calls: [...FILE_SYSTEM_POLICY, 'elasticfilesystem:DescribeAccessPoints', 'elasticfilesystem:DescribeFileSystems'],
    implied: [],
    unscoped: [],
  },
  replication: {
    calls: [
      ...FILE_SYSTEM_LIFECYCLE,
      // The switchover makes the source read-only through its policy, and cancel undoes that.
      ...FILE_SYSTEM_POLICY,
      'elasticfilesystem:CreateReplicationConfiguration',
      'elasticfilesystem:DeleteReplicationConfiguration',
      'elasticfilesystem:DescribeReplicationConfigurations',
      'elasticfilesystem:TagResource',
      'elasticfilesystem:UntagResource',
      'elasticfilesystem:UpdateFileSystemProtection',
      // The switch waits until no client connected before the source went read-only is left (ClientConnections).
      GET_METRIC_DATA.action,
    ],
    implied: [...FILE_SYSTEM_LIFECYCLE_IMPLIED, serviceLinkedRole('CreateReplicationConfiguration')],
    unscoped: [GET_METRIC_DATA],
  },
  switchover: {
    calls: [GET_METRIC_DATA.action],
    implied: [],
    unscoped: [GET_METRIC_DATA],
  },
};

/** The parts the given methods need, in EFS_PART_NAMES order. */
export function efsPartsFor(methods: readonly EfsDriverMethod[]): EfsPartName[] {
  const wanted = new Set(methods.flatMap((method) => EFS_METHOD_PARTS[method]));
  return EFS_PART_NAMES.filter((part) => wanted.has(part));
}

/**
 * Every IAM action of the given parts, `calls` and `implied` (conditional ones included), sorted, each once.
 * Scoping them to resources, and the conditions of `implied`, are the caller's to add.
 */
export function efsActionsFor(parts: readonly EfsPartName[]): string[] {
  const actions = parts.flatMap((part) => [...EFS_PART_PERMISSIONS[part].calls, ...EFS_PART_PERMISSIONS[part].implied.flatMap((implied) => implied.actions)]);
  return [...new Set(actions)].sort();
}
