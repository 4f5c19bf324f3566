import { checkRootOwnedByPosixUser, resolvePosixUser, resolveRootDirectory, type EfsPosixUserConfig, type EfsRootDirectoryConfig } from './access-point-identity.ts';
import { isRecord, nonNegativeNumber, positiveNumber, rejectUnknownKeys, type Fail } from './config-values.ts';
import { EfsConfigError } from './errors.ts';

export {
  DEFAULT_ROOT_DIRECTORY, PERMISSIONS_PATTERN, resolveRootDirectory, type EfsPosixUserConfig, type EfsRootDirectoryConfig,
} from './access-point-identity.ts';
export { isRecord } from './config-values.ts';

/**
 * How a backend maps share instances onto Amazon EFS:
 * - `access-point` (driver_handles_share_servers=false): the backend is an existing file system, each
 *   instance an access point rooted at its own folder `/shares/share-<instance id>`.
 * - `file-system` (driver_handles_share_servers=true): each instance is its own file system, created with
 *   its share type's `efs:*` extra specs; its mount targets are its share server.
 */
export type EfsMode = 'access-point' | 'file-system';

export const EfsMode = { ACCESS_POINT: 'access-point', FILE_SYSTEM: 'file-system' } as const;

export type EfsPerformanceMode = 'generalPurpose' | 'maxIO';
export type EfsThroughputMode = 'bursting' | 'elastic' | 'provisioned';

/** How a `file-system` backend creates a file system when the share type does not say (`efs:*` extra specs win). */
export interface EfsFileSystemSettings {
  /** @default 'generalPurpose' */
  readonly performance_mode?: EfsPerformanceMode;
  /** @default 'elastic' */
  readonly throughput_mode?: EfsThroughputMode;
  /** Required with throughput_mode 'provisioned'. */
  readonly provisioned_throughput_mibps?: number;
  /** @default true */
  readonly encrypted?: boolean;
  /** @default - EFS's AWS managed key, aws/elasticfilesystem */
  readonly kms_key_id?: string;
  /** One Zone storage in this Availability Zone. @default - Regional storage */
  readonly availability_zone?: string;
}

export interface ResolvedEfsFileSystemSettings {
  readonly performance_mode: EfsPerformanceMode;
  readonly throughput_mode: EfsThroughputMode;
  readonly provisioned_throughput_mibps?: number;
  readonly encrypted: boolean;
  readonly kms_key_id?: string;
  readonly availability_zone?: string;
}

export interface EfsPoolConfig {
  readonly name: string;
  /**
   * What the pool reports as total capacity. EFS grows without a limit, so this is a planning figure;
   * free capacity is this minus the metered size of the pool's data.
   * @default - the backend's total_capacity_gb
   */
  readonly total_capacity_gb?: number;
  /**
   * `access-point` mode: the file system of this pool.
   * @default - the backend's file_system_id
   */
  readonly file_system_id?: string;
  /**
   * `file-system` mode: creation defaults of this pool, over the backend's.
   * @default - the backend's file_system
   */
  readonly file_system?: EfsFileSystemSettings;
}

