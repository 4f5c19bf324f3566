import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { EfsMode, type ResolvedEfsBackendConfig } from '../../lambdas/drivers/efs/config.ts';
import { EFS_PART_PERMISSIONS, type EfsPartName } from '../../lambdas/drivers/efs/efs-actions.ts';
import { EfsTag } from '../../lambdas/drivers/efs/naming.ts';

/** A statement of an EFS grant, and why each of its wildcard resources can be no narrower (for cdk-nag). */
export interface EfsGrantStatement {
  readonly statement: iam.PolicyStatement;
  readonly wildcards: Readonly<Record<string, string>>;
}

/**
 * Where EFS authorizes an action the driver sends, for the backends of one mode:
 * - `fileSystems`: the access-point backends' named file systems;
 * - `createAccessPoint`: those file systems, with aws:RequestTag/smig:backend of an access-point backend;
 * - `accessPoints`: the access points the driver made (aws:ResourceTag/smig:backend);
 * - `list`: "*" (no file system id: a file-system backend lists its file systems, and finds an
 *   instance's by its CreationToken);
 * - `createFileSystem`: "*" with aws:RequestTag/smig:backend of a file-system backend;
 * - `tagged`: the file systems a file-system backend made (aws:ResourceTag/smig:backend);
 * - `switchTags`: those, tagging only the switchover's tags (aws:TagKeys);
 * - `replication`: the file systems of the file-system backends' regions (EFS replication supports no
 *   tag-based authorization).
 */
type Scope = 'fileSystems' | 'createAccessPoint' | 'accessPoints' | 'readAccessPoints' | 'list' | 'createFileSystem' | 'tagged' | 'switchTags' | 'replication';

/**
 * For every EFS action of EFS_PART_PERMISSIONS' `calls`, where it is authorized for an access-point backend
 * and for a file-system backend (none: the driver never sends it for that mode). An action missing here
 * fails synth, so a new call in a part is scoped on purpose, never by default.
 */
const SCOPES: Readonly<Record<string, { readonly accessPoint: readonly Scope[]; readonly fileSystem: readonly Scope[] }>> = {
  'elasticfilesystem:DescribeFileSystems': { accessPoint: ['fileSystems'], fileSystem: ['list'] },
  'elasticfilesystem:DescribeAccessPoints': { accessPoint: ['fileSystems', 'readAccessPoints'], fileSystem: [] },
  'elasticfilesystem:CreateAccessPoint': { accessPoint: ['createAccessPoint'], fileSystem: [] },
  'elasticfilesystem:DeleteAccessPoint': { accessPoint: ['accessPoints'], fileSystem: [] },
  'elasticfilesystem:DescribeFileSystemPolicy': { accessPoint: ['fileSystems'], fileSystem: ['tagged'] },
  'elasticfilesystem:PutFileSystemPolicy': { accessPoint: ['fileSystems'], fileSystem: ['tagged'] },
  'elasticfilesystem:DeleteFileSystemPolicy': { accessPoint: ['fileSystems'], fileSystem: ['tagged'] },
  'elasticfilesystem:CreateFileSystem': { accessPoint: [], fileSystem: ['createFileSystem'] },
  'elasticfilesystem:DeleteFileSystem': { accessPoint: [], fileSystem: ['tagged'] },
  'elasticfilesystem:CreateMountTarget': { accessPoint: [], fileSystem: ['tagged'] },
  'elasticfilesystem:DeleteMountTarget': { accessPoint: [], fileSystem: ['tagged'] },
  'elasticfilesystem:DescribeMountTargets': { accessPoint: [], fileSystem: ['tagged'] },
  'elasticfilesystem:UpdateFileSystemProtection': { accessPoint: [], fileSystem: ['tagged'] },
  'elasticfilesystem:TagResource': { accessPoint: [], fileSystem: ['switchTags'] },
  'elasticfilesystem:UntagResource': { accessPoint: [], fileSystem: ['switchTags'] },
  'elasticfilesystem:CreateReplicationConfiguration': { accessPoint: [], fileSystem: ['replication'] },
  'elasticfilesystem:DeleteReplicationConfiguration': { accessPoint: [], fileSystem: ['replication'] },
  'elasticfilesystem:DescribeReplicationConfigurations': { accessPoint: [], fileSystem: ['replication'] },
};

