import type { DriverRegistry } from '../drivers/driver.ts';
import { DriverPoolService } from '../core/pools/pool-service.ts';
import type { Clock, CopyTaskControl, IdGenerator, MigrationStore, ShareStore, ShareTypeStore, WorkflowPort } from '../core/ports.ts';
import type { DomainServices, TokenVerifier } from '../core/services.ts';
import { DriverShareService } from '../core/shares/share-service.ts';
import { StoredShareTypeService } from '../core/share-types/share-type-service.ts';
import { WorkflowMigrationService } from '../core/migrations/migration-service.ts';
import type { MigrationDeps } from '../core/migrations/migration-deps.ts';
import { systemClock, uuidGenerator } from '../core/runtime.ts';

/** The adapters a process chose (AWS or local); everything else is wired the same way everywhere. */
export interface Adapters {
  readonly shares: ShareStore;
  readonly migrations: MigrationStore;
  readonly shareTypes: ShareTypeStore;
  readonly drivers: DriverRegistry;
  readonly workflow: WorkflowPort;
  readonly copyTasks: CopyTaskControl;
  readonly tokens: TokenVerifier;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
}

export interface Composition {
  readonly services: DomainServices;
  readonly migrationDeps: MigrationDeps;
}

export function composeDomain(adapters: Adapters): Composition {
  const clock = adapters.clock ?? systemClock;
  const ids = adapters.ids ?? uuidGenerator;
  const shareTypes = new StoredShareTypeService({ store: adapters.shareTypes, clock, ids });
  const pools = new DriverPoolService(adapters.drivers, shareTypes);
  const migrationDeps: MigrationDeps = {
    shares: adapters.shares,
    migrations: adapters.migrations,
    shareTypes,
    pools,
    drivers: adapters.drivers,
    workflow: adapters.workflow,
    copyTasks: adapters.copyTasks,
    clock,
    ids,
  };
  return {
    migrationDeps,
    services: {
      shares: new DriverShareService({ shares: adapters.shares, shareTypes, pools, drivers: adapters.drivers, clock, ids }),
      shareTypes,
      pools,
      migrations: new WorkflowMigrationService(migrationDeps),
      tokens: adapters.tokens,
    },
  };
}
