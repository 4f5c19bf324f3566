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
  type EfsFolder,
  type ShareTypeLookup,
} from './efs-driver.ts';
export { EfsConfigError, EfsNotReadyError } from './errors.ts';
export {
  ACCESS_POINT_SCHEME,
  COPY_MOUNT_ROOT,
  copyMountPath,
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