/** One EFS backend, as it appears in `{ "backends": [ { "kind": "efs", ... } ] }`. */
export interface EfsBackendConfig {
  /** Marks the entry as an EFS backend in a document that may hold others. */
  readonly kind?: 'efs';
  /**
   * The `host` of `host@backend#pool`.
   * @default 'efs'
   */
  readonly host?: string;
  /** The `backend` of `host@backend#pool`. */
  readonly backend: string;
  /**
   * The region of the backend's file systems.
   * @default - the `defaultRegion` the registry is given (the Lambda's AWS_REGION)
   */
  readonly region?: string;
  readonly mode: EfsMode;
  /** `access-point` mode: the existing file system whose folders the instances are. Required unless every pool names one. */
  readonly file_system_id?: string;
  /** @default [{ name: 'default' }] */
  readonly pools?: readonly EfsPoolConfig[];
  /** @default - the backend name */
  readonly share_backend_name?: string;
  /** @default 1048576 (1 PiB) */
  readonly total_capacity_gb?: number;
  /** `access-point` mode: the owner and mode of new instance folders (share type specs `efs:owner_uid|owner_gid|permissions` win). */
  readonly root_directory?: EfsRootDirectoryConfig;
  /** `access-point` mode. @default - none: requests keep the client's identity */
  readonly posix_user?: EfsPosixUserConfig;
  /** `file-system` mode: creation defaults. */
  readonly file_system?: EfsFileSystemSettings;
  /**
   * `file-system` mode: the subnet of each Availability Zone where an instance gets a mount target
   * (EFS allows one per zone), e.g. `{ "eu-west-1a": "subnet-0a1b2c3d" }`. A One Zone file system gets
   * only its zone's. Required in `file-system` mode.
   */
  readonly mount_target_subnets?: Readonly<Record<string, string>>;
  /**
   * `file-system` mode: security groups of new mount targets; they must admit NFS (2049) from clients and
   * the copy task.
   * @default - the VPC's default security group
   */
  readonly security_group_ids?: readonly string[];
  /**
   * How long one driver call waits for EFS (a file system becoming available, mount targets, a replication
   * sync) before failing with EfsNotReadyError, which a retry resumes. Keep it under the Lambda timeout.
   * @default 120
   */
  readonly wait_timeout_seconds?: number;
  /** @default 5 */
  readonly poll_interval_seconds?: number;
  /**
   * Attempts per EFS API call under the SDK's standard retry mode (throttling and transient errors are
   * retried with backoff; what persists becomes a DriverError).
   * @default 5
   */
  readonly max_attempts?: number;
}

export interface ResolvedEfsPool {
  readonly name: string;
  readonly total_capacity_gb: number;
  /** Set in `access-point` mode. */
  readonly file_system_id?: string;
  /** Set in `file-system` mode. */
  readonly file_system?: ResolvedEfsFileSystemSettings;
}

export interface ResolvedEfsBackendConfig {
  readonly kind: 'efs';
  readonly host: string;
  readonly backend: string;
  readonly region: string;
  readonly mode: EfsMode;
  readonly file_system_id?: string;
  readonly pools: readonly ResolvedEfsPool[];
  readonly share_backend_name: string;
  readonly total_capacity_gb: number;
  /** Set in `access-point` mode. */
  readonly root_directory?: Required<EfsRootDirectoryConfig>;
  readonly posix_user?: EfsPosixUserConfig;
  /** Set in `file-system` mode, as are the two below. */
  readonly file_system?: ResolvedEfsFileSystemSettings;
  readonly mount_target_subnets?: Readonly<Record<string, string>>;
  readonly security_group_ids?: readonly string[];
  readonly wait_timeout_seconds: number;
  readonly poll_interval_seconds: number;
  readonly max_attempts: number;
}

export interface EfsConfigOptions {
  /** Names the document in error messages. @default 'EFS backends' */
  readonly source?: string;
  /** The region of backends that name none. */
  readonly defaultRegion?: string;
}

export const DEFAULT_TOTAL_CAPACITY_GB = 1024 * 1024;
export const DEFAULT_FILE_SYSTEM_SETTINGS: ResolvedEfsFileSystemSettings = {
  performance_mode: 'generalPurpose',
  throughput_mode: 'elastic',
  encrypted: true,
};

export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const HOST_NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;
export const FILE_SYSTEM_ID_PATTERN = /^fs-[0-9a-f]{8,40}$/;
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
export const AVAILABILITY_ZONE_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+[a-z]$/;
const SUBNET_PATTERN = /^subnet-[0-9a-f]{8,40}$/;
const SECURITY_GROUP_PATTERN = /^sg-[0-9a-f]{8,40}$/;
export const PERFORMANCE_MODES: readonly EfsPerformanceMode[] = ['generalPurpose', 'maxIO'];
export const THROUGHPUT_MODES: readonly EfsThroughputMode[] = ['bursting', 'elastic', 'provisioned'];

