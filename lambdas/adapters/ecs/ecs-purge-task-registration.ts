import {
  DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand,
  type ContainerDefinition, type ECSClient, type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { PURGE_ENTRY } from '../../core/workflow.ts';
import type { CopyMount } from '../../drivers/driver.ts';
import { familyOf, purgeFamily } from './copy-task-family.ts';

/** The volume of a purge revision: the file system's root. */
const ROOT_VOLUME = 'purge-root';

/**
 * The purge task's definition for one file system: the stack's copy task definition (same image, roles,
 * network, size) whose copy container runs the purge entry (`node copy-task/bin/smig-purge-container.ts`)
 * with the file system's root mounted (transit encryption, IAM authorization, no access point: the task role
 * mounts it as itself, with ClientRootAccess to remove every owner's files). One family per file system,
 * `<copy family>-purge-<file system id>` (copy-task-family.ts, within the `<copy family>-*` revisions the
 * state machine may run), looked up before registering: RegisterTaskDefinition is not idempotent. A revision
 * found that was made from another copy image or role (the stack was updated since) is not reused; a new
 * revision is registered in the same family, and the old ones stay for ECS to keep as history.
 */
export class EcsPurgeTaskRegistration {
  private readonly client: ECSClient;
  private readonly baseTaskDefinition: string;
  private readonly containerName: string;

  constructor(client: ECSClient, baseTaskDefinition: string, containerName: string) {
    this.client = client;
    this.baseTaskDefinition = baseTaskDefinition;
    this.containerName = containerName;
  }

  async forPurge(root: CopyMount): Promise<string> {
    const volume = root.volume;
    if (!volume) throw new Error(`A purge task on ECS mounts its file system: the driver gave no volume for ${root.path}`);
    const family = purgeFamily(familyOf(this.baseTaskDefinition), volume.fileSystemId);
    const base = await this.describe(this.baseTaskDefinition);
    if (!base?.family || !base.containerDefinitions) throw new Error(`Copy task definition ${this.baseTaskDefinition} could not be read`);
    const baseContainer = base.containerDefinitions.find((c) => c.name === this.containerName);
    if (!baseContainer) throw new Error(`Copy task definition ${this.baseTaskDefinition} has no container "${this.containerName}"`);
    const registered = await this.describe(family);
    if (registered?.status === 'ACTIVE' && registered.taskDefinitionArn && madeFrom(registered, base, this.containerName)) return registered.taskDefinitionArn;
    const container: ContainerDefinition = {
      ...baseContainer,
      // The copy image's entry point is the copy container; this revision runs the purge entry instead.
      entryPoint: ['node'],
      command: [PURGE_ENTRY],
      mountPoints: [...(baseContainer.mountPoints ?? []), { sourceVolume: ROOT_VOLUME, containerPath: volume.containerPath, readOnly: false }],
    };
    const out = await this.client.send(new RegisterTaskDefinitionCommand({
      family,
      taskRoleArn: base.taskRoleArn,
      executionRoleArn: base.executionRoleArn,
      networkMode: base.networkMode,
      requiresCompatibilities: base.requiresCompatibilities,
      cpu: base.cpu,
      memory: base.memory,
      runtimePlatform: base.runtimePlatform,
      ephemeralStorage: base.ephemeralStorage,
      containerDefinitions: base.containerDefinitions.map((c) => (c.name === this.containerName ? container : c)),
      volumes: [
        ...(base.volumes ?? []),
        {
          name: ROOT_VOLUME,
          efsVolumeConfiguration: { fileSystemId: volume.fileSystemId, rootDirectory: '/', transitEncryption: 'ENABLED', authorizationConfig: { iam: 'ENABLED' } },
        },
      ],
      tags: [{ key: 'smig:purge-file-system', value: volume.fileSystemId }],
    }));
    const arn = out.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new Error(`ECS did not return the purge task definition registered for file system ${volume.fileSystemId}`);
    return arn;
  }

  /**
   * The latest ACTIVE revision of a family (or a given revision), or null: ECS answers ClientException
   * "Unable to describe task definition." for a family without one.
   */
  private async describe(taskDefinition: string): Promise<TaskDefinition | null> {
    try {
      return (await this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition }))).taskDefinition ?? null;
    } catch (err) {
      if ((err as { name?: string }).name === 'ClientException') return null;
      throw err;
    }
  }
}

/** Whether a purge revision runs what the stack's copy task definition runs now: same image and roles. */
function madeFrom(revision: TaskDefinition, base: TaskDefinition, containerName: string): boolean {
  const image = (definition: TaskDefinition) => definition.containerDefinitions?.find((c) => c.name === containerName)?.image;
  return image(revision) === image(base) && revision.taskRoleArn === base.taskRoleArn && revision.executionRoleArn === base.executionRoleArn;
}
