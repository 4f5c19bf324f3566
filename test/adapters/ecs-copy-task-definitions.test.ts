import { mockClient } from 'aws-sdk-client-mock';
import { ClientException, DeregisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcsCopyTaskDefinitions } from '../../lambdas/adapters/ecs/ecs-copy-task-definitions.ts';

const BASE = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/ShareMigrationCopy:3';

describe('Class: EcsCopyTaskDefinitions', () => {
  const ecs = mockClient(ECSClient);
  beforeEach(() => ecs.reset());
  const definitions = () => new EcsCopyTaskDefinitions(new ECSClient({ region: 'eu-west-1' }), BASE, 'copy');

  it('registers a revision of the copy task definition that mounts both EFS instances in the copy container', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        family: 'ShareMigrationCopy', taskRoleArn: 'arn:task-role', executionRoleArn: 'arn:exec-role', networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'], cpu: '1024', memory: '2048',
        containerDefinitions: [{ name: 'copy', image: 'img', environment: [{ name: 'SMIG_MIGRATIONS_TABLE', value: 't' }] }, { name: 'sidecar', image: 'x' }],
      },
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: `${BASE.slice(0, -1)}4` } });

    // Act
    const arn = await definitions().forMigration('m-1', [
      { path: '/mnt/efs/src', volume: { fileSystemId: 'fs-1', accessPointId: 'fsap-1', containerPath: '/mnt/efs/src', rootDirectory: '/', region: 'eu-west-1' } },
      { path: '/mnt/efs/dst', volume: { fileSystemId: 'fs-2', containerPath: '/mnt/efs/dst', rootDirectory: '/', region: 'eu-west-1' } },
    ]);

    // Assess
    expect(arn).toBe(`${BASE.slice(0, -1)}4`);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0]!.args[0].input).toEqual({ taskDefinition: BASE });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input).toEqual({
      family: 'ShareMigrationCopy', taskRoleArn: 'arn:task-role', executionRoleArn: 'arn:exec-role', networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'], cpu: '1024', memory: '2048', runtimePlatform: undefined, ephemeralStorage: undefined,
      containerDefinitions: [
        {
          name: 'copy', image: 'img', environment: [{ name: 'SMIG_MIGRATIONS_TABLE', value: 't' }],
          mountPoints: [
            { sourceVolume: 'instance-0', containerPath: '/mnt/efs/src', readOnly: false },
            { sourceVolume: 'instance-1', containerPath: '/mnt/efs/dst', readOnly: false },
          ],
        },
        { name: 'sidecar', image: 'x' },
      ],
      volumes: [
        { name: 'instance-0', efsVolumeConfiguration: { fileSystemId: 'fs-1', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-1', iam: 'ENABLED' } } },
        { name: 'instance-1', efsVolumeConfiguration: { fileSystemId: 'fs-2', transitEncryption: 'ENABLED', rootDirectory: '/', authorizationConfig: { iam: 'ENABLED' } } },
      ],
      tags: [{ key: 'smig:migration', value: 'm-1' }],
    });
  });

  it('keeps the stack\'s definition when no mount needs a volume, and never deregisters it', async () => {
    const defs = definitions();
    expect(await defs.forMigration('m-2', [{ path: '/srv/a' }, { path: '/srv/b' }])).toBe(BASE);
    await defs.release(BASE);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('deregisters the migration\'s revision, tolerating one that is already gone', async () => {
    ecs.on(DeregisterTaskDefinitionCommand).rejectsOnce(new ClientException({ message: 'The specified task definition is inactive', $metadata: {} })).resolves({});
    await definitions().release(`${BASE.slice(0, -1)}4`);
    await definitions().release(`${BASE.slice(0, -1)}5`);
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand).map((c) => c.args[0].input.taskDefinition)).toEqual([`${BASE.slice(0, -1)}4`, `${BASE.slice(0, -1)}5`]);
  });

  it('registers nothing when the stack\'s definition cannot be read, and surfaces a refused registration', async () => {
    // Prepare
    const volume = { fileSystemId: 'fs-1', accessPointId: 'fsap-1', containerPath: '/mnt/efs/src', rootDirectory: '/', region: 'eu-west-1' };
    ecs.on(DescribeTaskDefinitionCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ taskDefinition: { family: 'ShareMigrationCopy', containerDefinitions: [{ name: 'copy', image: 'img' }] } });
    ecs.on(RegisterTaskDefinitionCommand).rejects(new ClientException({ message: 'Too many revisions', $metadata: {} }));

    // Act / Assess: the prepare step fails (and is retried by the workflow); nothing was registered to clean up
    await expect(definitions().forMigration('m-3', [{ path: volume.containerPath, volume }])).rejects.toThrow('Rate exceeded');
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    await expect(definitions().forMigration('m-3', [{ path: volume.containerPath, volume }])).rejects.toThrow('Too many revisions');
  });

  it('surfaces a deregistration that fails for another reason, so cleanup retries it', async () => {
    ecs.on(DeregisterTaskDefinitionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(definitions().release(`${BASE.slice(0, -1)}4`)).rejects.toThrow('Rate exceeded');
  });
});