const BACKEND_KEYS = new Set([
  'kind', 'host', 'backend', 'region', 'mode', 'file_system_id', 'pools', 'share_backend_name', 'total_capacity_gb',
  'root_directory', 'posix_user', 'file_system', 'mount_target_subnets', 'security_group_ids', 'wait_timeout_seconds',
  'poll_interval_seconds', 'max_attempts',
]);
const ACCESS_POINT_ONLY = ['file_system_id', 'root_directory', 'posix_user'] as const;
const FILE_SYSTEM_ONLY = ['file_system', 'mount_target_subnets', 'security_group_ids'] as const;
const POOL_KEYS = new Set(['name', 'total_capacity_gb', 'file_system_id', 'file_system']);
const SETTINGS_KEYS = new Set(['performance_mode', 'throughput_mode', 'provisioned_throughput_mibps', 'encrypted', 'kms_key_id', 'availability_zone']);

/**
 * The EFS backends of a parsed `{ "backends": [...] }` document (SMIG_BACKENDS): every entry with
 * `"kind": "efs"`, validated, defaults filled in. Entries of other kinds are left to their own drivers.
 * Throws EfsConfigError saying what to fix.
 */
export function parseEfsBackends(document: unknown, options: EfsConfigOptions = {}): ResolvedEfsBackendConfig[] {
  const source = options.source ?? 'EFS backends';
  const fail: Fail = (message) => {
    throw new EfsConfigError(`${source}: ${message}`);
  };
  if (!isRecord(document)) return fail('expected an object { "backends": [...] }');
  const { backends } = document;
  if (!Array.isArray(backends)) return fail('"backends" must be an array');
  const resolved: ResolvedEfsBackendConfig[] = [];
  backends.forEach((backend: unknown, index) => {
    if (!isRecord(backend)) fail(`backends[${index}] must be an object`);
    if ((backend as Record<string, unknown>).kind !== 'efs') return;
    resolved.push(resolveWith(backend, `backends[${index}]`, options.defaultRegion, fail));
  });
  checkDistinct(resolved, fail);
  return resolved;
}

/** Validates one backend config and fills in its defaults; throws EfsConfigError saying what to fix. */
export function resolveEfsBackendConfig(config: EfsBackendConfig, options: EfsConfigOptions = {}): ResolvedEfsBackendConfig {
  const label = `EFS backend ${typeof config?.backend === 'string' ? `"${config.backend}"` : 'config'}`;
  return resolveWith(config, label, options.defaultRegion, (message) => {
    throw new EfsConfigError(`${options.source ? `${options.source}: ` : ''}${label}: ${message}`);
  });
}

/** Two drivers must never manage one backend, nor the policy and folders of one shared file system. */
export function checkDistinct(configs: readonly ResolvedEfsBackendConfig[], fail: Fail): void {
  const owners = new Map<string, string>();
  configs.forEach((config, index) => {
    const backendHost = `${config.host}@${config.backend}`;
    if (configs.slice(0, index).some((other) => other.host === config.host && other.backend === config.backend)) {
      fail(`backend "${backendHost}" is configured twice`);
    }
    for (const pool of config.pools) {
      if (pool.file_system_id === undefined) continue;
      const key = `${config.region}/${pool.file_system_id}`;
      const owner = owners.get(key);
      if (owner !== undefined) fail(`file system ${pool.file_system_id} is the pool of both ${owner} and ${backendHost}#${pool.name}`);
      owners.set(key, `${backendHost}#${pool.name}`);
    }
  });
}

