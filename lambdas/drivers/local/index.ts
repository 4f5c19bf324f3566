export {
  checkDistinct,
  DEFAULT_BACKENDS,
  loadLocalBackends,
  parseLocalBackends,
  resolveLocalBackendConfig,
  type LocalBackendConfig,
  type LocalPoolConfig,
  type ResolvedLocalBackendConfig,
} from './config.ts';
export { LocalConfigError } from './errors.ts';
export {
  LOCAL_DRIVER_VERSION,
  LOCAL_STORAGE_PROTOCOL,
  LOCAL_VENDOR_NAME,
  LocalDriver,
  LocalInstanceFiles,
  type LocalAccessRulesRecord,
  type LocalAppliedRule,
  type LocalCopyMount,
  type LocalInstanceRecord,
} from './local-driver.ts';
export {
  effectiveMode,
  makeReadOnly,
  modeKey,
  readOriginalModes,
  restoreOriginalModes,
  type OriginalModes,
  type OriginalModesFile,
} from './read-only.ts';
export { LocalDriverRegistry } from './registry.ts';
export { cloneTree, LocalSnapshotFiles, snapshotDir, type LocalSnapshotRecord } from './snapshots.ts';
