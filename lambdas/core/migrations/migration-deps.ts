import type { DriverRegistry } from '../../drivers/driver.ts';
import type { DriverPoolService } from '../pools/pool-service.ts';
import type { Clock, CopyTaskControl, CopyTaskDefinitions, IdGenerator, MigrationStore, ShareStore, WorkflowPort } from '../ports.ts';
import type { ShareNetworkService, ShareTypeService } from '../services.ts';
import type { MigrationEventPublisher } from '../events/migration-event.ts';
import type { PartitionStore } from '../partitions/partition-store.ts';
import type { ScheduleStore } from '../schedules/ports.ts';
import type { QuotaEnforcer } from '../quotas/quota-enforcer.ts';

/** Everything the migration steps and the migration API need; built by each process's composition root. */
export interface MigrationDeps {
  readonly shares: ShareStore;
  readonly migrations: MigrationStore;
  readonly shareTypes: ShareTypeService;
  readonly shareNetworks: ShareNetworkService;
  readonly pools: DriverPoolService;
  readonly drivers: DriverRegistry;
  readonly workflow: WorkflowPort;
  readonly copyTasks: CopyTaskControl;
  readonly copyTaskDefinitions: CopyTaskDefinitions;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly events: MigrationEventPublisher;
  /** A partitioned copy's plan and reports (the API shows their progress). @default none: progress as stored */
  readonly partitions?: PartitionStore;
  /**
   * The project's quotas, checked by migration_start for a destination of another share type: the API's
   * (its function may read the share lists the usage is counted from). @default - none enforced
   */
  readonly quotas?: QuotaEnforcer;
  /** Where the first state records the firing of a schedule that started its execution (absent: not recorded). */
  readonly schedules?: ScheduleStore;
}