function resolveWith(raw: unknown, at: string, defaultRegion: string | undefined, fail: Fail): ResolvedEfsBackendConfig {
  if (!isRecord(raw)) return fail(`${at} must be an object`);
  rejectUnknownKeys(raw, BACKEND_KEYS, at, fail);
  if (raw.kind !== undefined && raw.kind !== 'efs') fail(`${at}.kind must be "efs"`);
  const host = raw.host ?? 'efs';
  if (typeof host !== 'string' || !HOST_NAME_PATTERN.test(host)) fail(`${at}.host must match ${HOST_NAME_PATTERN.source}`);
  const { backend, mode } = raw;
  if (typeof backend !== 'string' || !NAME_PATTERN.test(backend)) fail(`${at}.backend must be a name matching ${NAME_PATTERN.source}`);
  if (mode !== EfsMode.ACCESS_POINT && mode !== EfsMode.FILE_SYSTEM) {
    fail(`${at}.mode must be "access-point" (instances are access points of an existing file system) or "file-system" (each instance is its own file system)`);
  }
  const region = raw.region ?? defaultRegion;
  if (region === undefined) fail(`${at}.region is required (no default region is configured)`);
  if (typeof region !== 'string' || !REGION_PATTERN.test(region)) fail(`${at}.region must be an AWS region such as "eu-west-1"`);
  const shareBackendName = raw.share_backend_name ?? backend;
  if (typeof shareBackendName !== 'string' || shareBackendName.length === 0) fail(`${at}.share_backend_name must be a non-empty string`);
  const total = positiveNumber(raw.total_capacity_gb, DEFAULT_TOTAL_CAPACITY_GB, `${at}.total_capacity_gb`, fail);
  const waitTimeout = nonNegativeNumber(raw.wait_timeout_seconds, 120, `${at}.wait_timeout_seconds`, fail);
  const pollInterval = positiveNumber(raw.poll_interval_seconds, 5, `${at}.poll_interval_seconds`, fail);
  const maxAttempts = raw.max_attempts ?? 5;
  if (!Number.isInteger(maxAttempts) || (maxAttempts as number) < 1 || (maxAttempts as number) > 20) fail(`${at}.max_attempts must be an integer from 1 to 20`);

  const wrongMode = mode === EfsMode.ACCESS_POINT ? FILE_SYSTEM_ONLY : ACCESS_POINT_ONLY;
  for (const key of wrongMode) {
    if (raw[key] !== undefined) fail(`${at}.${key} applies only to ${mode === EfsMode.ACCESS_POINT ? '"file-system"' : '"access-point"'} mode`);
  }

  const base = {
    kind: 'efs' as const,
    host: host as string,
    backend: backend as string,
    region: region as string,
    mode: mode as EfsMode,
    share_backend_name: shareBackendName as string,
    total_capacity_gb: total,
    wait_timeout_seconds: waitTimeout,
    poll_interval_seconds: pollInterval,
    max_attempts: maxAttempts as number,
  };
  const rawPools = raw.pools ?? [{ name: 'default' }];
  if (!Array.isArray(rawPools) || rawPools.length === 0) fail(`${at}.pools must be a non-empty array of { "name": "..." }`);
  const poolList = rawPools as unknown[];

  if (mode === EfsMode.ACCESS_POINT) {
    const fileSystemId = raw.file_system_id;
    if (fileSystemId !== undefined && (typeof fileSystemId !== 'string' || !FILE_SYSTEM_ID_PATTERN.test(fileSystemId))) {
      fail(`${at}.file_system_id must be a file system id such as "fs-0123456789abcdef0"`);
    }
    const pools = poolList.map((pool, index) => {
      const poolAt = `${at}.pools[${index}]`;
      const record = poolRecord(pool, poolAt, fail);
      if (record.file_system !== undefined) fail(`${poolAt}.file_system applies only to "file-system" mode`);
      const poolFs = record.file_system_id ?? fileSystemId;
      if (poolFs === undefined) fail(`${poolAt} has no file system: set ${at}.file_system_id or ${poolAt}.file_system_id`);
      if (typeof poolFs !== 'string' || !FILE_SYSTEM_ID_PATTERN.test(poolFs)) fail(`${poolAt}.file_system_id must be a file system id such as "fs-0123456789abcdef0"`);
      return { name: record.name, total_capacity_gb: poolTotal(record, total, poolAt, fail), file_system_id: poolFs as string };
    });
    checkPoolNames(pools, at, fail);
    const rootDirectory = resolveRootDirectory(raw.root_directory, `${at}.root_directory`, fail);
    const posixUser = raw.posix_user === undefined ? undefined : resolvePosixUser(raw.posix_user, `${at}.posix_user`, fail);
    if (posixUser !== undefined) checkRootOwnedByPosixUser(`${base.host}@${base.backend}`, rootDirectory, raw.root_directory === undefined, posixUser, at, fail);
    return {
      ...base,
      ...(fileSystemId === undefined ? {} : { file_system_id: fileSystemId as string }),
      pools,
      root_directory: rootDirectory,
      ...(posixUser === undefined ? {} : { posix_user: posixUser }),
    };
  }

  const subnets = raw.mount_target_subnets;
  if (!isRecord(subnets) || Object.keys(subnets).length === 0) {
    fail(`${at}.mount_target_subnets is required in "file-system" mode: { "<availability zone>": "subnet-..." }`);
  }
  for (const [zone, subnet] of Object.entries(subnets as Record<string, unknown>)) {
    if (!AVAILABILITY_ZONE_PATTERN.test(zone)) fail(`${at}.mount_target_subnets: "${zone}" is not an Availability Zone name such as "eu-west-1a"`);
    if (!zone.startsWith(region as string)) fail(`${at}.mount_target_subnets: zone "${zone}" is not in region ${region as string}`);
    if (typeof subnet !== 'string' || !SUBNET_PATTERN.test(subnet)) fail(`${at}.mount_target_subnets["${zone}"] must be a subnet id such as "subnet-0123456789abcdef0"`);
  }
  const groups = raw.security_group_ids ?? [];
  if (!Array.isArray(groups) || groups.length > 5 || groups.some((group) => typeof group !== 'string' || !SECURITY_GROUP_PATTERN.test(group))) {
    fail(`${at}.security_group_ids must be up to 5 security group ids such as "sg-0123456789abcdef0"`);
  }
  const settings = resolveSettings(raw.file_system, DEFAULT_FILE_SYSTEM_SETTINGS, `${at}.file_system`, fail);
  const pools = poolList.map((pool, index) => {
    const poolAt = `${at}.pools[${index}]`;
    const record = poolRecord(pool, poolAt, fail);
    if (record.file_system_id !== undefined) fail(`${poolAt}.file_system_id applies only to "access-point" mode`);
    const poolSettings = resolveSettings(record.file_system, settings, `${poolAt}.file_system`, fail);
    const zone = poolSettings.availability_zone;
    if (zone !== undefined && (subnets as Record<string, string>)[zone] === undefined) {
      fail(`${poolAt} creates One Zone file systems in ${zone}, but ${at}.mount_target_subnets has no subnet there`);
    }
    return { name: record.name, total_capacity_gb: poolTotal(record, total, poolAt, fail), file_system: poolSettings };
  });
  checkPoolNames(pools, at, fail);
  return {
    ...base,
    pools,
    file_system: settings,
    mount_target_subnets: { ...(subnets as Record<string, string>) },
    security_group_ids: [...(groups as string[])],
  };
}

