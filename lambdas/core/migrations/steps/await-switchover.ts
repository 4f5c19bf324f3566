import { SwitchoverStatus } from '../../model.ts';
import type { AwaitSwitchoverInput } from '../../workflow.ts';
import type { MigrationDeps } from '../migration-deps.ts';
import { patchMigration } from '../migration-records.ts';

/**
 * Runs as a waitForTaskToken task between two checks of who may still write to the read-only source
 * (switchover-writers.ts), its timeout the wait the check asked for: keeps the token in the migration
 * record, where migration_complete finds it when the operator confirms, so the next check runs at once
 * rather than minutes later. The token is recorded first and the record then read in the same write, so
 * a confirmation that came before the token did is not lost: the step answers it itself. It answers too
 * when the switchover no longer waits (settled by another run): the check then routes on what it finds.
 */
export async function awaitSwitchoverStep(deps: MigrationDeps, input: AwaitSwitchoverInput): Promise<void> {
  const migration = await patchMigration(deps, input.migration_id, (m) => (m.switchover?.status === SwitchoverStatus.WAITING ? { task_token: input.task_token } : null));
  const switchover = migration.switchover;
  if (switchover?.status !== SwitchoverStatus.WAITING || switchover.confirmed_at !== null) {
    await deps.workflow.sendTaskSuccess(input.task_token, {});
  }
}
