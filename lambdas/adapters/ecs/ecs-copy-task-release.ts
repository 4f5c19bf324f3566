import { DeregisterTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';

/**
 * Deregistering a migration's copy task definition when the migration ends (cutover, cleanup). The stack's
 * own revision is never deregistered. Registering is EcsCopyTaskRegistration's, so a function that only
 * deregisters holds no RegisterTaskDefinition in its bundle.
 */
export class EcsCopyTaskRelease {
  private readonly client: ECSClient;
  private readonly baseTaskDefinition: string;

  constructor(client: ECSClient, baseTaskDefinition: string) {
    this.client = client;
    this.baseTaskDefinition = baseTaskDefinition;
  }

  /** A definition that is not the migration's own, or is already gone, is left alone. */
  async release(taskDefinition: string): Promise<void> {
    if (taskDefinition === this.baseTaskDefinition) return;
    try {
      await this.client.send(new DeregisterTaskDefinitionCommand({ taskDefinition }));
    } catch (err) {
      // Already deregistered (a retried cleanup): ECS answers ClientException "...is INACTIVE" or similar.
      if ((err as { name?: string }).name !== 'ClientException') throw err;
    }
  }
}