interface PoolRecord {
  readonly name: string;
  readonly total_capacity_gb?: unknown;
  readonly file_system_id?: unknown;
  readonly file_system?: unknown;
}

function poolRecord(raw: unknown, at: string, fail: Fail): PoolRecord {
  if (!isRecord(raw)) return fail(`${at} must be an object { "name": "..." }`);
  rejectUnknownKeys(raw, POOL_KEYS, at, fail);
  if (typeof raw.name !== 'string' || !NAME_PATTERN.test(raw.name)) fail(`${at}.name must match ${NAME_PATTERN.source}`);
  return raw as unknown as PoolRecord;
}

function poolTotal(record: PoolRecord, backendTotal: number, at: string, fail: Fail): number {
  return positiveNumber(record.total_capacity_gb, backendTotal, `${at}.total_capacity_gb`, fail);
}

function checkPoolNames(pools: readonly { name: string }[], at: string, fail: Fail): void {
  const names = pools.map((pool) => pool.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) fail(`${at}.pools has pool "${duplicate}" twice`);
}

/**
 * Creation settings over `base`, checked for the combinations EFS refuses: Max I/O with One Zone or with
 * Elastic throughput, provisioned throughput without a rate, a KMS key on an unencrypted file system.
 * Shared by the config (backend and pool defaults) and the share type's extra specs.
 */
