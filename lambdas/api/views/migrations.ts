import type { Migration } from '../../core/model.ts';

/**
 * Our extension (GET /shares/{id}/migrations, GET /migrations/{id}): the migration record as stored,
 * without the Step Functions task token, which would let its holder drive the workflow.
 */
export function migrationView(migration: Migration): Record<string, unknown> {
  const { task_token: taskToken, ...rest } = migration;
  return { ...rest, waiting_for_callback: taskToken !== null };
}