/** The tags the replication switchover puts on (and takes off) a source file system. */
const SWITCH_TAGS = [EfsTag.READ_ONLY_SINCE, EfsTag.MIGRATED_TO];
const EFS = 'elasticfilesystem';

const REASON = {
  list: 'elasticfilesystem:DescribeFileSystems without a file system id (a file-system backend lists its file systems, and finds an instance\'s by its CreationToken) is authorized on "*" only; it reads descriptions, nothing else.',
  create: 'elasticfilesystem:CreateFileSystem names no existing resource (the service authorization reference lists no resource type for it); the statement allows it only with the aws:RequestTag/smig:backend of this stack\'s file-system backends.',
  fileSystems: 'File systems a file-system backend creates per share instance (or as a replication destination) have ids known only at run time; the statement is limited to those tagged aws:ResourceTag/smig:backend with this stack\'s file-system backends, or, for tag-on-create, to a creation that tags them so.',
  replication: 'EFS replication supports no tag-based (ABAC) authorization, so Create/Delete/DescribeReplicationConfigurations name the file systems of the file-system backends\' regions, whose ids are known only at run time.',
  accessPoints: 'Access points the driver creates per share instance have ids known only at run time; the statement is limited to those tagged aws:ResourceTag/smig:backend with this stack\'s access-point backends, or, for tag-on-create, to a creation that tags them so.',
  readAccessPoints: 'DescribeAccessPoints by id must answer AccessPointNotFound for an access point already deleted (a retried delete, the purge that follows it), and a deleted access point has no tags for aws:ResourceTag to match: describing is allowed on the access points of the backends\' regions, without a tag condition; it reads descriptions, nothing else.',
  networkInterfaces: 'EFS checks these EC2 actions on the caller when it creates or deletes a mount target\'s network interface (EFS API reference, CreateMountTarget, DeleteMountTarget), without documenting a resource; ec2:DescribeSubnets and DescribeNetworkInterfaces have no resource-level permissions.',
  keys: 'A share type may name any customer managed key (efs:kms_key_id) at run time; the statement allows the KMS actions EFS needs for an encrypted file system only through EFS (kms:ViaService) in the file-system backends\' regions.',
} as const;

/**
 * The statements that let a function composed with `parts` call EFS for `backends`: each action of the
 * parts' `calls` where SCOPES says EFS authorizes it for the modes of the backends configured, the
 * `unscoped` ones on "*", and what EFS checks underneath (`implied`) only where the action needing it is
 * granted: tag-on-create with CreateAccessPoint or CreateFileSystem; the mount targets' network
 * interfaces, the EFS service-linked role and a customer managed key only with a file-system backend.
 */
export function efsGrantStatements(scope: IConstruct, parts: readonly EfsPartName[], backends: readonly ResolvedEfsBackendConfig[]): EfsGrantStatement[] {
  const stack = Stack.of(scope);
  const statements = new StatementSet();
  const modes = [
    { mode: 'accessPoint' as const, backends: backends.filter((backend) => backend.mode === EfsMode.ACCESS_POINT) },
    { mode: 'fileSystem' as const, backends: backends.filter((backend) => backend.mode === EfsMode.FILE_SYSTEM) },
  ].filter(({ backends: ofMode }) => ofMode.length > 0);
  if (modes.length === 0) return [];
  const resources = scopedResources(stack, backends);

  for (const part of parts) {
    const { calls, implied, unscoped } = EFS_PART_PERMISSIONS[part];
    const unscopedActions = new Set(unscoped.map((entry) => entry.action));
    for (const entry of unscoped) statements.add([entry.action], ['*'], undefined, { '*': `${entry.action} supports no resource-level permission (${entry.source}).` });
    const granted = new Set<string>();
    for (const action of calls.filter((call) => !unscopedActions.has(call))) {
      const where = SCOPES[action];
      if (where === undefined) {
        throw new Error(`efs-grants.ts: no scope for ${action}, which the EFS part "${part}" calls; add where EFS authorizes it to SCOPES`);
      }
      for (const { mode } of modes) {
        for (const name of where[mode]) {
          const { resources: on, conditions, wildcards } = resources[name]!;
          statements.add([action], on, conditions, wildcards);
          granted.add(action);
        }
      }
    }
    for (const permission of implied) {
      if (!granted.has(permission.for)) continue;
      const grant = impliedGrant(stack, permission.actions, permission.for, resources, backends);
      if (grant) statements.add(permission.actions, grant.resources, grant.conditions, grant.wildcards);
    }
  }
  return statements.toList();
}

