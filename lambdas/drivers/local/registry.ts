import { NotFoundError } from '../../core/errors.ts';
import { parseHost } from '../../core/host.ts';
import type { DriverRegistry, ShareDriver } from '../driver.ts';
import { FaultInjectingDriver } from '../faults/fault-injecting-driver.ts';
import { checkDistinct, resolveLocalBackendConfig, type LocalBackendConfig, type ResolvedLocalBackendConfig } from './config.ts';
import { LocalConfigError } from './errors.ts';
import { LocalDriver } from './local-driver.ts';

const BACKEND_HOST_PATTERN = /^([A-Za-z0-9_.:-]+)@([A-Za-z0-9_.-]+)$/;

/** The local drivers of this machine, one per configured backend. */
export class LocalDriverRegistry implements DriverRegistry {
  readonly #drivers: ReadonlyMap<string, { readonly driver: ShareDriver; readonly config: ResolvedLocalBackendConfig }>;

  /** Fails fast (LocalConfigError) on an invalid config, a backend configured twice, or two backends sharing a folder. */
  constructor(configs: readonly LocalBackendConfig[]) {
    const resolved = configs.map((config) => resolveLocalBackendConfig(config));
    checkDistinct(resolved, (message) => {
      throw new LocalConfigError(`Local backends: ${message}`);
    });
    this.#drivers = new Map(resolved.map((config) => {
      const local = new LocalDriver(config);
      // A backend with `faults` rehearses failures (Manila's dummy driver); the others are plain.
      const driver: ShareDriver = config.faults ? new FaultInjectingDriver(local, config.faults) : local;
      return [driver.backendHost, { driver, config }];
    }));
  }

  /**
   * The driver of `host@backend#pool` or `host@backend`. NotFoundError for a backend (or, when given, a pool)
   * that is not configured; InvalidRequestError for a malformed host string.
   */
  forHost(host: string): ShareDriver {
    const { backendHost, pool } = splitHost(host);
    const entry = this.#drivers.get(backendHost);
    if (!entry) {
      const known = [...this.#drivers.keys()].join(', ') || 'none';
      throw new NotFoundError(`No local backend "${backendHost}" (configured: ${known})`);
    }
    if (pool !== undefined && !entry.config.pools.some((candidate) => candidate.name === pool)) {
      throw new NotFoundError(`Local backend "${backendHost}" has no pool "${pool}" (pools: ${entry.config.pools.map((p) => p.name).join(', ')})`);
    }
    return entry.driver;
  }

  all(): readonly ShareDriver[] {
    return [...this.#drivers.values()].map((entry) => entry.driver);
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
