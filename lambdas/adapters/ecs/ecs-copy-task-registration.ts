import {
  DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand,
  type ContainerDefinition, type ECSClient, type Volume,
} from '@aws-sdk/client-ecs';
import type { CopyMount } from '../../drivers/driver.ts';
import type { CopyTaskSize } from '../../core/ports.ts';
import { CopyTaskEnv } from '../../core/workflow.ts';
import { familyOf, migrationFamily } from './copy-task-family.ts';

/**
 * Registering a migration's copy task definition: the stack's copy task definition plus one EFS volume per
 * instance (transit encryption and IAM authorization on, through the instance's access point), mounted
 * in the copy container at the path the driver gave, in a family of the migration's own
 * (copy-task-family.ts). RegisterTaskDefinition is not idempotent, so the migration's family is looked up
 * first: a prepare step retried after registering (its Lambda died before recording the ARN) finds
 * that revision instead of registering another. A migration's mounts are fixed once its instances
 * exist, so the revision found is the one it needs. Mounts that need no volume leave the stack's
 * definition as it is. Deregistering is EcsCopyTaskRelease's, so a function that only registers
 * (prepare destination) holds no DeregisterTaskDefinition in its bundle.
 */
export class EcsCopyTaskRegistration {
  private readonly client: ECSClient;
  private readonly baseTaskDefinition: string;
  private readonly containerName: string;

  constructor(client: ECSClient, baseTaskDefinition: string, containerName: string) {
    this.client = client;
    this.baseTaskDefinition = baseTaskDefinition;
    this.containerName = containerName;
  }

  async forMigration(migrationId: string, mounts: readonly CopyMount[], size?: CopyTaskSize): Promise<string> {
    const volumes = mounts.flatMap((m) => (m.volume ? [m.volume] : []));
    if (volumes.length === 0) return this.baseTaskDefinition;
    const family = migrationFamily(familyOf(this.baseTaskDefinition), migrationId);
    const registered = await this.activeRevision(family);
    if (registered) return registered;
    const base = (await this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: this.baseTaskDefinition }))).taskDefinition;
    if (!base?.family || !base.containerDefinitions) throw new Error(`Copy task definition ${this.baseTaskDefinition} could not be read`);
    const ecsVolumes: Volume[] = volumes.map((v, i) => ({
      name: `instance-${i}`,
      efsVolumeConfiguration: {
        fileSystemId: v.fileSystemId,
        transitEncryption: 'ENABLED',
        ...(v.accessPointId
          ? { authorizationConfig: { accessPointId: v.accessPointId, iam: 'ENABLED' } }
          : { rootDirectory: v.rootDirectory, authorizationConfig: { iam: 'ENABLED' } }),
      },
    }));
    // The migration's own size, if it asked (migration_start's copy_task_cpu, copy_task_memory, copy_concurrency):
    // its revision is registered per migration anyway, so no RunTask override (and no state field) is needed.
    const concurrency = size?.concurrency === undefined ? [] : [{ name: CopyTaskEnv.CONCURRENCY, value: String(size.concurrency) }];
    const containers: ContainerDefinition[] = base.containerDefinitions.map((c) => (c.name !== this.containerName ? c : {
      ...c,
      mountPoints: [...(c.mountPoints ?? []), ...volumes.map((v, i) => ({ sourceVolume: `instance-${i}`, containerPath: v.containerPath, readOnly: false }))],
      environment: [...(c.environment ?? []).filter((e) => e.name !== CopyTaskEnv.CONCURRENCY), ...concurrency],
    }));
    const out = await this.client.send(new RegisterTaskDefinitionCommand({
      family,
      taskRoleArn: base.taskRoleArn,
      executionRoleArn: base.executionRoleArn,
      networkMode: base.networkMode,
      requiresCompatibilities: base.requiresCompatibilities,
      cpu: size?.cpu !== undefined ? String(size.cpu) : base.cpu,
      memory: size?.memory !== undefined ? String(size.memory) : base.memory,
      runtimePlatform: base.runtimePlatform,
      ephemeralStorage: base.ephemeralStorage,
      containerDefinitions: containers,
      volumes: [...(base.volumes ?? []), ...ecsVolumes],
      tags: [{ key: 'smig:migration', value: migrationId }],
    }));
    const arn = out.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new Error(`ECS did not return the copy task definition registered for migration ${migrationId}`);
    return arn;
  }

  /**
   * The ARN of the latest ACTIVE revision of `family`, or null if it has none: DescribeTaskDefinition of
   * a family without a revision number answers with that revision, or with ClientException "Unable to
   * describe task definition." when the family has none (never registered, or every revision deregistered).
   */
  private async activeRevision(family: string): Promise<string | null> {
    try {
      const found = (await this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }))).taskDefinition;
      return found?.status === 'ACTIVE' && found.taskDefinitionArn ? found.taskDefinitionArn : null;
    } catch (err) {
      if ((err as { name?: string }).name === 'ClientException') return null;
      throw err;
    }
  }
}
