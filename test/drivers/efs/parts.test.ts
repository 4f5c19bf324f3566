import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EFSClient } from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { readdirSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../lambdas/core/errors.ts';
import { parseHost } from '../../../lambdas/core/host.ts';
import type { ShareDriver } from '../../../lambdas/drivers/driver.ts';
import { allEfsParts } from '../../../lambdas/drivers/efs/all-parts.ts';
import {
  EFS_DRIVER_METHODS,
  EFS_METHOD_PARTS,
  EFS_PART_NAMES,
  EFS_PART_PERMISSIONS,
  efsActionsFor,
  efsPartsFor,
  EfsPartMissingError,
  type EfsDriverMethod,
  type EfsDriverParts,
  type EfsPartName,
} from '../../../lambdas/drivers/efs/index.ts';
import { ACCESS_POINT_BACKEND, FILE_SYSTEM_BACKEND, instance, makeRegistry, ROLE_ARN } from './fixtures.ts';
import { closureOf, efsActionsReachedFrom, EFS_DRIVER_DIR, importsOf } from './module-graph.ts';

const D = 'lambdas/drivers/efs';
const T = '2030-01-01T00:00:00.000Z';

/** The module of each part, as all-parts.ts wires them. */
const PART_MODULES: Readonly<Record<EfsPartName, string>> = {
  pools: `${D}/parts/pools.ts`,
  instances: `${D}/parts/instances.ts`,
  accessRules: `${D}/parts/access-rules.ts`,
  replication: `${D}/parts/replication.ts`,
  switchover: `${D}/parts/switchover.ts`,
};

/** Modules every bundle of the driver may hold: they must send nothing. */
const PART_FREE_MODULES = [`${D}/efs-driver.ts`, `${D}/registry.ts`, `${D}/index.ts`, `${D}/backend.ts`, `${D}/parts.ts`, `${D}/efs-actions.ts`];

describe('Module: efs-actions', () => {
  it('wires every part in all-parts.ts from its own module', () => {
    // Act
    const wired = importsOf(`${D}/all-parts.ts`).modules;

    // Assess
    expect(wired.toSorted()).toEqual(Object.values(PART_MODULES).toSorted());
    expect(Object.keys(allEfsParts).toSorted()).toEqual([...EFS_PART_NAMES].toSorted());
  });

  it.each(EFS_PART_NAMES)("declares as the %s part's calls exactly the EFS commands its modules import", (part) => {
    // Act
    const reached = efsActionsReachedFrom(PART_MODULES[part]);

    // Assess
    expect([...EFS_PART_PERMISSIONS[part].calls].sort()).toEqual(reached);
  });

  it('keeps the SDK out of the action list, and the parts out of every module a bundle of the driver holds anyway', () => {
    // Act
    const actionImports = importsOf(`${D}/efs-actions.ts`);
    const reachedByCore = PART_FREE_MODULES.flatMap((module) => closureOf(module));

    // Assess
    expect(actionImports.modules).toEqual([]);
    expect(actionImports.efsCommands).toEqual([]);
    expect(reachedByCore.filter((module) => module.startsWith(`${D}/parts/`) || module === `${D}/all-parts.ts`)).toEqual([]);
    expect(PART_FREE_MODULES.flatMap((module) => efsActionsReachedFrom(module))).toEqual([]);
  });

  it('lets the shared lookups send only Describe calls, and no module import the SDK otherwise than by named commands', () => {
    // Prepare
    const modules = closureOf(`${D}/all-parts.ts`).filter((module) => module.startsWith(D));
    const lookups = readdirSync(`${EFS_DRIVER_DIR}/lookups`).map((file) => `${D}/lookups/${file}`);

    // Act
    const lookupCommands = lookups.flatMap((module) => importsOf(module).efsCommands);

    // Assess
    expect(lookupCommands.length).toBeGreaterThan(0);
    expect(lookupCommands.filter((command) => !command.startsWith('Describe'))).toEqual([]);
    expect(modules.flatMap((module) => importsOf(module).otherEfsImports)).toEqual([]);
  });

  it('gives the parts of a set of methods, and their actions with what IAM also checks on the caller', () => {
    // Act
    const parts = efsPartsFor(['migrationCancel', 'listPools', 'migrationComplete']);

    // Assess
    expect(parts).toEqual(['pools', 'replication']);
    expect(efsActionsFor(['pools'])).toEqual(['elasticfilesystem:DescribeFileSystems']);
    expect(efsActionsFor(['instances'])).toEqual(expect.arrayContaining([
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'elasticfilesystem:TagResource',
      'iam:CreateServiceLinkedRole',
      'kms:CreateGrant',
    ]));
    expect(efsActionsFor(['accessRules'])).not.toContain('elasticfilesystem:DeleteAccessPoint');
  });
});

describe('Class: EfsDriver (composition)', () => {
  const efs = mockClient(EFSClient);
  const cloudWatch = mockClient(CloudWatchClient);
  beforeEach(() => {
    efs.reset();
    cloudWatch.reset();
  });

  const apInstance = instance();
  const fsInstance = instance({ host: 'efs@dedicated#default' });
  const destination = instance({ id: '9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a', host: 'efs@dedicated#default', status: 'migrating_to' });
  const request = { source: fsInstance, destination, destinationHost: parseHost('efs@dedicated#default') };

  /** Each method called on an instance of the backend mode it serves. */
  const CALLS: Readonly<Record<EfsDriverMethod, (driverOf: (host: string) => ShareDriver) => Promise<unknown>>> = {
    listPools: (driverOf) => driverOf('efs@shared').listPools(),
    createInstance: (driverOf) => driverOf('efs@shared').createInstance({ instance: apInstance, pool: 'default', size_gb: 1, share_proto: 'NFS' }),
    deleteInstance: (driverOf) => driverOf('efs@shared').deleteInstance(apInstance),
    getCopyMount: (driverOf) => driverOf('efs@shared').getCopyMount(apInstance),
    switchoverBlockers: (driverOf) => driverOf('efs@shared').switchoverBlockers(apInstance, new Date(T)),
    dataLeftBehind: (driverOf) => driverOf('efs@shared').dataLeftBehind(apInstance),
    extendInstance: (driverOf) => driverOf('efs@shared').extendInstance!(apInstance, 2),
    shrinkInstance: (driverOf) => driverOf('efs@dedicated').shrinkInstance!(fsInstance, 1),
    applyAccessRules: (driverOf) =>
      driverOf('efs@shared').applyAccessRules(
        apInstance,
        [{ id: 'r-1', access_type: 'user', access_to: ROLE_ARN, access_level: 'rw', state: 'active', access_key: null, metadata: {}, created_at: T, updated_at: null }],
        { readOnly: false },
      ),
    migrationCheckCompatibility: (driverOf) => driverOf('efs@dedicated').migrationCheckCompatibility(fsInstance, request.destinationHost),
    migrationStart: (driverOf) => driverOf('efs@dedicated').migrationStart(request),
    migrationContinue: (driverOf) => driverOf('efs@dedicated').migrationContinue(request),
    migrationComplete: (driverOf) => driverOf('efs@dedicated').migrationComplete(request),
    migrationCancel: (driverOf) => driverOf('efs@dedicated').migrationCancel(request),
    migrationGetProgress: (driverOf) => driverOf('efs@dedicated').migrationGetProgress(request),
  };

  function composedWith(parts: EfsDriverParts): (host: string) => ShareDriver {
    const registry = makeRegistry([ACCESS_POINT_BACKEND, FILE_SYSTEM_BACKEND], { parts });
    return (host) => registry.forHost(host);
  }

  function partsWithout(missing: readonly EfsPartName[]): EfsDriverParts {
    return Object.fromEntries(Object.entries(allEfsParts).filter(([name]) => !missing.includes(name as EfsPartName)));
  }

  function partsOnly(wanted: readonly EfsPartName[]): EfsDriverParts {
    return Object.fromEntries(Object.entries(allEfsParts).filter(([name]) => wanted.includes(name as EfsPartName)));
  }

  it.each(EFS_DRIVER_METHODS)('%s, on a driver composed without its part, says which part the composition root and IAM grants lack, and sends nothing', async (method) => {
    // Prepare
    const needed = EFS_METHOD_PARTS[method];

    // Act
    const refusal = await CALLS[method](composedWith(partsWithout(needed))).catch((err: unknown) => err);

    // Assess
    expect(refusal).toBeInstanceOf(EfsPartMissingError);
    expect(refusal).not.toBeInstanceOf(DriverError);
    expect(refusal).toMatchObject({ name: 'EfsPartMissingError', method, part: needed[0] });
    expect((refusal as Error).message).toMatch(new RegExp(`^efs@(shared|dedicated): ${method} needs the EFS driver's "${needed[0]}" part`));
    expect((refusal as Error).message).toContain('composition root');
    expect((refusal as Error).message).toContain('IAM grants');
    expect(efs.calls()).toHaveLength(0);
    expect(cloudWatch.calls()).toHaveLength(0);
  });

  it.each(EFS_DRIVER_METHODS)('%s works on a driver composed with only the parts EFS_METHOD_PARTS names', async (method) => {
    // Act (EFS answers every call with nothing: what the method makes of that does not matter here)
    const outcome = await CALLS[method](composedWith(partsOnly(EFS_METHOD_PARTS[method]))).catch((err: unknown) => err);

    // Assess
    expect(outcome).not.toBeInstanceOf(EfsPartMissingError);
    expect(efs.calls().length + cloudWatch.calls().length).toBeGreaterThan(0);
  });
});
