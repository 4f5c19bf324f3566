import { createHash } from 'node:crypto';
import path from 'node:path';
import { DriverError, errorMessage, ShareMigrationError, type ErrorIds } from '../../core/errors.ts';
import { parseHost, type Host } from '../../core/host.ts';
import type { ExportLocation, ShareInstance } from '../../core/model.ts';
import type { ResolvedLocalBackendConfig } from './config.ts';
import { exists } from './fs-util.ts';
import { LocalInstanceFiles } from './records.ts';

/** Where an instance lives on a local backend. */
export interface InstanceLocation {
  readonly pool: string;
  /** `<root>/<pool>/share-<id>`, or under its share server's folder on a backend that handles share servers. */
  readonly dir: string;
}

/**
 * The folders of one local backend's pools and instances, and the rule every driver call follows: domain
 * errors pass through, a file system error becomes a DriverError that says what failed.
 */
export class InstanceLocator {
  readonly config: ResolvedLocalBackendConfig;
  readonly backendHost: string;
  readonly #pools: ReadonlySet<string>;

  constructor(config: ResolvedLocalBackendConfig) {
    this.config = config;
    this.backendHost = `${config.host}@${config.backend}`;
    this.#pools = new Set(config.pools.map((pool) => pool.name));
  }

  hasPool(pool: string): boolean {
    return this.#pools.has(pool);
  }

  /** `<root>/<pool>` */
  poolPath(pool: string): string {
    return path.join(this.config.root, pool);
  }

  /** Where an instance of this backend lives; DriverError if its host is not one of this backend's pools. */
  locate(instance: ShareInstance): InstanceLocation {
    let host: Host;
    try {
      host = parseHost(instance.host);
    } catch (err) {
      throw new DriverError(`Instance ${instance.id} has no valid host: ${errorMessage(err)}`, { shareId: instance.share_id }, { cause: err });
    }
    if (host.host !== this.config.host || host.backend !== this.config.backend) {
      throw new DriverError(`Instance ${instance.id} is on ${instance.host}, not on ${this.backendHost}`, { shareId: instance.share_id });
    }
    if (!this.#pools.has(host.pool)) {
      throw new DriverError(`Instance ${instance.id} is in pool "${host.pool}", which ${this.backendHost} does not have`, {
        shareId: instance.share_id,
      });
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(instance.id) || instance.id.startsWith('.')) {
      throw new DriverError(`Instance id "${instance.id}" cannot name a folder`, { shareId: instance.share_id });
    }
    if (!this.config.driver_handles_share_servers) {
      return { pool: host.pool, dir: path.join(this.poolPath(host.pool), `share-${instance.id}`) };
    }
    // The share server of the instance's share network holds it; the server folder is made on first use.
    const network = instance.share_network_id;
    if (!network || !/^[A-Za-z0-9_-]+$/.test(network)) {
      throw new DriverError(`Instance ${instance.id} needs a share network on ${this.backendHost}, which handles share servers`, { shareId: instance.share_id });
    }
    return { pool: host.pool, dir: path.join(this.poolPath(host.pool), 'servers', `server-${network}`, `share-${instance.id}`) };
  }

  /** The instance's folder, which must exist (DriverError naming it otherwise). */
  async existingInstanceDir(instance: ShareInstance): Promise<string> {
    const { dir } = this.locate(instance);
    if (!(await exists(dir))) {
      throw new DriverError(`Instance ${instance.id} does not exist on ${this.backendHost} (no folder ${dir})`, { shareId: instance.share_id });
    }
    return dir;
  }

  /** The instance's one export location: its data folder, with an id that stays the same for the same folder. */
  exportLocations(location: InstanceLocation): ExportLocation[] {
    const data = path.join(location.dir, LocalInstanceFiles.DATA);
    return [{ id: stableId(`${this.backendHost}:${data}`), path: data, preferred: true, is_admin_only: false }];
  }

  /** Domain errors pass through; anything else (a file system error) becomes a DriverError that says what failed. */
  async run<T>(action: string, ids: ErrorIds, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      if (err instanceof ShareMigrationError) throw err;
      throw new DriverError(`${this.backendHost}: ${action} failed: ${errorMessage(err)}`, ids, { cause: err });
    }
  }
}

/** A UUID-shaped id derived from `seed`, so the same instance always reports the same export location id. */
function stableId(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
