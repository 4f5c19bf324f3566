import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Role, type Principal } from '../core/auth/hashed-token-registry.ts';
import { AuthorizerContextKey } from './authorizer-context.ts';
import { UnauthorizedError } from '../core/errors.ts';
import { observe, type Observability } from '../handlers/observability.ts';
import { MetricName } from '../handlers/telemetry.ts';

export { AuthorizerContextKey };

/**
 * What API Gateway answers a refused token with: the one error message it maps to 401 Unauthorized
 * (any other error is a 500, and counts as the authorizer failing).
 */
export const UNAUTHORIZED = 'Unauthorized';

export type TokenAuthorizerHandler = MiddyfiedHandler<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult, Error, Context>;

export interface TokenAuthorizerOptions {
  /** The principal of a token, or UnauthorizedError; anything else thrown is the authorizer's own failure. */
  readonly authenticate: (token: string) => Promise<Principal>;
  readonly logger: Logger;
  readonly observability: Observability;
}

/**
 * The API Gateway TOKEN authorizer on X-Auth-Token. API Gateway caches its answer per token for the
 * authorizer's TTL and applies it to every method, so an allowed token gets a policy for the whole
 * stage (`<api>/<stage>/*`), not only the method that asked first.
 */
export function createTokenAuthorizer(options: TokenAuthorizerOptions): TokenAuthorizerHandler {
  const { logger, observability } = options;
  const authorize = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    let principal: Principal;
    try {
      principal = await options.authenticate(event.authorizationToken);
    } catch (error) {
      if (!(error instanceof UnauthorizedError)) throw error;
      observability.count(MetricName.TOKEN_REJECTED);
      logger.info('token refused', { reason: error.message });
      throw new Error(UNAUTHORIZED);
    }
    observability.count(MetricName.TOKEN_ACCEPTED);
    logger.info('token accepted', { userId: principal.userId, projectId: principal.projectId, role: principal.role });
    return allowPolicy(principal, event.methodArn);
  };

  const logFailure: middy.MiddlewareObj = {
    onError: (request) => {
      if (request.error?.message !== UNAUTHORIZED) logger.error('authorizer failed', { error: request.error });
    },
  };
  return middy<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult, Error, Context>(authorize)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(observe(observability))
    .use(logFailure);
}

/** Allow `execute-api:Invoke` on every method and path of the stage the request came to, with the principal as context. */
export function allowPolicy(principal: Principal, methodArn: string): APIGatewayAuthorizerResult {
  return {
    principalId: principal.userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcard(methodArn) }],
    },
    context: {
      [AuthorizerContextKey.ROLE]: principal.role,
      [AuthorizerContextKey.PROJECT_ID]: principal.projectId,
      [AuthorizerContextKey.USER_ID]: principal.userId,
      ...(principal.roles === undefined ? {} : { [AuthorizerContextKey.ROLES]: principal.roles.join(',') }),
    },
  };
}

/** `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>` → `arn:...:<api>/<stage>/*`. */
export function stageWildcard(methodArn: string): string {
  const [arn, stage] = methodArn.split('/');
  if (!arn?.startsWith('arn:') || !stage) throw new Error(`Not an API Gateway method ARN: ${methodArn}`);
  return `${arn}/${stage}/*`;
}

/** The identity the API uses, from the context API Gateway passes on (undefined when no authorizer ran). */
export function identityFromAuthorizer(context: Readonly<Record<string, unknown>> | null | undefined):
  { readonly projectId: string; readonly userId: string; readonly isAdmin: boolean; readonly roles?: readonly string[] } | undefined {
  const role = context?.[AuthorizerContextKey.ROLE];
  const projectId = context?.[AuthorizerContextKey.PROJECT_ID];
  const userId = context?.[AuthorizerContextKey.USER_ID];
  const roles = context?.[AuthorizerContextKey.ROLES];
  if (typeof projectId !== 'string' || typeof userId !== 'string' || (role !== Role.ADMIN && role !== Role.MEMBER && role !== Role.READER)) return undefined;
  // A reader's principal always names its roles (a Keystone token); without them it would count as a member.
  if (role === Role.READER && typeof roles !== 'string') return undefined;
  return { projectId, userId, isAdmin: role === Role.ADMIN, ...(typeof roles === 'string' ? { roles: roles.split(',').filter(Boolean) } : {}) };
}
