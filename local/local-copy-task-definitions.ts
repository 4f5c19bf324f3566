import type { CopyTaskDefinitions } from '../lambdas/core/ports.ts';

/** At home the copy task is a child process that reaches both folders directly: nothing to mount. */
export const LOCAL_COPY_TASK_DEFINITION = 'local-copy-task';

/** What the local runner runs the purge entry for (the ECS purge revision's counterpart). */
export const LOCAL_PURGE_TASK_DEFINITION = 'local-purge-task';

export const localCopyTaskDefinitions: CopyTaskDefinitions = {
  forMigration: async () => LOCAL_COPY_TASK_DEFINITION,
  forPurge: async () => LOCAL_PURGE_TASK_DEFINITION,
  release: async () => undefined,
};
