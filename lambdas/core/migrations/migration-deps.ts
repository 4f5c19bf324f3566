import type { DriverRegistry } from '../../drivers/driver.ts';
import type { DriverPoolService } from '../pools/pool-service.ts';
import type { Clock, CopyTaskControl, IdGenerator, MigrationStore, ShareStore, WorkflowPort } from '../ports.ts';
import type { ShareTypeService } from '../services.ts';

/** Everything the migration steps and the migration API need; built by each process's composition root. */
export interface MigrationDeps {
  readonly shares: ShareStore;
  readonly migrations: MigrationStore;
  readonly shareTypes: ShareTypeService;
  readonly pools: DriverPoolService;
  readonly drivers: DriverRegistry;
  readonly workflow: WorkflowPort;
  readonly copyTasks: CopyTaskControl;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}
