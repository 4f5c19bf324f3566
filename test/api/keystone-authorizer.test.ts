import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNAUTHORIZED, createTokenAuthorizer, type TokenAuthorizerHandler } from '../../lambdas/api/authorizer.ts';
import { createApiHandler } from '../../lambdas/api/handler.ts';
import { sha256Hex } from '../../lambdas/core/auth/hashed-token-verifier.ts';
import { AuthorizerEnv, authorizerComposition } from '../../lambdas/composition/authorizer.ts';
import { createObservability } from '../../lambdas/handlers/observability.ts';
import { PEOPLE, dataDirWithPeople, tokenOf } from '../identity/identity-fixture.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { InMemoryServices } from './in-memory-services.ts';

const TOKENS_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:share-migration/tokens-AbCdEf';
const KEYSTONE_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:share-migration/keystone-GhIjKl';
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/v2/p-alpha/shares';
const context = { functionName: 'authorizer', awsRequestId: 'r-1' } as Context;
const silent = () => new Logger({ serviceName: 'keystone-authorizer-test', logLevel: 'SILENT' });

/**
 * Issue 17, item 2b on AWS: the TOKEN authorizer's composition, configured as the stack configures it
 * for an existing Keystone (AuthorizerEnv), validates Keystone tokens there (an embedded Keystone over
 * HTTP stands in for it; Secrets Manager's answers are recorded), and the API applies Manila's policy to
 * the roles it passes on.
 */
describe('Function: authorizerComposition (with an existing Keystone)', () => {
  const secrets = mockClient(SecretsManagerClient);
  let keystone: TestRuntime;
  let authorizer: TokenAuthorizerHandler;

  beforeAll(async () => {
    keystone = await startTestRuntime({ dataDir: await dataDirWithPeople(), resume: false });
    process.env['AWS_REGION'] ??= 'eu-west-1';
    secrets.on(GetSecretValueCommand, { SecretId: TOKENS_ARN }).resolves({ SecretString: JSON.stringify({ tokens: [] }) });
    secrets.on(GetSecretValueCommand, { SecretId: KEYSTONE_ARN }).resolves({
      SecretString: JSON.stringify({ username: PEOPLE.admin.name, password: PEOPLE.admin.password, user_domain_name: 'Default', project_name: 'admin', project_domain_name: 'Default' }),
    });
    const composition = authorizerComposition({
      [AuthorizerEnv.TOKENS_SECRET_ARN]: TOKENS_ARN,
      [AuthorizerEnv.ADMIN_TOKEN_SHA256]: sha256Hex('the-admin-token'),
      [AuthorizerEnv.KEYSTONE_URL]: `${keystone.runtime.url}/identity`,
      [AuthorizerEnv.KEYSTONE_CREDENTIALS_SECRET_ARN]: KEYSTONE_ARN,
      [AuthorizerEnv.KEYSTONE_CACHE_SECONDS]: '0',
    });
    authorizer = createTokenAuthorizer({ authenticate: composition.authenticate, logger: silent(), observability: createObservability({}) });
  }, 60_000);
  afterAll(async () => {
    secrets.restore();
    await keystone?.destroy();
  });

  const tokenEvent = (token: string): APIGatewayTokenAuthorizerEvent => ({ type: 'TOKEN', authorizationToken: token, methodArn: METHOD_ARN });
  const apiEvent = (method: string, authorizerContext: unknown, body: unknown = null): APIGatewayProxyEvent =>
    ({
      httpMethod: method, path: '/v2/p-alpha/shares', resource: '/v2/{proxy+}',
      headers: { 'X-Auth-Token': 'checked-by-the-authorizer', 'X-OpenStack-Manila-API-Version': '2.72', 'Content-Type': 'application/json', Host: 'api.example.com' },
      multiValueHeaders: {}, queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: { proxy: 'p-alpha/shares' },
      stageVariables: null, body: body === null ? null : JSON.stringify(body), isBase64Encoded: false,
      requestContext: { authorizer: authorizerContext, path: '/prod/v2/p-alpha/shares', domainName: 'api.example.com' },
    }) as unknown as APIGatewayProxyEvent;

  it('allows a Keystone reader with its roles in the context, and the API refuses its write with Manila\'s 403', async () => {
    // Prepare
    const token = await tokenOf(keystone.runtime.url, 'rita');
    const api = createApiHandler(async () => new InMemoryServices(), { logger: silent() });

    // Act
    const policy = await authorizer(tokenEvent(token), context);
    const read = await api(apiEvent('GET', policy.context), context);
    const write = await api(apiEvent('POST', policy.context, { share: { share_proto: 'NFS', size: 1 } }), context);

    // Assess
    expect(policy.principalId).toBe(PEOPLE.rita.id);
    expect(policy.context).toEqual({ role: 'reader', project_id: 'p-alpha', user_id: PEOPLE.rita.id, roles: 'reader' });
    expect(read.statusCode).toBe(200);
    expect(write.statusCode).toBe(403);
    expect(JSON.parse(write.body)).toEqual({ forbidden: { code: 403, message: "Policy doesn't allow share:create to be performed." } });
  });

  it('allows a Keystone member and admin with their persona', async () => {
    // Prepare
    const [alice, root] = await Promise.all([tokenOf(keystone.runtime.url, 'alice'), tokenOf(keystone.runtime.url, 'admin')]);

    // Act
    const member = await authorizer(tokenEvent(alice), context);
    const admin = await authorizer(tokenEvent(root), context);

    // Assess
    expect(member.context).toEqual({ role: 'member', project_id: 'p-alpha', user_id: PEOPLE.alice.id, roles: 'member,reader' });
    expect(admin.context).toEqual({ role: 'admin', project_id: 'admin', user_id: PEOPLE.admin.id, roles: 'admin,member,reader' });
  });

  it('still takes the hashed admin token, and refuses a token neither knows with API Gateway\'s Unauthorized', async () => {
    // Act
    const admin = await authorizer(tokenEvent('the-admin-token'), context);
    const unknown = authorizer(tokenEvent('k1.forged.token'), context);

    // Assess
    expect(admin.context).toEqual({ role: 'admin', project_id: 'admin', user_id: 'admin' });
    await expect(unknown).rejects.toThrow(UNAUTHORIZED);
  });
});
