import { NotFoundError } from '../core/errors.ts';
import type { DriverRegistry, ShareDriver } from './driver.ts';

/** The drivers of several kinds (local folders, EFS) as one registry; a backend belongs to exactly one. */
export class CompositeDriverRegistry implements DriverRegistry {
  private readonly registries: readonly DriverRegistry[];

  constructor(registries: readonly DriverRegistry[]) {
    this.registries = registries;
    const hosts = registries.flatMap((r) => r.all().map((d) => d.backendHost));
    const twice = hosts.find((h, i) => hosts.indexOf(h) !== i);
    if (twice) throw new Error(`Backend ${twice} is configured by two drivers`);
  }

  forHost(host: string): ShareDriver {
    const backendHost = host.split('#')[0]!;
    const owner = this.registries.find((r) => r.all().some((d) => d.backendHost === backendHost));
    if (!owner) throw new NotFoundError(`No backend "${backendHost}" is configured`);
    return owner.forHost(host);
  }

  all(): readonly ShareDriver[] {
    return this.registries.flatMap((r) => r.all());
  }
}
