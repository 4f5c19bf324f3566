import type { ECSClient } from '@aws-sdk/client-ecs';
import type { CopyMount } from '../../drivers/driver.ts';
import type { CopyTaskDefinitions, CopyTaskSize } from '../../core/ports.ts';
import { EcsCopyTaskRegistration } from './ecs-copy-task-registration.ts';
import { EcsCopyTaskRelease } from './ecs-copy-task-release.ts';
import { EcsPurgeTaskRegistration } from './ecs-purge-task-registration.ts';

/**
 * Per-migration copy task definitions on ECS: registered at prepare (EcsCopyTaskRegistration), deregistered
 * when the migration ends (EcsCopyTaskRelease); a file system's purge task definition (EcsPurgeTaskRegistration).
 * A function that does only one of them is composed
 * with that one alone (lambdas/composition/factories/ecs.ts).
 */
export class EcsCopyTaskDefinitions implements CopyTaskDefinitions {
  private readonly registration: EcsCopyTaskRegistration;
  private readonly releaser: EcsCopyTaskRelease;
  private readonly purges: EcsPurgeTaskRegistration;

  constructor(client: ECSClient, baseTaskDefinition: string, containerName: string) {
    this.registration = new EcsCopyTaskRegistration(client, baseTaskDefinition, containerName);
    this.releaser = new EcsCopyTaskRelease(client, baseTaskDefinition);
    this.purges = new EcsPurgeTaskRegistration(client, baseTaskDefinition, containerName);
  }

  forMigration(migrationId: string, mounts: readonly CopyMount[], size?: CopyTaskSize): Promise<string> {
    return this.registration.forMigration(migrationId, mounts, size);
  }

  forPurge(root: CopyMount): Promise<string> {
    return this.purges.forPurge(root);
  }

  release(taskDefinition: string): Promise<void> {
    return this.releaser.release(taskDefinition);
  }
}