interface ScopedResources {
  readonly resources: readonly string[];
  readonly conditions?: Record<string, unknown>;
  readonly wildcards: Readonly<Record<string, string>>;
}

/** The resources (and conditions) of every scope, from the backends. */
function scopedResources(stack: Stack, backends: readonly ResolvedEfsBackendConfig[]): Partial<Record<Scope | 'accessPointTagOnCreate' | 'fileSystemTagOnCreate', ScopedResources>> {
  const accessPointBackends = backends.filter((backend) => backend.mode === EfsMode.ACCESS_POINT);
  const fileSystemBackends = backends.filter((backend) => backend.mode === EfsMode.FILE_SYSTEM);
  const apHosts = hostsOf(accessPointBackends);
  const fsHosts = hostsOf(fileSystemBackends);
  const named = unique(accessPointBackends.flatMap((backend) =>
    [backend.file_system_id, ...backend.pools.map((pool) => pool.file_system_id)].flatMap((id) => (id ? [arnOf(stack, backend.region, 'file-system', id)] : []))));
  const accessPoints = unique(accessPointBackends.map((backend) => arnOf(stack, backend.region, 'access-point', '*')));
  const made = unique(fileSystemBackends.map((backend) => arnOf(stack, backend.region, 'file-system', '*')));
  const madeWildcards = Object.fromEntries(made.map((arn) => [arn, REASON.fileSystems]));
  const accessPointWildcards = Object.fromEntries(accessPoints.map((arn) => [arn, REASON.accessPoints]));
  const tagged = { StringEquals: { [`aws:ResourceTag/${EfsTag.BACKEND}`]: fsHosts } };
  return {
    fileSystems: { resources: named, wildcards: {} },
    createAccessPoint: { resources: named, conditions: { StringEquals: { [`aws:RequestTag/${EfsTag.BACKEND}`]: apHosts } }, wildcards: {} },
    accessPoints: { resources: accessPoints, conditions: { StringEquals: { [`aws:ResourceTag/${EfsTag.BACKEND}`]: apHosts } }, wildcards: accessPointWildcards },
    readAccessPoints: { resources: accessPoints, wildcards: Object.fromEntries(accessPoints.map((arn) => [arn, REASON.readAccessPoints])) },
    // Tag-on-create: EFS authorizes TagResource too, on the file system or on the access point being made.
    accessPointTagOnCreate: {
      resources: [...named, ...accessPoints],
      conditions: { StringEquals: { [`${EFS}:CreateAction`]: 'CreateAccessPoint', [`aws:RequestTag/${EfsTag.BACKEND}`]: apHosts } },
      wildcards: accessPointWildcards,
    },
    list: { resources: ['*'], wildcards: { '*': REASON.list } },
    createFileSystem: { resources: ['*'], conditions: { StringEquals: { [`aws:RequestTag/${EfsTag.BACKEND}`]: fsHosts } }, wildcards: { '*': REASON.create } },
    fileSystemTagOnCreate: {
      resources: made,
      conditions: { StringEquals: { [`${EFS}:CreateAction`]: 'CreateFileSystem', [`aws:RequestTag/${EfsTag.BACKEND}`]: fsHosts } },
      wildcards: madeWildcards,
    },
    tagged: { resources: made, conditions: tagged, wildcards: madeWildcards },
    switchTags: { resources: made, conditions: { ...tagged, 'ForAllValues:StringEquals': { 'aws:TagKeys': SWITCH_TAGS } }, wildcards: madeWildcards },
    replication: { resources: made, wildcards: Object.fromEntries(made.map((arn) => [arn, REASON.replication])) },
  };
}

