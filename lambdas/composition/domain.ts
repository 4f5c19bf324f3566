import type { DriverRegistry } from '../drivers/driver.ts';
import type { PartitionStore } from '../core/partitions/partition-store.ts';
import { DriverPoolService } from '../core/pools/pool-service.ts';
import type { Clock, CopyTaskControl, CopyTaskDefinitions, IdGenerator, MigrationStore, ShareStore, ShareTypeStore, WorkflowPort } from '../core/ports.ts';
import type { DomainServices, TokenVerifier } from '../core/services.ts';
import type { OperatorInsight } from '../core/operator-insight.ts';
import { DriverShareService } from '../core/shares/share-service.ts';
import { DriverShareResizeService } from '../core/shares/share-resize.ts';
import { StoredQuotaService } from '../core/quotas/quota-service.ts';
import { UNLIMITED_QUOTAS, type ProjectQuotaRecord, type QuotaLimits } from '../core/quotas/quota-model.ts';
import { DriverSnapshotService } from '../core/snapshots/snapshot-service.ts';
import { StoredShareTypeService } from '../core/share-types/share-type-service.ts';
import { StoredShareTypeAccessService } from '../core/share-types/share-type-access.ts';
import { WorkflowMigrationService } from '../core/migrations/migration-service.ts';
import type { MigrationDeps } from '../core/migrations/migration-deps.ts';
import { systemClock, uuidGenerator } from '../core/runtime.ts';
import type { ScheduleStore, SchedulerPort } from '../core/schedules/ports.ts';
import { StoredScheduleService, type ScheduleDeps } from '../core/schedules/schedule-service.ts';
import type { SecurityService, ShareNetwork } from '../core/model.ts';
import type { CatalogCollection } from '../core/share-networks/ports.ts';
import type { MigrationEventPublisher } from '../core/events/migration-event.ts';
import { CatalogSecurityServiceService, CatalogShareNetworkService } from '../core/share-networks/share-network-service.ts';

/** The adapters a process chose (AWS or local); everything else is wired the same way everywhere. */
export interface Adapters {
  readonly shares: ShareStore;
  readonly migrations: MigrationStore;
  readonly shareTypes: ShareTypeStore;
  readonly drivers: DriverRegistry;
  readonly workflow: WorkflowPort;
  readonly copyTasks: CopyTaskControl;
  readonly copyTaskDefinitions: CopyTaskDefinitions;
  readonly tokens: TokenVerifier;
  /** Where task_state changes are published: an EventBridge bus on AWS, a JSON-lines file at home. */
  readonly events: MigrationEventPublisher;
  /** Migration schedules (catalog table). */
  readonly schedules: ScheduleStore;
  /** What makes schedules fire: EventBridge Scheduler on AWS, the local ticker at home. */
  readonly scheduler: SchedulerPort;
  readonly shareNetworks: CatalogCollection<ShareNetwork>;
  readonly securityServices: CatalogCollection<SecurityService>;
  /** Each project's own quota limits (catalog table). */
  readonly quotas: CatalogCollection<ProjectQuotaRecord>;
  /** The quota defaults from configuration (SMIG_QUOTA_DEFAULTS). @default - unlimited */
  readonly quotaDefaults?: QuotaLimits;
  /** A partitioned copy's plan and reports, where the process shows migrations (the API). */
  readonly partitions?: PartitionStore;
  /** The console's view of the workflow and the events. @default - not served */
  readonly insight?: OperatorInsight;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
}

export interface Composition {
  readonly services: DomainServices;
  readonly migrationDeps: MigrationDeps;
  /** What firing a schedule needs (the local ticker fires them with fireSchedule). */
  readonly scheduleDeps: ScheduleDeps;
}

export function composeDomain(adapters: Adapters): Composition {
  const clock = adapters.clock ?? systemClock;
  const ids = adapters.ids ?? uuidGenerator;
  const shareTypes = new StoredShareTypeService({ store: adapters.shareTypes, clock, ids });
  const pools = new DriverPoolService(adapters.drivers, shareTypes);
  const quotas = new StoredQuotaService({
    records: adapters.quotas,
    shares: adapters.shares,
    shareNetworks: adapters.shareNetworks,
    defaults: adapters.quotaDefaults ?? UNLIMITED_QUOTAS,
  });
  const networkDeps = { networks: adapters.shareNetworks, securityServices: adapters.securityServices, shares: adapters.shares, quotas, clock, ids };
  const shareNetworks = new CatalogShareNetworkService(networkDeps);
  const securityServices = new CatalogSecurityServiceService(networkDeps);
  const migrationDeps: MigrationDeps = {
    shares: adapters.shares,
    migrations: adapters.migrations,
    shareTypes,
    shareNetworks,
    pools,
    drivers: adapters.drivers,
    workflow: adapters.workflow,
    copyTasks: adapters.copyTasks,
    copyTaskDefinitions: adapters.copyTaskDefinitions,
    events: adapters.events,
    clock,
    ids,
    schedules: adapters.schedules,
    ...(adapters.partitions ? { partitions: adapters.partitions } : {}),
  };
  // The API's migration_start checks a new share type's quotas (its function reads the share lists); the
  // workflow's validate step, which locks a migration started from the console or a schedule, does not.
  const migrations = new WorkflowMigrationService({ ...migrationDeps, quotas });
  const scheduleDeps: ScheduleDeps = {
    schedules: adapters.schedules,
    scheduler: adapters.scheduler,
    shares: adapters.shares,
    pools,
    shareTypes,
    migrations,
    clock,
    ids,
  };
  return {
    migrationDeps,
    scheduleDeps,
    services: {
      shares: new DriverShareService({ shares: adapters.shares, shareTypes, shareNetworks, pools, drivers: adapters.drivers, quotas, clock, ids }),
      resizes: new DriverShareResizeService({ shares: adapters.shares, shareTypes, pools, drivers: adapters.drivers, quotas, clock }),
      snapshots: new DriverSnapshotService({ shares: adapters.shares, shareTypes, drivers: adapters.drivers, quotas, clock, ids }),
      shareTypes,
      shareTypeAccess: new StoredShareTypeAccessService({ store: adapters.shareTypes, shareTypes }),
      quotas,
      pools,
      migrations,
      tokens: adapters.tokens,
      shareNetworks,
      securityServices,
      schedules: new StoredScheduleService(scheduleDeps),
      ...(adapters.insight ? { insight: adapters.insight } : {}),
    },
  };
}
