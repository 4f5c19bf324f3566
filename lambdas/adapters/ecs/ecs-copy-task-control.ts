import { ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import type { CopyTaskControl } from '../../core/ports.ts';

/** Stops a copy task with ECS StopTask: the container gets SIGTERM and exits as cancelled. */
export class EcsCopyTaskControl implements CopyTaskControl {
  private readonly client: ECSClient;
  private readonly cluster: string;

  constructor(client: ECSClient, cluster: string) {
    this.client = client;
    this.cluster = cluster;
  }

  async stopCopyTask(taskId: string, reason: string): Promise<void> {
    await this.client.send(new StopTaskCommand({ cluster: this.cluster, task: taskId, reason: reason.slice(0, 255) }));
  }
}