/** What IAM checks underneath `action` (efs-actions.ts `implied`), scoped; undefined for an entry no grant here covers. */
function impliedGrant(
  stack: Stack,
  actions: readonly string[],
  action: string,
  resources: ReturnType<typeof scopedResources>,
  backends: readonly ResolvedEfsBackendConfig[],
): ScopedResources | undefined {
  const regions = unique(backends.filter((backend) => backend.mode === EfsMode.FILE_SYSTEM).map((backend) => backend.region));
  if (actions.includes(`${EFS}:TagResource`)) {
    return action === `${EFS}:CreateAccessPoint` ? resources.accessPointTagOnCreate : resources.fileSystemTagOnCreate;
  }
  if (actions.some((implied) => implied.startsWith('ec2:'))) return { resources: ['*'], wildcards: { '*': REASON.networkInterfaces } };
  if (actions.includes('iam:CreateServiceLinkedRole')) {
    const role = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `aws-service-role/${EFS}.amazonaws.com/AWSServiceRoleForAmazonElasticFileSystem` });
    return { resources: [role], conditions: { StringEquals: { 'iam:AWSServiceName': `${EFS}.amazonaws.com` } }, wildcards: {} };
  }
  if (actions.some((implied) => implied.startsWith('kms:'))) {
    const keys = regions.map((region) => stack.formatArn({ service: 'kms', region, resource: 'key', resourceName: '*' }));
    return {
      resources: keys,
      conditions: { StringEquals: { 'kms:ViaService': regions.map((region) => `${EFS}.${region}.${urlSuffix(region)}`) } },
      wildcards: Object.fromEntries(keys.map((arn) => [arn, REASON.keys])),
    };
  }
  throw new Error(`efs-grants.ts: no scope for ${actions.join(', ')}, which EFS checks underneath ${action}; add where it applies`);
}

/** Statements keyed by their resources and conditions, so that each appears once with all its actions. */
class StatementSet {
  readonly #entries = new Map<string, { actions: Set<string>; resources: string[]; conditions?: Record<string, unknown>; wildcards: Record<string, string> }>();

  add(actions: readonly string[], resources: readonly string[], conditions?: Record<string, unknown>, wildcards: Readonly<Record<string, string>> = {}): void {
    if (resources.length === 0) return;
    const key = JSON.stringify([resources, conditions ?? null]);
    const entry = this.#entries.get(key) ?? { actions: new Set<string>(), resources: [...resources], conditions, wildcards: {} };
    for (const action of actions) entry.actions.add(action);
    Object.assign(entry.wildcards, wildcards);
    this.#entries.set(key, entry);
  }

  toList(): EfsGrantStatement[] {
    return [...this.#entries.values()].map((entry) => ({
      statement: new iam.PolicyStatement({ actions: [...entry.actions].sort(), resources: entry.resources, ...(entry.conditions ? { conditions: entry.conditions } : {}) }),
      wildcards: entry.wildcards,
    }));
  }
}

function hostsOf(backends: readonly ResolvedEfsBackendConfig[]): string[] {
  return unique(backends.map((backend) => `${backend.host}@${backend.backend}`));
}

function arnOf(stack: Stack, region: string, resource: string, name: string): string {
  return stack.formatArn({ service: EFS, region, resource, resourceName: name });
}

/** The endpoint suffix `kms:ViaService` names: amazonaws.com, or amazonaws.com.cn in the China regions. */
function urlSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
