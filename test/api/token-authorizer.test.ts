import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretTokenSource } from '../../lambdas/adapters/secretsmanager/secret-token-source.ts';
import { AuthorizerContextKey, UNAUTHORIZED, allowPolicy, createTokenAuthorizer, identityFromAuthorizer, stageWildcard } from '../../lambdas/api/authorizer.ts';
import { createApiHandler } from '../../lambdas/api/handler.ts';
import { HashedTokenStore, Role, TokenDocumentError } from '../../lambdas/core/auth/hashed-token-registry.ts';
import { sha256Hex } from '../../lambdas/core/auth/hashed-token-verifier.ts';
import { createObservability } from '../../lambdas/handlers/observability.ts';
import { InMemoryServices } from './in-memory-services.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:share-migration/tokens-AbCdEf';
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/v2/shares/s-1/action';
const secretString = JSON.stringify({
  tokens: [
    { sha256: sha256Hex('ops-token'), role: 'admin', project_id: 'ops', name: 'ops-team' },
    { sha256: sha256Hex('tenant-token'), role: 'member', project_id: 'tenant-a', name: 'alice' },
  ],
});
const context = { functionName: 'authorizer', awsRequestId: 'r-1' } as Context;
const tokenEvent = (token: string): APIGatewayTokenAuthorizerEvent => ({ type: 'TOKEN', authorizationToken: token, methodArn: METHOD_ARN });
const silent = () => new Logger({ serviceName: 'authorizer-test', logLevel: 'SILENT' });

describe('Class: SecretTokenSource', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());

  it('reads the secret by its ARN and parses its JSON', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: secretString });

    // Act
    const document = await new SecretTokenSource(new SecretsManagerClient({ region: 'eu-west-1' }), SECRET_ARN).read();

    // Assess
    expect(document).toEqual(JSON.parse(secretString));
    expect(secrets.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET_ARN });
  });

  it.each([
    ['a binary secret', { SecretBinary: new Uint8Array([1]) }, /has no SecretString/],
    ['text that is not JSON', { SecretString: 'tokens: []' }, /is not JSON/],
  ])('fails with TokenDocumentError on %s', async (_, output, message) => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves(output);

    // Act & Assess
    const read = new SecretTokenSource(new SecretsManagerClient({ region: 'eu-west-1' }), SECRET_ARN).read();
    await expect(read).rejects.toThrow(TokenDocumentError);
    await expect(new SecretTokenSource(new SecretsManagerClient({ region: 'eu-west-1' }), SECRET_ARN).read()).rejects.toThrow(message);
  });

  it('lets a Secrets Manager error through, so the authorizer reports its own failure', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'no such secret', $metadata: {} }));

    // Act & Assess
    await expect(new SecretTokenSource(new SecretsManagerClient({ region: 'eu-west-1' }), SECRET_ARN).read()).rejects.toThrow(ResourceNotFoundException);
  });
});

describe('Function: createTokenAuthorizer', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());

  const authorizer = () => {
    const store = new HashedTokenStore(new SecretTokenSource(new SecretsManagerClient({ region: 'eu-west-1' }), SECRET_ARN), {
      adminTokenSha256: sha256Hex('the-admin'),
    });
    return createTokenAuthorizer({ authenticate: (token) => store.authenticate(token), logger: silent(), observability: createObservability({}) });
  };

  it.each([
    ['an admin from the secret', 'ops-token', { role: 'admin', project_id: 'ops', user_id: 'ops-team' }],
    ['a member from the secret', 'tenant-token', { role: 'member', project_id: 'tenant-a', user_id: 'alice' }],
    ['the admin token of AdminTokenSha256', 'the-admin', { role: 'admin', project_id: 'admin', user_id: 'admin' }],
  ])('allows %s on the whole stage, with role and project in the context', async (_, token, expected) => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: secretString });

    // Act
    const result = await authorizer()(tokenEvent(token), context);

    // Assess: API Gateway caches the answer per token for every method, so the policy covers the stage.
    expect(result).toEqual({
      principalId: expected.user_id,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*' }],
      },
      context: expected,
    });
  });

  it('answers an unknown token with "Unauthorized", which API Gateway turns into 401', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: secretString });

    // Act & Assess
    await expect(authorizer()(tokenEvent('guess'), context)).rejects.toThrow(new Error(UNAUTHORIZED));
  });

  it('fails with the cause when the secret cannot be read, which API Gateway answers with 500 (the AuthorizerErrors alarm)', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'no such secret', $metadata: {} }));

    // Act & Assess
    await expect(authorizer()(tokenEvent('ops-token'), context)).rejects.toThrow(ResourceNotFoundException);
  });
});

describe('Function: stageWildcard', () => {
  it.each([
    [METHOD_ARN, 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*'],
    ['arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/', 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*'],
  ])('turns %s into its stage', (methodArn, expected) => {
    // Act & Assess
    expect(stageWildcard(methodArn)).toBe(expected);
  });

  it('refuses what is not a method ARN', () => {
    // Act & Assess
    expect(() => stageWildcard('abc123/prod')).toThrow(/Not an API Gateway method ARN/);
  });
});

describe('Function: identityFromAuthorizer', () => {
  it('reads the context allowPolicy returned, as API Gateway passes it on', () => {
    // Prepare
    const { context: authorizerContext } = allowPolicy({ userId: 'alice', role: Role.MEMBER, projectId: 'tenant-a' }, METHOD_ARN);

    // Act & Assess
    expect(identityFromAuthorizer({ principalId: 'alice', ...authorizerContext })).toEqual({ projectId: 'tenant-a', userId: 'alice', isAdmin: false });
  });

  it.each([[null], [undefined], [{}], [{ [AuthorizerContextKey.ROLE]: 'root', [AuthorizerContextKey.PROJECT_ID]: 'p', [AuthorizerContextKey.USER_ID]: 'u' }]])(
    'finds no identity in %j',
    (authorizerContext) => {
      // Act & Assess
      expect(identityFromAuthorizer(authorizerContext)).toBeUndefined();
    },
  );
});

describe('API: behind the TOKEN authorizer', () => {
  /** A proxy event as API Gateway sends it after the authorizer allowed the token. */
  const proxyEvent = (authorizer: Record<string, unknown> | null): APIGatewayProxyEvent =>
    ({
      httpMethod: 'GET',
      path: '/v2/shares',
      resource: '/v2/{proxy+}',
      headers: { 'X-Auth-Token': 'a-token-the-services-do-not-know', 'X-OpenStack-Manila-API-Version': '2.72', Host: 'api.example.com' },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: { proxy: 'shares' },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { authorizer, path: '/prod/v2/shares', domainName: 'api.example.com' },
    }) as unknown as APIGatewayProxyEvent;

  it('takes the caller from the authorizer context, so a member token of the secret works', async () => {
    // Prepare
    const handler = createApiHandler(async () => new InMemoryServices(), { logger: silent() });

    // Act
    const response = await handler(proxyEvent({ principalId: 'alice', role: 'member', project_id: 'tenant-a', user_id: 'alice' }), context);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ shares: [] });
  });

  it('verifies the token itself where no authorizer ran', async () => {
    // Prepare
    const handler = createApiHandler(async () => new InMemoryServices(), { logger: silent() });

    // Act
    const response = await handler(proxyEvent(null), context);

    // Assess
    expect(response.statusCode).toBe(401);
  });
});
