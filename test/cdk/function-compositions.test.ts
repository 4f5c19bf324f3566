import { readFileSync } from 'node:fs';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { Template } from 'aws-cdk-lib/assertions';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXECUTION_ENDED_ENTRY, stepEntry } from '../../cdk/lib/migration-lambdas.ts';
import { repoPath } from '../../cdk/lib/paths.ts';
import type { ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import type { Composition } from '../../lambdas/composition/domain.ts';
import { FunctionEnv } from '../../lambdas/composition/function-env.ts';
import { API_FUNCTION, EXECUTION_ENDED_FUNCTION, FUNCTION_PERMISSIONS, type FunctionName } from '../../lambdas/composition/function-permissions.ts';
import { sha256Hex } from '../../lambdas/core/auth/hashed-token-verifier.ts';
import { ALL_STEPS, Step } from '../../lambdas/core/workflow.ts';
import { logicalId, synthesizeStack } from './support.ts';

const ADMIN_TOKEN = 'admin-token-for-tests';
const sample = JSON.parse(readFileSync(repoPath('cdk.context.sample.json'), 'utf8')) as { backends: { backends: { backend: string }[] } };
const COMPOSED = [...ALL_STEPS, API_FUNCTION, EXECUTION_ENDED_FUNCTION] as const;

let stack: ShareMigrationStack;
let template: Template;
const ssm = mockClient(SSMClient);

beforeAll(() => {
  ({ stack, template } = synthesizeStack({ ...sample, adminTokenSha256: sha256Hex(ADMIN_TOKEN) }));
});

beforeEach(() => {
  ssm.reset();
  // The parameters the stack writes (test/cdk/backend-parameters.test.ts), one per backend.
  ssm.on(GetParametersByPathCommand, { Path: '/ShareMigration/backends' }).resolves({
    Parameters: sample.backends.backends.map((entry) => ({ Name: `/ShareMigration/backends/efs/${entry.backend}`, Type: 'String', Value: JSON.stringify(entry) })),
  });
});

function functionOf(name: (typeof COMPOSED)[number]): LambdaFunction {
  if (name === EXECUTION_ENDED_FUNCTION) return stack.lambdas.executionEnded;
  return name === API_FUNCTION ? stack.api.handler : stack.lambdas.forStep(name);
}

/** A function's environment as deployed, every CloudFormation value replaced by a placeholder string. */
function deployedEnvironment(fn: LambdaFunction): Record<string, string> {
  const variables = template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables as Record<string, unknown>;
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : `resolved-${name}`]));
}

/** The function's composition root, fresh, as a new Lambda process builds it once. */
async function compositionOf(name: FunctionName, env: NodeJS.ProcessEnv): Promise<Composition> {
  vi.resetModules();
  const entry = name === API_FUNCTION ? 'lambdas/handlers/api.ts' : name === EXECUTION_ENDED_FUNCTION ? EXECUTION_ENDED_ENTRY : stepEntry(name as Step);
  const module = (await import(repoPath(entry))) as { composition: (env?: NodeJS.ProcessEnv) => Promise<Composition> };
  return module.composition(env);
}

