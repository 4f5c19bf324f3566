import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_PARAMETER_MAX_BYTES } from '../../cdk/lib/backend-parameters.ts';
import { repoPath } from '../../cdk/lib/paths.ts';
import type { ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import { FunctionEnv } from '../../lambdas/composition/function-env.ts';
import { FUNCTION_PERMISSIONS } from '../../lambdas/composition/function-permissions.ts';
import { ALL_STEPS, Step } from '../../lambdas/core/workflow.ts';
import { logicalId, synthesizeStack } from './support.ts';

const sample = JSON.parse(readFileSync(repoPath('cdk.context.sample.json'), 'utf8')) as { backends: { backends: Record<string, unknown>[] } };
const [gold, silver] = sample.backends.backends as [Record<string, unknown>, Record<string, unknown>];
const pathArn = {
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':parameter/ShareMigration/backends']],
};

let stack: ShareMigrationStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesizeStack({ backends: sample.backends }));
});

describe('Construct: BackendParameters', () => {
  it('keeps each backend as one Standard String parameter under /<stack>/backends/<host>/<backend>, its entry\'s JSON as the value', () => {
    // Assess
    expect(Object.values(template.findResources('AWS::SSM::Parameter')).map((resource) => resource.Properties)).toEqual([
      { Name: '/ShareMigration/backends/efs/gold', Type: 'String', Tier: 'Standard', Value: JSON.stringify(gold), Description: 'share-migration: storage backend efs@gold' },
      { Name: '/ShareMigration/backends/efs/silver', Type: 'String', Tier: 'Standard', Value: JSON.stringify(silver), Description: 'share-migration: storage backend efs@silver' },
    ]);
  });

  it('writes a host\'s ":" (which SSM refuses in a name) as "_"', () => {
    // Act
    const { template: withHost } = synthesizeStack({ backends: { backends: [{ ...gold, host: 'efs:eu' }] } });

    // Assess
    expect(Object.values(withHost.findResources('AWS::SSM::Parameter')).map((resource) => resource.Properties.Name)).toEqual(['/ShareMigration/backends/efs_eu/gold']);
  });

  it('fails synth, naming the backend and saying what to do, when a backend does not fit one parameter', () => {
    // Prepare: a file-system backend with more pools than 4 KB of JSON holds
    const pools = Array.from({ length: 200 }, (_, index) => ({ name: `pool-with-a-long-name-${index}` }));
    const big = { ...silver, backend: 'big', pools };
    expect(JSON.stringify(big).length).toBeGreaterThan(BACKEND_PARAMETER_MAX_BYTES);

    // Act & Assess
    expect(() => synthesizeStack({ backends: { backends: [gold, big] } })).toThrow(
      /context backends: backend "efs@big" is \d+ bytes of JSON, more than the 4096 an SSM parameter holds: split its pools over two backends/,
    );
  });

  it('puts no backend in any function\'s environment: the functions with a driver get the parameters\' path, and may read it', () => {
    // Prepare
    const functions: (IConstruct & { role?: IConstruct })[] = [stack.api.handler, stack.api.authorizerFunction, ...ALL_STEPS.map((step) => stack.lambdas.forStep(step))];
    const withDriver: IConstruct[] = [stack.api.handler, ...ALL_STEPS.filter((step) => FUNCTION_PERMISSIONS[step].backends !== undefined).map((step) => stack.lambdas.forStep(step))];

    // Assess
    for (const fn of functions) {
      const variables = template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables as Record<string, unknown>;
      expect(variables['SMIG_BACKENDS'], fn.node.path).toBeUndefined();
      expect(variables[FunctionEnv.BACKENDS_PARAMETER_PATH], fn.node.path).toBe(withDriver.includes(fn) ? '/ShareMigration/backends' : undefined);
      const readsPath = statementsOf(fn.role!).some((statement) => JSON.stringify(statement) === JSON.stringify({ Action: 'ssm:GetParametersByPath', Effect: 'Allow', Resource: pathArn }));
      expect(readsPath, fn.node.path).toBe(withDriver.includes(fn));
    }
    expect(withDriver.map((fn) => fn.node.path)).not.toContain(stack.lambdas.forStep(Step.PHASE1_DONE).node.path);
  });

  it('gives no role any other SSM permission', () => {
    // Assess
    const ssmActions = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
      .flatMap((statement) => [statement.Action].flat())
      .filter((action) => action.startsWith('ssm:'));
    expect(new Set(ssmActions)).toEqual(new Set(['ssm:GetParametersByPath']));
  });
});

function statementsOf(role: IConstruct): unknown[] {
  const ref = JSON.stringify([{ Ref: logicalId(role) }]);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === ref)
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as unknown[]);
}
