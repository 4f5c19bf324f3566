import { mockClient } from 'aws-sdk-client-mock';
import { ClientException, DeregisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrationFamily } from '../../lambdas/adapters/ecs/copy-task-family.ts';
import { EcsCopyTaskDefinitions } from '../../lambdas/adapters/ecs/ecs-copy-task-definitions.ts';

const BASE = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/ShareMigrationCopy:3';
/** A migration's own family: `<base family>-<migration id>`. */
const familyArn = (family: string, revision: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/${family}:${revision}`;
/** ECS's answer to DescribeTaskDefinition of a family with no ACTIVE revision (never registered, or all deregistered). */
const noSuchFamily = () => new ClientException({ message: 'Unable to describe task definition.', $metadata: { httpStatusCode: 400 } });
const volume = { fileSystemId: 'fs-1', accessPointId: 'fsap-1', containerPath: '/mnt/efs/src', rootDirectory: '/', region: 'eu-west-1' };

describe('Class: EcsCopyTaskDefinitions', () => {
  const ecs = mockClient(ECSClient);
  beforeEach(() => ecs.reset());
  const definitions = () => new EcsCopyTaskDefinitions(new ECSClient({ region: 'eu-west-1' }), BASE, 'copy');

  it('registers, in a family of the migration\'s own, a revision of the copy task definition that mounts both EFS instances in the copy container', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'ShareMigrationCopy-m-1' }).rejects(noSuchFamily());
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: BASE }).resolves({
      taskDefinition: {
        family: 'ShareMigrationCopy', taskRoleArn: 'arn:task-role', executionRoleArn: 'arn:exec-role', networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'], cpu: '1024', memory: '2048',
        containerDefinitions: [{ name: 'copy', image: 'img', environment: [{ name: 'SMIG_MIGRATIONS_TABLE', value: 't' }] }, { name: 'sidecar', image: 'x' }],
      },
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: familyArn('ShareMigrationCopy-m-1', 1), family: 'ShareMigrationCopy-m-1', revision: 1, status: 'ACTIVE' } });

    // Act
    const arn = await definitions().forMigration('m-1', [
      { path: '/mnt/efs/src', volume: { fileSystemId: 'fs-1', accessPointId: 'fsap-1', containerPath: '/mnt/efs/src', rootDirectory: '/', region: 'eu-west-1' } },
      { path: '/mnt/efs/dst', volume: { fileSystemId: 'fs-2', containerPath: '/mnt/efs/dst', rootDirectory: '/', region: 'eu-west-1' } },
    ]);

    // Assess
    expect(arn).toBe(familyArn('ShareMigrationCopy-m-1', 1));
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual([{ taskDefinition: 'ShareMigrationCopy-m-1' }, { taskDefinition: BASE }]);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input).toEqual({
      family: 'ShareMigrationCopy-m-1', taskRoleArn: 'arn:task-role', executionRoleArn: 'arn:exec-role', networkMode: 'awsvpc',
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

  it('gives the migration\'s revision the size it asked for: the task\'s CPU and memory, the copy container\'s operations in flight', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'ShareMigrationCopy-m-6' }).rejects(noSuchFamily());
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: BASE }).resolves({
      taskDefinition: {
        family: 'ShareMigrationCopy', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '1024', memory: '2048',
        containerDefinitions: [{ name: 'copy', image: 'img', environment: [{ name: 'SMIG_MIGRATIONS_TABLE', value: 't' }] }],
      },
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: familyArn('ShareMigrationCopy-m-6', 1) } });

    // Act
    await definitions().forMigration('m-6', [{ path: volume.containerPath, volume }], { cpu: 4096, memory: 16384, concurrency: 32 });

    // Assess
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    expect(registered).toMatchObject({ cpu: '4096', memory: '16384' });
    expect(registered.containerDefinitions![0]!.environment).toEqual([{ name: 'SMIG_MIGRATIONS_TABLE', value: 't' }, { name: 'SMIG_COPY_CONCURRENCY', value: '32' }]);
  });

  it('finds the revision a previous run registered for the migration, and registers none (a retried prepare)', async () => {
    // Prepare: ECS's answer for the family's latest ACTIVE revision
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'ShareMigrationCopy-m-4' }).resolves({
      taskDefinition: {
        taskDefinitionArn: familyArn('ShareMigrationCopy-m-4', 1), family: 'ShareMigrationCopy-m-4', revision: 1, status: 'ACTIVE',
        networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '1024', memory: '2048',
        containerDefinitions: [{ name: 'copy', image: 'img', mountPoints: [{ sourceVolume: 'instance-0', containerPath: '/mnt/efs/src', readOnly: false }] }],
        volumes: [{ name: 'instance-0', efsVolumeConfiguration: { fileSystemId: 'fs-1', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-1', iam: 'ENABLED' } } }],
        registeredAt: new Date('2025-01-01T00:00:00Z'),
      },
    });

    // Act
    const arn = await definitions().forMigration('m-4', [{ path: volume.containerPath, volume }]);

    // Assess
    expect(arn).toBe(familyArn('ShareMigrationCopy-m-4', 1));
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual([{ taskDefinition: 'ShareMigrationCopy-m-4' }]);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('registers again when the family\'s latest revision is not ACTIVE', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'ShareMigrationCopy-m-5' }).resolves({
      taskDefinition: { taskDefinitionArn: familyArn('ShareMigrationCopy-m-5', 1), family: 'ShareMigrationCopy-m-5', revision: 1, status: 'INACTIVE' },
    });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: BASE }).resolves({ taskDefinition: { family: 'ShareMigrationCopy', containerDefinitions: [{ name: 'copy', image: 'img' }] } });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: familyArn('ShareMigrationCopy-m-5', 2) } });

    // Act & Assess
    expect(await definitions().forMigration('m-5', [{ path: volume.containerPath, volume }])).toBe(familyArn('ShareMigrationCopy-m-5', 2));
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input.family).toBe('ShareMigrationCopy-m-5');
  });

  it('names the family after a hash of a migration id ECS would refuse in a family name, the same every time', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).rejects(noSuchFamily());

    // Act
    await definitions().forMigration('console.run@7', [{ path: volume.containerPath, volume }]).catch(() => undefined);
    await definitions().forMigration('console.run@7', [{ path: volume.containerPath, volume }]).catch(() => undefined);

    // Assess
    const looked = ecs.commandCalls(DescribeTaskDefinitionCommand).map((c) => c.args[0].input.taskDefinition);
    expect(looked[0]).toMatch(/^ShareMigrationCopy-sha256-[0-9a-f]{40}$/);
    expect(looked.filter((family) => family !== BASE)).toEqual([looked[0], looked[0]]);
    expect(migrationFamily('ShareMigrationCopy', 'm'.repeat(300))).toMatch(/^ShareMigrationCopy-sha256-[0-9a-f]{40}$/);
    expect(migrationFamily('ShareMigrationCopy', '0b1c7c2e-5d2a-4f7e-9a59-0c2b4b0b8f11')).toBe('ShareMigrationCopy-0b1c7c2e-5d2a-4f7e-9a59-0c2b4b0b8f11');
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

  it('registers nothing when the migration\'s family or the stack\'s definition cannot be read, and surfaces a refused registration', async () => {
    // Prepare
    const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'ShareMigrationCopy-m-3' }).rejectsOnce(throttled()).rejects(noSuchFamily());
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: BASE }).rejectsOnce(throttled())
      .resolves({ taskDefinition: { family: 'ShareMigrationCopy', containerDefinitions: [{ name: 'copy', image: 'img' }] } });
    ecs.on(RegisterTaskDefinitionCommand).rejects(new ClientException({ message: 'Too many revisions', $metadata: {} }));

    // Act / Assess: the prepare step fails (and is retried by the workflow); nothing was registered to clean up
    await expect(definitions().forMigration('m-3', [{ path: volume.containerPath, volume }])).rejects.toThrow('Rate exceeded');
    await expect(definitions().forMigration('m-3', [{ path: volume.containerPath, volume }])).rejects.toThrow('Rate exceeded');
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    await expect(definitions().forMigration('m-3', [{ path: volume.containerPath, volume }])).rejects.toThrow('Too many revisions');
  });

  it('surfaces a deregistration that fails for another reason, so cleanup retries it', async () => {
    ecs.on(DeregisterTaskDefinitionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(definitions().release(`${BASE.slice(0, -1)}4`)).rejects.toThrow('Rate exceeded');
  });
});

