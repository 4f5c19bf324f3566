import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { DomainServices } from '../../core/services.ts';
import { identityFromAuthorizer } from '../authorizer.ts';
import { HttpError, badRequest } from '../http-error.ts';
import { isPublic } from '../paths.ts';
import { header } from '../request.ts';
import { requestState } from '../request-state.ts';

export interface AuthenticateOptions {
  /** The domain services of this process (memoized by the composition root). */
  readonly getServices: () => Promise<DomainServices>;
}

type ApiRequestContext = Request<APIGatewayProxyEvent, APIGatewayProxyResult>;

/**
 * Keystone's part: every request but version discovery carries X-Auth-Token, which the domain's token
 * verifier turns into a project, a user and an admin flag. A project id in the URL must be the
 * token's (Manila: "Malformed request url").
 */
export function authenticate(options: AuthenticateOptions): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const authenticateBefore = async (request: ApiRequestContext): Promise<void> => {
    const state = requestState(request.event);
    if (isPublic(state.path)) return;
    const token = header(request.event, 'X-Auth-Token');
    if (token === undefined || token.trim() === '') throw new HttpError(401);
    const services = await options.getServices();
    // API Gateway alone fills requestContext.authorizer, after its TOKEN authorizer (lambdas/api/authorizer.ts)
    // allowed the token: a client cannot forge it. Without one (local runtime, no authorizer) verify here.
    const identity = identityFromAuthorizer(request.event.requestContext?.authorizer) ?? (await services.tokens.verify(token));
    const urlProject = state.path.kind === 'resource' ? state.path.projectId : null;
    if (urlProject !== null && urlProject !== identity.projectId) throw badRequest('Malformed request url');
    state.services = services;
    state.identity = identity;
    state.logger.appendPersistentKeys({ projectId: identity.projectId, userId: identity.userId });
  };

  return { before: authenticateBefore };
}