export function resolveSettings(raw: unknown, base: ResolvedEfsFileSystemSettings, at: string, fail: Fail): ResolvedEfsFileSystemSettings {
  if (raw === undefined) return base;
  if (!isRecord(raw)) return fail(`${at} must be an object`);
  rejectUnknownKeys(raw, SETTINGS_KEYS, at, fail);
  const mode = raw.performance_mode ?? base.performance_mode;
  if (!PERFORMANCE_MODES.includes(mode as EfsPerformanceMode)) fail(`${at}.performance_mode must be one of ${PERFORMANCE_MODES.join(', ')}`);
  const throughput = raw.throughput_mode ?? base.throughput_mode;
  if (!THROUGHPUT_MODES.includes(throughput as EfsThroughputMode)) fail(`${at}.throughput_mode must be one of ${THROUGHPUT_MODES.join(', ')}`);
  const mibps = raw.provisioned_throughput_mibps ?? (throughput === 'provisioned' ? base.provisioned_throughput_mibps : undefined);
  if (mibps !== undefined && (typeof mibps !== 'number' || !Number.isFinite(mibps) || mibps < 1)) fail(`${at}.provisioned_throughput_mibps must be a number of at least 1`);
  if (throughput === 'provisioned' && mibps === undefined) fail(`${at}: throughput_mode "provisioned" needs provisioned_throughput_mibps`);
  if (throughput !== 'provisioned' && mibps !== undefined) fail(`${at}: provisioned_throughput_mibps needs throughput_mode "provisioned"`);
  const kms = raw.kms_key_id;
  if (kms !== undefined && (typeof kms !== 'string' || kms.length === 0)) fail(`${at}.kms_key_id must be a key id, ARN, alias or alias ARN`);
  const encrypted = raw.encrypted ?? (kms !== undefined ? true : base.encrypted);
  if (typeof encrypted !== 'boolean') fail(`${at}.encrypted must be true or false`);
  if (encrypted === false && kms !== undefined) fail(`${at}: kms_key_id needs encrypted true`);
  const kmsKey = (kms as string | undefined) ?? (encrypted ? base.kms_key_id : undefined);
  const rawZone = raw.availability_zone;
  if (rawZone !== undefined && (typeof rawZone !== 'string' || (rawZone !== 'regional' && !AVAILABILITY_ZONE_PATTERN.test(rawZone)))) {
    fail(`${at}.availability_zone must be an Availability Zone name such as "eu-west-1a", or "regional"`);
  }
  const zone = rawZone === 'regional' ? undefined : ((rawZone as string | undefined) ?? base.availability_zone);
  if (mode === 'maxIO' && zone !== undefined) fail(`${at}: One Zone file systems support only the generalPurpose performance mode`);
  if (mode === 'maxIO' && throughput === 'elastic') fail(`${at}: Elastic throughput needs the generalPurpose performance mode`);
  return {
    performance_mode: mode as EfsPerformanceMode,
    throughput_mode: throughput as EfsThroughputMode,
    ...(mibps === undefined ? {} : { provisioned_throughput_mibps: mibps as number }),
    encrypted: encrypted as boolean,
    ...(kmsKey === undefined ? {} : { kms_key_id: kmsKey }),
    ...(zone === undefined ? {} : { availability_zone: zone }),
  };
}
