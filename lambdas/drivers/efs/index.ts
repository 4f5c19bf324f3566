// The parts themselves are not exported here: a bundle importing this index would hold them all.
// Import them from all-parts.ts or parts/<part>.ts.
export { EfsBackend, type Deadline, type EfsBackendDeps, type Probe } from './backend.ts';
export { createEfsClient, describeEfsError, isEfsError, isThrottling, THROTTLING_ERRORS } from './client.ts';
export {
  DEFAULT_FILE_SYSTEM_SETTINGS,
  DEFAULT_ROOT_DIRECTORY,
  DEFAULT_TOTAL_CAPACITY_GB,
  EfsMode,
  parseEfsBackends,
  resolveEfsBackendConfig,
  type EfsBackendConfig,
  type EfsConfigOptions,
  type EfsFileSystemSettings,
  type EfsPerformanceMode,
  type EfsPoolConfig,
  type EfsPosixUserConfig,
  type EfsRootDirectoryConfig,
  type EfsThroughputMode,
  type ResolvedEfsBackendConfig,
  type ResolvedEfsFileSystemSettings,
  type ResolvedEfsPool,
} from './config.ts';
export {
  EFS_DRIVER_VERSION,
  EFS_STORAGE_PROTOCOL,
  EFS_VENDOR_NAME,
  EfsDriver,
  type EfsCopyMount,
  type EfsDriverDeps,
  type ShareTypeLookup,
} from './efs-driver.ts';
export { EfsConfigError, EfsNotReadyError, EfsPartMissingError } from './errors.ts';
export {
  EFS_DRIVER_METHODS,
  EFS_METHOD_PARTS,
  EFS_PART_NAMES,
  EFS_PART_PERMISSIONS,
  efsActionsFor,
  efsPartsFor,
  type EfsDriverMethod,
  type EfsImpliedPermission,
  type EfsPartName,
  type EfsPartPermissions,
} from './efs-actions.ts';
export type {
  EfsAccessRulesPart,
  EfsDriverParts,
  EfsInstancesPart,
  EfsPartTypes,
  EfsPoolsPart,
  EfsReplicationPart,
  EfsSwitchoverPart,
} from './parts.ts';
export {
  ACCESS_POINT_SCHEME,
  COPY_MOUNT_ROOT,
  copyMountPath,
  PURGE_MOUNT_ROOT,
  purgeMountPath,
  creationToken,
  efsVolumeFor,
  EfsTag,
  fileSystemDnsName,
  SHARES_FOLDER,
  statementPrefix,
  type EfsVolume,
} from './naming.ts';
export {
  EfsClientAction,
  isIamPrincipalArn,
  type PolicyDocument,
  type PolicyStatement,
} from './policy.ts';
export { EfsDriverRegistry, type EfsRegistryDeps } from './registry.ts';
export { EfsSpec } from './specs.ts';