describe('Function: composition root of each Lambda function', () => {
  it.each(COMPOSED)('builds %s from the environment the stack gives it, reading the backends from SSM only if it has a driver', async (name) => {
    // Prepare
    const env = deployedEnvironment(functionOf(name));
    const readsBackends = (FUNCTION_PERMISSIONS[name].backends ?? []).length > 0;

    // Act
    const composition = await compositionOf(name, env);

    // Assess
    expect(ssm.commandCalls(GetParametersByPathCommand).map((call) => call.args[0].input.Path)).toEqual(readsBackends ? ['/ShareMigration/backends'] : []);
    expect(env[FunctionEnv.BACKENDS_PARAMETER_PATH]).toBe(readsBackends ? '/ShareMigration/backends' : undefined);
    if (readsBackends) {
      expect(composition.migrationDeps.drivers.forHost('efs@gold#default').backendHost).toBe('efs@gold');
      expect(composition.migrationDeps.drivers.forHost('efs@silver#regional').backendHost).toBe('efs@silver');
    }
  });

  it('reads the backends once per process, however many invocations', async () => {
    // Prepare
    vi.resetModules();
    const { composition } = (await import(repoPath(stepEntry(Step.VALIDATE)))) as { composition: (env?: NodeJS.ProcessEnv) => Promise<Composition> };
    const env = deployedEnvironment(functionOf(Step.VALIDATE));

    // Act
    const [first, second] = [await composition(env), await composition(env)];

    // Assess
    expect(second).toBe(first);
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
  });

  it('checks the API token against the admin hash of its environment', async () => {
    // Act
    const composition = await compositionOf(API_FUNCTION, deployedEnvironment(stack.api.handler));

    // Assess
    await expect(composition.services.tokens.verify(ADMIN_TOKEN)).resolves.toMatchObject({ isAdmin: true });
  });

  it.each([
    [Step.PHASE1_DONE, (c: Composition) => c.migrationDeps.drivers.forHost('efs@gold#default'), 'drivers.forHost'],
    [Step.AWAIT_COMPLETION, (c: Composition) => c.migrationDeps.workflow.startExecution('m-1', {}), 'workflow.startExecution'],
    [Step.VALIDATE, (c: Composition) => c.migrationDeps.migrations.listByShare('s-1'), 'migrations.listByShare'],
    [Step.PREPARE_DESTINATION, (c: Composition) => c.migrationDeps.copyTaskDefinitions.release('arn:aws:ecs:eu-west-1:1:task-definition/x:1'), 'copyTaskDefinitions.release'],
    [Step.CUTOVER, (c: Composition) => c.migrationDeps.copyTaskDefinitions.forMigration('m-1', []), 'copyTaskDefinitions.forMigration'],
    [Step.RELEASE_SHARE, (c: Composition) => c.migrationDeps.copyTasks.stopCopyTask('t', 'r'), 'copyTasks.stopCopyTask'],
    [API_FUNCTION, (c: Composition) => c.migrationDeps.copyTaskDefinitions.forMigration('m-1', []), 'copyTaskDefinitions.forMigration'],
  ] as const)('fails loudly when %s calls a port it is not composed with (%s)', async (name, call, what) => {
    // Prepare
    const composition = await compositionOf(name, deployedEnvironment(functionOf(name)));

    // Act & Assess
    await expect((async () => call(composition))()).rejects.toThrow(expect.objectContaining({
      name: 'PortNotComposedError',
      message: expect.stringContaining(`The ${name} function called ${what}, but it is composed without it`),
    }));
  });

  it('fails loudly when a function calls a driver method whose EFS part it is not composed with', async () => {
    // Prepare: validate lists pools, and has no instances part
    const composition = await compositionOf(Step.VALIDATE, deployedEnvironment(functionOf(Step.VALIDATE)));
    const driver = composition.migrationDeps.drivers.forHost('efs@gold#default');

    // Act & Assess
    await expect(driver.deleteInstance({ id: 'i-1', share_id: 's-1', host: 'efs@gold#default' } as never)).rejects.toThrow(expect.objectContaining({ name: 'EfsPartMissingError' }));
  });

  it('fails at start, naming the function and the variable, when its environment lacks one its composition reads', async () => {
    // Prepare
    const { [FunctionEnv.BACKENDS_PARAMETER_PATH]: _path, ...env } = deployedEnvironment(functionOf(Step.CUTOVER));

    // Act & Assess
    await expect(compositionOf(Step.CUTOVER, env)).rejects.toThrow(expect.objectContaining({
      name: 'FunctionEnvironmentError',
      message: expect.stringMatching(/^Environment variable SMIG_BACKENDS_PARAMETER_PATH is not set in the cutover function/),
    }));
  });

  it('refuses, at a function\'s start, a backend parameter naming a local-folder backend instead of building a driver for folders it cannot reach', async () => {
    // Prepare
    ssm.on(GetParametersByPathCommand).resolves({
      Parameters: [{ Name: '/ShareMigration/backends/local/alpha', Type: 'String', Value: JSON.stringify({ backend: 'alpha', root: '/srv/alpha', pools: [{ name: 'default' }] }) }],
    });

    // Act & Assess
    await expect(compositionOf(API_FUNCTION, deployedEnvironment(stack.api.handler))).rejects.toThrow(expect.objectContaining({
      name: 'UndeployableBackendError',
      message: expect.stringMatching(/^SSM parameters under \/ShareMigration\/backends: backends\[0\] \("alpha"\) has no "kind"/),
    }));
  });
});
