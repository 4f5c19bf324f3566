import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { DomainServices } from '../../core/services.ts';
import { identityFromAuthorizer } from '../authorizer.ts';
import { HttpError, badRequest, forbidden } from '../http-error.ts';
import { isPublic } from '../paths.ts';
import { refusedToReader } from '../policy.ts';
import { header, type Identity } from '../request.ts';
import { requestState } from '../request-state.ts';

export interface AuthenticateOptions {
  /** The domain services of this process (memoized by the composition root). */
  readonly getServices: () => Promise<DomainServices>;
}

type ApiRequestContext = Request<APIGatewayProxyEvent, APIGatewayProxyResult>;

/**
 * Keystone's part: every request but version discovery carries X-Auth-Token, which the domain's token
 * verifier turns into a project, a user, an admin flag and (for Keystone tokens) roles. A project id in
 * the URL must be the token's (Manila: "Malformed request url"); a reader's writes are refused here,
 * as Manila's default policies refuse them, whatever the route.
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
    const verified = identityFromAuthorizer(request.event.requestContext?.authorizer) ?? (await services.tokens.verify(token));
    const identity = withReader(verified);
    const urlProject = state.path.kind === 'resource' ? state.path.projectId : null;
    if (urlProject !== null && urlProject !== identity.projectId) throw badRequest('Malformed request url');
    const refused = state.path.kind === 'resource' ? refusedToReader(identity, request.event.httpMethod, state.path.resourcePath, request.event.body) : undefined;
    if (refused !== undefined) throw forbidden(`Policy doesn't allow ${refused} to be performed.`);
    state.services = services;
    state.identity = identity;
    state.logger.appendPersistentKeys({ projectId: identity.projectId, userId: identity.userId });
  };

  return { before: authenticateBefore };
}

/** Roles known: only admin and member may write (Manila's defaults). Without roles, the admin flag decides as before. */
function withReader(verified: Omit<Identity, 'isReader'>): Identity {
  if (verified.roles === undefined) return verified;
  return { ...verified, isReader: !verified.isAdmin && !verified.roles.includes('member') };
}
