import { mockClient } from 'aws-sdk-client-mock';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { beforeEach, describe, expect, it } from 'vitest';
import { BackendParameterError, SsmBackendParameters } from '../../lambdas/adapters/ssm/backend-parameters.ts';

const PATH = '/ShareMigration/backends';
const gold = { kind: 'efs', backend: 'gold', mode: 'access-point', region: 'eu-west-1', file_system_id: 'fs-0123456789abcdef0' };
const silver = { kind: 'efs', backend: 'silver', mode: 'file-system', region: 'eu-west-1', mount_target_subnets: { 'eu-west-1a': 'subnet-0a1b2c3d4e5f60718' } };
const parameter = (backend: string, value: unknown) => ({ Name: `${PATH}/efs/${backend}`, Type: 'String' as const, Value: typeof value === 'string' ? value : JSON.stringify(value) });

describe('Class: SsmBackendParameters', () => {
  const ssm = mockClient(SSMClient);
  beforeEach(() => ssm.reset());
  const parameters = () => new SsmBackendParameters(new SSMClient({ region: 'eu-west-1' }), PATH);

  describe('Method: read', () => {
    it('reads every page under the path and gives the backends document, by parameter name', async () => {
      // Prepare: two pages, the second backend first
      ssm.on(GetParametersByPathCommand, { Path: PATH, Recursive: true, MaxResults: 10 })
        .resolvesOnce({ Parameters: [parameter('silver', silver)], NextToken: 'page-2' })
        .resolvesOnce({ Parameters: [parameter('gold', gold)] });

      // Act
      const document = await parameters().read();

      // Assess
      expect(document).toEqual({ backends: [gold, silver] });
      expect(ssm.commandCalls(GetParametersByPathCommand).map((call) => call.args[0].input)).toEqual([
        { Path: PATH, Recursive: true, MaxResults: 10 },
        { Path: PATH, Recursive: true, MaxResults: 10, NextToken: 'page-2' },
      ]);
    });

    it('gives no backend when the path holds no parameter (a deployment without backends)', async () => {
      // Prepare
      ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });

      // Act & Assess
      await expect(parameters().read()).resolves.toEqual({ backends: [] });
    });

    it.each([
      ['not JSON', '{"kind": "efs",', /SSM parameter \/ShareMigration\/backends\/efs\/gold is not a backend's JSON \(/],
      ['not an object', '["efs"]', /SSM parameter \/ShareMigration\/backends\/efs\/gold is not a backend's JSON object/],
    ])('refuses a parameter that is %s, naming it', async (_, value, message) => {
      // Prepare
      ssm.on(GetParametersByPathCommand).resolves({ Parameters: [parameter('gold', value)] });

      // Act & Assess
      await expect(parameters().read()).rejects.toThrow(expect.objectContaining({ name: 'BackendParameterError', message: expect.stringMatching(message) }));
    });

    it('passes SSM errors on (an AccessDenied says which grant is missing)', async () => {
      // Prepare
      ssm.on(GetParametersByPathCommand).rejects(Object.assign(new Error('not authorized to perform: ssm:GetParametersByPath'), { name: 'AccessDeniedException' }));

      // Act & Assess
      await expect(parameters().read()).rejects.toThrow(/ssm:GetParametersByPath/);
    });
  });

  it('refuses a path that is not one', () => {
    // Act & Assess
    expect(() => new SsmBackendParameters(new SSMClient({}), 'ShareMigration/backends')).toThrow(BackendParameterError);
  });
});
