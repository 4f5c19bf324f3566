import type { CopyTaskDefinitions, CopyTaskSize } from '../lambdas/core/ports.ts';
import { CopyTaskEnv } from '../lambdas/core/workflow.ts';

/** At home the copy task is a child process that reaches both folders directly: nothing to mount. */
export const LOCAL_COPY_TASK_DEFINITION = 'local-copy-task';

/** What the local runner runs the purge entry for (the ECS purge revision's counterpart). */
export const LOCAL_PURGE_TASK_DEFINITION = 'local-purge-task';

/**
 * A migration's own "revision" at home: the local task definition with what of its size a child process
 * can take (`local-copy-task?concurrency=16`): its operations in flight. CPU and memory size a Fargate task;
 * a child process shares the machine. The runner reads it back (localTaskEnvironment), as ECS reads a
 * registered revision's container environment.
 */
export const localCopyTaskDefinitions: CopyTaskDefinitions = {
  forMigration: async (_migrationId, _mounts, size?: CopyTaskSize) =>
    size?.concurrency === undefined ? LOCAL_COPY_TASK_DEFINITION : `${LOCAL_COPY_TASK_DEFINITION}?concurrency=${size.concurrency}`,
  forPurge: async () => LOCAL_PURGE_TASK_DEFINITION,
  release: async () => undefined,
};

/** The container environment a local task definition carries (its concurrency), for the local runner. */
export function localTaskEnvironment(taskDefinition: unknown): Record<string, string> {
  if (typeof taskDefinition !== 'string' || !taskDefinition.startsWith(`${LOCAL_COPY_TASK_DEFINITION}?`)) return {};
  const concurrency = new URLSearchParams(taskDefinition.slice(LOCAL_COPY_TASK_DEFINITION.length + 1)).get('concurrency');
  return concurrency !== null && /^\d+$/.test(concurrency) ? { [CopyTaskEnv.CONCURRENCY]: concurrency } : {};
}
