/**
 * The share type's `efs:*` extra specs. The scheduler's capability filter skips scoped keys, so these
 * reach only the driver:
 *
 * | spec | mode | meaning |
 * | --- | --- | --- |
 * | `efs:performance_mode` | both | `generalPurpose` or `maxIO` |
 * | `efs:throughput_mode` | both | `bursting`, `elastic` or `provisioned` |
 * | `efs:provisioned_throughput_mibps` | both | with `provisioned` |
 * | `efs:encrypted` | both | `True` / `False` |
 * | `efs:kms_key_id` | both | key id, ARN, alias or alias ARN (implies encrypted) |
 * | `efs:availability_zone` | both | One Zone in that zone, or `regional` |
 * | `efs:owner_uid`, `efs:owner_gid`, `efs:permissions` | access-point | owner and octal mode of the instance's folder |
 *
 * In `file-system` mode the file system specs are how the instance's file system is created. In
 * `access-point` mode the instance lives on an existing file system: specs that are set must match it.
 */
import type { FileSystemDescription } from '@aws-sdk/client-efs';
import { parseBooleanSpec } from '../../core/pools/pool-filter.ts';
import {
  resolveRootDirectory,
  resolveSettings,
  type EfsRootDirectoryConfig,
  type ResolvedEfsFileSystemSettings,
} from './config.ts';

export const EfsSpec = {
  PERFORMANCE_MODE: 'efs:performance_mode',
  THROUGHPUT_MODE: 'efs:throughput_mode',
  PROVISIONED_THROUGHPUT_MIBPS: 'efs:provisioned_throughput_mibps',
  ENCRYPTED: 'efs:encrypted',
  KMS_KEY_ID: 'efs:kms_key_id',
  AVAILABILITY_ZONE: 'efs:availability_zone',
  OWNER_UID: 'efs:owner_uid',
  OWNER_GID: 'efs:owner_gid',
  PERMISSIONS: 'efs:permissions',
} as const;

const KNOWN_SPECS: ReadonlySet<string> = new Set(Object.values(EfsSpec));

type Specs = Readonly<Record<string, string>>;
type Fail = (message: string) => never;

/** A typo in an `efs:` key would silently change nothing: refuse it. */
export function checkSpecNames(specs: Specs, label: string, fail: Fail): void {
  const unknown = Object.keys(specs).filter((key) => key.startsWith('efs:') && !KNOWN_SPECS.has(key));
  if (unknown.length > 0) fail(`${label} has unknown extra spec ${unknown.join(', ')}; known: ${[...KNOWN_SPECS].join(', ')}`);
}

/** The settings a `file-system` instance is created with: the type's specs over the pool's defaults. */
export function fileSystemSettingsFrom(specs: Specs, defaults: ResolvedEfsFileSystemSettings, label: string, fail: Fail): ResolvedEfsFileSystemSettings {
  checkSpecNames(specs, label, fail);
  return resolveSettings(rawSettings(specs, label, fail), defaults, label, specFail(label, fail));
}

/** Owner and mode of an access-point instance's folder: the type's specs over the backend's `root_directory`. */
export function rootDirectoryFrom(specs: Specs, defaults: Required<EfsRootDirectoryConfig>, label: string, fail: Fail): Required<EfsRootDirectoryConfig> {
  checkSpecNames(specs, label, fail);
  const raw: Record<string, unknown> = {};
  if (specs[EfsSpec.OWNER_UID] !== undefined) raw.owner_uid = integer(specs[EfsSpec.OWNER_UID]);
  if (specs[EfsSpec.OWNER_GID] !== undefined) raw.owner_gid = integer(specs[EfsSpec.OWNER_GID]);
  if (specs[EfsSpec.PERMISSIONS] !== undefined) raw.permissions = specs[EfsSpec.PERMISSIONS];
  return resolveRootDirectory(raw, label, specFail(label, fail), defaults);
}

/**
 * For an access-point instance: the specs the type sets that the backend's file system does not meet,
 * as readable differences (empty when it fits).
 */
export function mismatchesWith(specs: Specs, fileSystem: FileSystemDescription): string[] {
  const found: string[] = [];
  const expect = (spec: string, wanted: string | undefined, actual: string) => {
    if (wanted !== undefined && wanted !== actual) found.push(`${spec} is ${wanted}, the file system's is ${actual}`);
  };
  expect(EfsSpec.PERFORMANCE_MODE, specs[EfsSpec.PERFORMANCE_MODE], String(fileSystem.PerformanceMode));
  expect(EfsSpec.THROUGHPUT_MODE, specs[EfsSpec.THROUGHPUT_MODE], String(fileSystem.ThroughputMode));
  const encrypted = parseBooleanSpec(specs[EfsSpec.ENCRYPTED]) ?? (specs[EfsSpec.KMS_KEY_ID] !== undefined ? true : undefined);
  expect(EfsSpec.ENCRYPTED, encrypted === undefined ? undefined : String(encrypted), String(fileSystem.Encrypted === true));
  const zone = specs[EfsSpec.AVAILABILITY_ZONE];
  expect(EfsSpec.AVAILABILITY_ZONE, zone, fileSystem.AvailabilityZoneName ?? 'regional');
  return found;
}

function rawSettings(specs: Specs, label: string, fail: Fail): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  if (specs[EfsSpec.PERFORMANCE_MODE] !== undefined) raw.performance_mode = specs[EfsSpec.PERFORMANCE_MODE];
  if (specs[EfsSpec.THROUGHPUT_MODE] !== undefined) raw.throughput_mode = specs[EfsSpec.THROUGHPUT_MODE];
  if (specs[EfsSpec.PROVISIONED_THROUGHPUT_MIBPS] !== undefined) raw.provisioned_throughput_mibps = Number(specs[EfsSpec.PROVISIONED_THROUGHPUT_MIBPS]);
  if (specs[EfsSpec.ENCRYPTED] !== undefined) {
    const encrypted = parseBooleanSpec(specs[EfsSpec.ENCRYPTED]);
    if (encrypted === undefined) fail(`${label}: ${EfsSpec.ENCRYPTED} must be True or False`);
    raw.encrypted = encrypted;
  }
  if (specs[EfsSpec.KMS_KEY_ID] !== undefined) raw.kms_key_id = specs[EfsSpec.KMS_KEY_ID];
  if (specs[EfsSpec.AVAILABILITY_ZONE] !== undefined) raw.availability_zone = specs[EfsSpec.AVAILABILITY_ZONE];
  return raw;
}

/** Config messages name `<label>.<key>`; for specs, name the spec: `<label>: efs:<key>`. */
function specFail(label: string, fail: Fail): Fail {
  return (message) => fail(message.split(`${label}.`).join(`${label}: efs:`));
}

function integer(value: string | undefined): number {
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
}
