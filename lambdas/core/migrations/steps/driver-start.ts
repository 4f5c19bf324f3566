import { TaskState } from '../../task-state.ts';
import type { MigrationExecutionState } from '../../workflow.ts';
import { ensureDestinationInstance } from '../destination-instance.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { advance } from '../migration-records.ts';
import { throwIfStopped } from '../cancellation.ts';
import { parseHost } from '../../host.ts';

export async function driverStartStep(deps: MigrationDeps, state: MigrationExecutionState): Promise<MigrationExecutionState> {
  const migration = await advance(deps, state.migration_id, TaskState.MIGRATION_DRIVER_STARTING);
  throwIfStopped(migration);
  const { source, destination } = await ensureDestinationInstance(deps, migration);
  await deps.drivers.forHost(source.host).migrationStart({ source, destination, destinationHost: parseHost(migration.destination_host) });
  await advance(deps, migration.id, TaskState.MIGRATION_DRIVER_IN_PROGRESS);
  return state;
}

