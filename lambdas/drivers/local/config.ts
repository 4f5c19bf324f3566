import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LocalConfigError } from './errors.ts';
import { faultsProblem, type DriverFaults } from '../faults/fault-injecting-driver.ts';
import { isErrno } from './fs-util.ts';
import { parseMetadataKinds, type MetadataKind } from '../../core/pools/metadata.ts';

export interface LocalPoolConfig {
  /** The pool's name, and its folder under the backend's root. */
  readonly name: string;
  /**
   * What the pool reports as its total capacity; free capacity is then this minus the sizes of the
   * instances it holds, never more than the file system has free.
   * @default - the file system's size, from statfs of the pool folder
   */
  readonly total_capacity_gb?: number;
}

/** One local backend: a folder on this machine whose subfolders are its pools. */
export interface LocalBackendConfig {
  /**
   * The `host` of `host@backend#pool`.
   * @default 'local'
   */
  readonly host?: string;
  /** The `backend` of `host@backend#pool`. */
  readonly backend: string;
  /** Absolute path of the backend's folder. */
  readonly root: string;
  readonly pools: readonly LocalPoolConfig[];
  /**
   * With true, the backend manages share servers: a share server is a folder per share network
   * (`<pool>/servers/server-<share network id>/`), created on first use, holding that network's shares.
   * @default false
   */
  readonly driver_handles_share_servers?: boolean;
  /**
   * The security service types (ldap, kerberos, active_directory) this backend's share servers can join.
   * @default none
   */
  readonly security_service_types?: readonly string[];
  /**
   * What the pools report as share_backend_name (share types can select on it).
   * @default - the backend name
   */
  readonly share_backend_name?: string;
  /**
   * Whether the backend takes snapshots (read-only copies of a share's data inside its folder, reflinked
   * where the file system allows); its pools report it as snapshot_support.
   * @default false (true for the default backends alpha and beta)
   */
  readonly snapshot_support?: boolean;
  /**
   * Injected failures and delays (Manila's dummy driver), to rehearse failure handling.
   * @default none
   */
  readonly faults?: DriverFaults;
  /**
   * The metadata the root's file system keeps (modes, owners, times, xattrs, acls), which the pools
   * report as metadata_preserved: say less for a root on a file system that keeps less, e.g.
   * `["modes", "owners", "times"]` for an NFS mount of Amazon EFS.
   * @default - every kind
   */
  readonly metadata_preserved?: readonly MetadataKind[];
  /**
   * The availability zone the backend's pools belong to (Manila's backend_availability_zone), which
   * the pools report as availability_zone.
   * @default 'nova' (Manila's storage_availability_zone)
   */
  readonly availability_zone?: string;
}

/** A validated config with its defaults filled in. */
export interface ResolvedLocalBackendConfig {
  readonly host: string;
  readonly backend: string;
  readonly root: string;
  readonly pools: readonly LocalPoolConfig[];
  readonly driver_handles_share_servers: boolean;
  readonly security_service_types: readonly string[];
  readonly share_backend_name: string;
  readonly snapshot_support: boolean;
  readonly faults?: DriverFaults;
  /** Set only when configured (every kind otherwise). */
  readonly metadata_preserved?: readonly MetadataKind[];
  /** Set only when configured (the core's default zone otherwise). */
  readonly availability_zone?: string;
}

/** The backends used when no config file is given: `local@alpha#default` and `local@beta#default`. */
export const DEFAULT_BACKENDS: readonly string[] = ['alpha', 'beta'];

const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
const HOST_NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const BACKEND_KEYS = new Set(['host', 'backend', 'root', 'pools', 'driver_handles_share_servers', 'security_service_types', 'share_backend_name', 'snapshot_support', 'faults', 'metadata_preserved', 'availability_zone']);
const POOL_KEYS = new Set(['name', 'total_capacity_gb']);

