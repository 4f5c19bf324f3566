import { NotFoundError } from '../../core/errors.ts';
import { parseHost } from '../../core/host.ts';
import type { DriverRegistry } from '../driver.ts';
import { checkDistinct, parseEfsBackends, resolveEfsBackendConfig, type EfsBackendConfig, type EfsConfigOptions } from './config.ts';
import { EfsDriver, type EfsDriverDeps } from './efs-driver.ts';
import { EfsConfigError } from './errors.ts';

/**
 * What every driver of a registry shares, `parts` included (e.g. `allEfsParts` from all-parts.ts, or only
 * the parts the function calls); the registry itself supplies `peer`.
 */
export type EfsRegistryDeps = Omit<EfsDriverDeps, 'peer'>;

const BACKEND_HOST_PATTERN = /^([A-Za-z0-9_.:-]+)@([A-Za-z0-9_.-]+)$/;

/**
 * The EFS drivers of a deployment, one per configured backend. Each can reach the others, so a
 * file-system instance migrates natively to any file-system backend here (another region included).
 */
export class EfsDriverRegistry implements DriverRegistry {
  readonly #drivers: ReadonlyMap<string, EfsDriver>;

  /** Fails fast (EfsConfigError) on an invalid config, a backend configured twice, or a file system in two pools. */
  constructor(configs: readonly EfsBackendConfig[], deps: EfsRegistryDeps) {
    const resolved = configs.map((config) => resolveEfsBackendConfig(config, { defaultRegion: deps.defaultRegion }));
    checkDistinct(resolved, (message) => {
      throw new EfsConfigError(`EFS backends: ${message}`);
    });
    const drivers = new Map<string, EfsDriver>();
    const peer = (backendHost: string) => drivers.get(backendHost);
    for (const config of resolved) {
      const driver = new EfsDriver(config, { ...deps, peer });
      drivers.set(driver.backendHost, driver);
    }
    this.#drivers = drivers;
  }

  /** The EFS backends of a `{ "backends": [...] }` document (entries with `"kind": "efs"`; see parseEfsBackends). */
  static fromDocument(document: unknown, deps: EfsRegistryDeps, options: Omit<EfsConfigOptions, 'defaultRegion'> = {}): EfsDriverRegistry {
    return new EfsDriverRegistry(parseEfsBackends(document, { ...options, defaultRegion: deps.defaultRegion }), deps);
  }

  /**
   * The driver of `host@backend#pool` or `host@backend`. NotFoundError for a backend (or, when given, a pool)
   * that is not configured; InvalidRequestError for a malformed host string.
   */
  forHost(host: string): EfsDriver {
    const { backendHost, pool } = splitHost(host);
    const driver = this.#drivers.get(backendHost);
    if (!driver) {
      const known = [...this.#drivers.keys()].join(', ') || 'none';
      throw new NotFoundError(`No EFS backend "${backendHost}" (configured: ${known})`);
    }
    if (pool !== undefined && !driver.config.pools.some((candidate) => candidate.name === pool)) {
      throw new NotFoundError(`EFS backend "${backendHost}" has no pool "${pool}" (pools: ${driver.config.pools.map((p) => p.name).join(', ')})`);
    }
    return driver;
  }

  all(): readonly EfsDriver[] {
    return [...this.#drivers.values()];
  }
}

function splitHost(value: string): { backendHost: string; pool?: string } {
  if (value.includes('#')) {
    const host = parseHost(value);
    return { backendHost: `${host.host}@${host.backend}`, pool: host.pool };
  }
  if (!BACKEND_HOST_PATTERN.test(value)) {
    // parseHost's InvalidRequestError, with its message about the expected notation.
    parseHost(value);
  }
  return { backendHost: value };
}
