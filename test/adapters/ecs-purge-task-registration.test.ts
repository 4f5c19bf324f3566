import { mockClient } from 'aws-sdk-client-mock';
import { ClientException, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, type TaskDefinition } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { purgeFamily } from '../../lambdas/adapters/ecs/copy-task-family.ts';
import { EcsPurgeTaskRegistration } from '../../lambdas/adapters/ecs/ecs-purge-task-registration.ts';
import { PURGE_ENTRY } from '../../lambdas/core/workflow.ts';

const BASE = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/ShareMigrationCopy:3';
const FS = 'fs-0123456789abcdef0';
const FAMILY = `ShareMigrationCopy-purge-${FS}`;
const familyArn = (revision: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/${FAMILY}:${revision}`;
/** ECS's answer to DescribeTaskDefinition of a family with no ACTIVE revision. */
const noSuchFamily = () => new ClientException({ message: 'Unable to describe task definition.', $metadata: { httpStatusCode: 400 } });
const root = { path: `/mnt/efs-root/${FS}`, volume: { fileSystemId: FS, containerPath: `/mnt/efs-root/${FS}`, rootDirectory: '/', region: 'eu-west-1' } };
const base: TaskDefinition = {
  family: 'ShareMigrationCopy', taskRoleArn: 'arn:task-role', executionRoleArn: 'arn:exec-role', networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'], cpu: '1024', memory: '2048',
  containerDefinitions: [{ name: 'copy', image: 'img@sha256:1', readonlyRootFilesystem: true, environment: [{ name: 'SMIG_MIGRATIONS_TABLE', value: 't' }] }],
};

describe('Class: EcsPurgeTaskRegistration', () => {
  const ecs = mockClient(ECSClient);
  beforeEach(() => ecs.reset());
  const registration = () => new EcsPurgeTaskRegistration(new ECSClient({ region: 'eu-west-1' }), BASE, 'copy');

  it("registers, in the file system's purge family, the copy task definition running the purge entry with the file system's root mounted by IAM", async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: BASE }).resolves({ taskDefinition: base });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: FAMILY }).rejects(noSuchFamily());
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: familyArn(1), status: 'ACTIVE' } });

    // Act
    const arn = await registration().forPurge(root);

    // Assess
    expect(arn).toBe(familyArn(1));
    expect(purgeFamily('ShareMigrationCopy', FS)).toBe(FAMILY);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input).toEqual({
      family: FAMILY, taskRoleArn: 'arn:task-role', executionRoleArn: 'arn:exec-role', networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'], cpu: '1024', memory: '2048', runtimePlatform: undefined, ephemeralStorage: undefined,
      containerDefinitions: [{
        name: 'copy', image: 'img@sha256:1', readonlyRootFilesystem: true, environment: [{ name: 'SMIG_MIGRATIONS_TABLE', value: 't' }],
        entryPoint: ['node'],
        command: [PURGE_ENTRY],
        mountPoints: [{ sourceVolume: 'purge-root', containerPath: `/mnt/efs-root/${FS}`, readOnly: false }],
      }],
      volumes: [{ name: 'purge-root', efsVolumeConfiguration: { fileSystemId: FS, rootDirectory: '/', transitEncryption: 'ENABLED', authorizationConfig: { iam: 'ENABLED' } } }],
      tags: [{ key: 'smig:purge-file-system', value: FS }],
    });
  });

  it('reuses the revision registered before for the file system while it runs the same image and roles', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: BASE }).resolves({ taskDefinition: base });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: FAMILY }).resolves({
      taskDefinition: { ...base, family: FAMILY, taskDefinitionArn: familyArn(2), status: 'ACTIVE', containerDefinitions: [{ name: 'copy', image: 'img@sha256:1' }] },
    });

    // Act & Assess
    expect(await registration().forPurge(root)).toBe(familyArn(2));
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('registers a new revision when the stack moved to another copy image since', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: BASE }).resolves({ taskDefinition: base });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: FAMILY }).resolves({
      taskDefinition: { ...base, family: FAMILY, taskDefinitionArn: familyArn(2), status: 'ACTIVE', containerDefinitions: [{ name: 'copy', image: 'img@sha256:0' }] },
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: familyArn(3), status: 'ACTIVE' } });

    // Act & Assess
    expect(await registration().forPurge(root)).toBe(familyArn(3));
  });

  it('refuses a root without a volume: on ECS nothing reaches a folder that is not mounted', async () => {
    // Act & Assess
    await expect(registration().forPurge({ path: '/srv/x' })).rejects.toThrow(/mounts its file system: the driver gave no volume/);
    expect(ecs.calls()).toHaveLength(0);
  });
});