/**
 * The local backends of this machine. Without a config file: `alpha` and `beta`, each with one pool
 * `default`, under `<dataDir>/backends/<name>`. With one: its JSON `{ "backends": [ LocalBackendConfig, ... ] }`,
 * validated; a relative `root` is taken relative to the config file's folder.
 */
export async function loadLocalBackends(dataDir: string, configFile?: string): Promise<ResolvedLocalBackendConfig[]> {
  if (configFile === undefined) {
    const backends = DEFAULT_BACKENDS.map((backend) =>
      resolveLocalBackendConfig({ backend, root: path.resolve(dataDir, 'backends', backend), pools: [{ name: 'default' }], snapshot_support: true }),
    );
    return backends;
  }
  const file = path.resolve(configFile);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = isErrno(err, 'ENOENT') ? 'does not exist' : 'cannot be read';
    throw new LocalConfigError(`Local backends config ${file} ${reason}`, { cause: err });
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (err) {
    throw new LocalConfigError(`Local backends config ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseLocalBackends(content, { source: file, baseDir: path.dirname(file) });
}

/** Validates a parsed `{ "backends": [...] }` document; `source` names it in error messages. */
export function parseLocalBackends(content: unknown, options: { source: string; baseDir: string }): ResolvedLocalBackendConfig[] {
  const fail = (message: string): never => {
    throw new LocalConfigError(`${options.source}: ${message}`);
  };
  if (!isRecord(content)) return fail('expected an object { "backends": [...] }');
  const unknownKeys = Object.keys(content).filter((key) => key !== 'backends');
  if (unknownKeys.length > 0) fail(`unknown key ${unknownKeys.map((key) => `"${key}"`).join(', ')}; expected only "backends"`);
  const { backends } = content;
  if (!Array.isArray(backends) || backends.length === 0) return fail('"backends" must be a non-empty array');
  const resolved = backends.map((backend: unknown, index) => {
    if (!isRecord(backend)) return fail(`backends[${index}] must be an object`);
    const withRoot = typeof backend.root === 'string' ? { ...backend, root: path.resolve(options.baseDir, backend.root) } : backend;
    return resolveWith(withRoot, `backends[${index}]`, fail);
  });
  checkDistinct(resolved, fail);
  return resolved;
}

/** Validates one backend config and fills in its defaults; throws LocalConfigError saying what to fix. */
export function resolveLocalBackendConfig(config: LocalBackendConfig): ResolvedLocalBackendConfig {
  const label = `Local backend ${typeof config?.backend === 'string' ? `"${config.backend}"` : 'config'}`;
  return resolveWith(config, label, (message) => {
    throw new LocalConfigError(`${label}: ${message}`);
  });
}

/** Backend names and roots must not collide: two drivers must never manage the same folder. */
export function checkDistinct(configs: readonly ResolvedLocalBackendConfig[], fail: (message: string) => never): void {
  configs.forEach((config, index) => {
    for (const other of configs.slice(0, index)) {
      if (other.host === config.host && other.backend === config.backend) {
        fail(`backend "${config.host}@${config.backend}" is configured twice`);
      }
      if (isInside(config.root, other.root) || isInside(other.root, config.root)) {
        fail(`backends "${other.backend}" and "${config.backend}" have overlapping roots ${other.root} and ${config.root}`);
      }
    }
  });
}

function resolveWith(raw: unknown, at: string, fail: (message: string) => never): ResolvedLocalBackendConfig {
  if (!isRecord(raw)) return fail(`${at} must be an object`);
  const unknownKeys = Object.keys(raw).filter((key) => !BACKEND_KEYS.has(key));
  if (unknownKeys.length > 0) {
    fail(`${at} has unknown key ${unknownKeys.map((key) => `"${key}"`).join(', ')}; allowed: ${[...BACKEND_KEYS].join(', ')}`);
  }
  const host = raw.host ?? 'local';
  if (typeof host !== 'string' || !HOST_NAME_PATTERN.test(host)) fail(`${at}.host must match ${HOST_NAME_PATTERN.source}`);
  const { backend, root, pools } = raw;
  if (typeof backend !== 'string' || !NAME_PATTERN.test(backend)) fail(`${at}.backend must be a name matching ${NAME_PATTERN.source}`);
  if (typeof root !== 'string' || !path.isAbsolute(root)) fail(`${at}.root must be an absolute path`);
  if (!Array.isArray(pools) || pools.length === 0) fail(`${at}.pools must be a non-empty array of { "name": "..." }`);
  const dhss = raw.driver_handles_share_servers ?? false;
  if (typeof dhss !== 'boolean') fail(`${at}.driver_handles_share_servers must be true or false`);
  const securityServiceTypes = raw.security_service_types ?? [];
  if (!Array.isArray(securityServiceTypes) || securityServiceTypes.some((t) => !['ldap', 'kerberos', 'active_directory'].includes(t as string))) {
    fail(`${at}.security_service_types must be a list of ldap, kerberos, active_directory`);
  }
  const shareBackendName = raw.share_backend_name ?? backend;
  if (typeof shareBackendName !== 'string' || shareBackendName.length === 0) fail(`${at}.share_backend_name must be a non-empty string`);
  const availabilityZone = raw.availability_zone;
  if (availabilityZone !== undefined && (typeof availabilityZone !== 'string' || !/^[\w.:-]{1,255}$/.test(availabilityZone))) {
    fail(`${at}.availability_zone must be 1 to 255 letters, digits, _ . : or -`);
  }
  const snapshotSupport = raw.snapshot_support ?? false;
  if (typeof snapshotSupport !== 'boolean') fail(`${at}.snapshot_support must be true or false`);

  if (raw.faults !== undefined) {
    const problem = faultsProblem(raw.faults);
    if (problem !== null) fail(`${at}.faults ${problem}`);
  }
  const metadata = raw.metadata_preserved === undefined ? undefined : parseMetadataKinds(raw.metadata_preserved);
  if (metadata !== undefined && 'problem' in metadata) fail(`${at}.metadata_preserved ${metadata.problem}`);

  const resolvedPools = (pools as unknown[]).map((pool, index) => resolvePool(pool, `${at}.pools[${index}]`, fail));
  const names = resolvedPools.map((pool) => pool.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) fail(`${at}.pools has pool "${duplicate}" twice`);

  return {
    host: host as string,
    backend: backend as string,
    root: path.normalize(root as string),
    pools: resolvedPools,
    driver_handles_share_servers: dhss as boolean,
    security_service_types: securityServiceTypes as string[],
    share_backend_name: shareBackendName as string,
    snapshot_support: snapshotSupport as boolean,
    ...(availabilityZone !== undefined ? { availability_zone: availabilityZone as string } : {}),
    ...(raw.faults !== undefined ? { faults: raw.faults as DriverFaults } : {}),
    ...(metadata !== undefined && 'kinds' in metadata ? { metadata_preserved: metadata.kinds } : {}),
  };
}

function resolvePool(raw: unknown, at: string, fail: (message: string) => never): LocalPoolConfig {
  if (!isRecord(raw)) return fail(`${at} must be an object { "name": "..." }`);
  const unknownKeys = Object.keys(raw).filter((key) => !POOL_KEYS.has(key));
  if (unknownKeys.length > 0) fail(`${at} has unknown key ${unknownKeys.map((key) => `"${key}"`).join(', ')}; allowed: name, total_capacity_gb`);
  const { name, total_capacity_gb: total } = raw;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name.startsWith('.')) {
    fail(`${at}.name must be a folder name matching ${NAME_PATTERN.source} and not starting with "."`);
  }
  if (total !== undefined && (typeof total !== 'number' || !Number.isFinite(total) || total <= 0)) {
    fail(`${at}.total_capacity_gb must be a positive number`);
  }
  return total === undefined ? { name: name as string } : { name: name as string, total_capacity_gb: total as number };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}
