import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { repoPath } from '../../cdk/lib/paths.ts';
import { ContextKey, type ShareMigrationStack } from '../../cdk/lib/share-migration-stack.ts';
import { CompositionEnv } from '../../cdk/lib/migration-function.ts';
import { cdkJsonContext, logicalId, synthesizeStack } from './support.ts';

/** What makes a deploy fail or misbehave when the operator gives no context: the defaults must deploy. */

const EFS_BACKEND = { kind: 'efs', backend: 'gold', mode: 'access-point', region: 'eu-west-1', file_system_id: 'fs-0123456789abcdef0', pools: [{ name: 'default' }] };
const LOCAL_BACKEND = { backend: 'alpha', root: '/mnt/alpha', pools: [{ name: 'default' }] };

/** A function's environment as deployed, every CloudFormation value replaced by a placeholder string. */
function deployedEnvironment(template: Template, fn: IConstruct): Record<string, string> {
  const variables = template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables as Record<string, unknown>;
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : `resolved-${name}`]));
}

describe('Stack: ShareMigrationStack backends context', () => {
  it.each([
    ['an entry without a kind (a local-folder backend)', [LOCAL_BACKEND], /context backends: backends\[0\] \("alpha"\) has no "kind": it is a local-folder backend/],
    ['an entry of kind "local"', [{ ...LOCAL_BACKEND, kind: 'local' }], /context backends: backends\[0\] \("alpha"\) has "kind": "local"/],
    ['a local-folder entry after an EFS one', [EFS_BACKEND, LOCAL_BACKEND], /context backends: backends\[1\] \("alpha"\)/],
  ])('fails synth on %s, naming it and saying that only EFS backends deploy', (_, backends, which) => {
    // Act & Assess
    for (const given of [{ backends }, JSON.stringify({ backends })]) {
      const synth = () => synthesizeStack({ [ContextKey.BACKENDS]: given });
      expect(synth).toThrow(which);
      expect(synth).toThrow(/Only "kind": "efs" backends can be deployed on AWS.*Local-folder backends are for the embedded runtime \(npm start\)/);
      expect(synth).toThrow(expect.objectContaining({ name: 'UndeployableBackendError' }));
    }
  });

  // A backend parameter naming a local-folder backend is refused at a function's start too: test/cdk/function-compositions.test.ts.

  it('still synthesizes with no backends: the embedded runtime synthesizes the stack so', () => {
    // Act
    const { stack, template } = synthesizeStack();

    // Assess: no backend parameter; the API still reads the (empty) path, so backends added later need no redeploy of it.
    template.resourceCountIs('AWS::SSM::Parameter', 0);
    expect(deployedEnvironment(template, stack.api.handler)[CompositionEnv.BACKENDS_PARAMETER_PATH]).toBe('/ShareMigration/backends');
  });
});

describe('Stack: ShareMigrationStack API Gateway CloudWatch Logs role', () => {
  let defaults: { readonly stack: ShareMigrationStack; readonly template: Template };
  beforeAll(() => {
    defaults = synthesizeStack();
  });

  /** The role and the account setting RestApi makes for `cloudWatchRole: true`, if any. */
  const accountRole = (stack: ShareMigrationStack) => ({
    role: stack.api.restApi.node.tryFindChild('CloudWatchRole'),
    account: stack.api.restApi.node.tryFindChild('Account'),
  });

  it('is set by default, from a role the stack creates, both retained when the stack is deleted', () => {
    // Prepare
    const { stack, template } = defaults;
    const { role, account } = accountRole(stack);
    const resources = template.toJSON().Resources;
    const accountId = Stack.of(stack).getLogicalId(account as CfnElement);

    // Assess: cdk.json turns @aws-cdk/aws-apigateway:disableCloudWatchRole on, which only changes the
    // default of an unset cloudWatchRole; ManilaApi always sets it.
    expect(cdkJsonContext()['@aws-cdk/aws-apigateway:disableCloudWatchRole']).toBe(true);
    expect(resources[logicalId(role!)]).toEqual({
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' } }],
          Version: '2012-10-17',
        },
        ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs']] }],
      },
      UpdateReplacePolicy: 'Retain',
      DeletionPolicy: 'Retain',
    });
    expect(resources[accountId]).toEqual({
      Type: 'AWS::ApiGateway::Account',
      Properties: { CloudWatchRoleArn: { 'Fn::GetAtt': [logicalId(role!), 'Arn'] } },
      DependsOn: [logicalId(stack.api.restApi)],
      UpdateReplacePolicy: 'Retain',
      DeletionPolicy: 'Retain',
    });
    // The logging stage is created after the account names the role (else its deploy fails).
    expect(resources[logicalId(stack.api.restApi.deploymentStage)].DependsOn).toContain(accountId);
  });

  it.each([
    ['true', true],
    ['"true" (-c apiGatewayCloudWatchRole=true)', 'true'],
  ])('is set with %s as by default', (_, value) => {
    // Act
    const { stack } = synthesizeStack({ [ContextKey.API_GATEWAY_CLOUDWATCH_ROLE]: value });

    // Assess
    expect(accountRole(stack).account).toBeDefined();
  });

  it.each([
    ['false', false],
    ['"false" (-c apiGatewayCloudWatchRole=false)', 'false'],
  ])('is left to the account with %s: no role, no account setting', (_, value) => {
    // Act
    const { stack, template } = synthesizeStack({ [ContextKey.API_GATEWAY_CLOUDWATCH_ROLE]: value });

    // Assess
    expect(accountRole(stack)).toEqual({ role: undefined, account: undefined });
    expect(Object.keys(template.findResources('AWS::ApiGateway::Account'))).toEqual([]);
  });

  it('fails synth on a value that is neither true nor false, saying what to give', () => {
    // Act & Assess
    expect(() => synthesizeStack({ [ContextKey.API_GATEWAY_CLOUDWATCH_ROLE]: 'yes' })).toThrow(
      'Context apiGatewayCloudWatchRole must be true or false (got "yes"): -c apiGatewayCloudWatchRole=false',
    );
  });

  it('is set by the sample context too: an operator who copies it gets a deploy that works in a fresh account', () => {
    // Prepare
    const sample = JSON.parse(readFileSync(repoPath('cdk.context.sample.json'), 'utf8')) as Record<string, unknown>;

    // Assess
    expect(sample[ContextKey.API_GATEWAY_CLOUDWATCH_ROLE] ?? true).toBe(true);
  });
});
