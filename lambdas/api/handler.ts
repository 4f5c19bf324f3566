import { Logger } from '@aws-lambda-powertools/logger';
import middy, { type MiddyfiedHandler } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { DomainServices } from '../core/services.ts';
import { createObservability, observe } from '../handlers/observability.ts';
import { HttpError } from './http-error.ts';
import { authenticate } from './middlewares/authenticate.ts';
import { jsonBody } from './middlewares/json-body.ts';
import { manilaFaults } from './middlewares/manila-faults.ts';
import { microversion } from './middlewares/microversion.ts';
import { requestLogger } from './middlewares/request-logger.ts';
import { Links, Query, header, type ApiResponse } from './request.ts';
import { requestState, type RequestState } from './request-state.ts';
import { createRouter } from './router.ts';
import { openApiDocument } from './openapi/document.ts';
import { API_ROUTES } from './routes/index.ts';
import { versionsView } from './views/versions.ts';

export type ApiHandler = MiddyfiedHandler<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>;

export interface ApiHandlerOptions {
  /**
   * Where the structured logs go.
   * @default - a Powertools Logger for service "share-migration-api" (POWERTOOLS_LOG_LEVEL applies)
   */
  readonly logger?: Logger;
}

/**
 * The Manila v2 API as an API Gateway (REST, Lambda proxy) handler. Middlewares, outermost first:
 * tracing and metrics, request logging, authentication, microversion negotiation, Manila faults, JSON
 * body; then the router.
 */
export function createApiHandler(getServices: () => Promise<DomainServices>, options: ApiHandlerOptions = {}): ApiHandler {
  const logger = options.logger ?? new Logger({ serviceName: 'share-migration-api' });
  const route = createRouter(API_ROUTES);

  const manilaApi = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const state = requestState(event);
    const baseUrl = baseUrlOf(event);
    if (state.path.kind !== 'resource') {
      if (event.httpMethod !== 'GET') throw new HttpError(405, `The method ${event.httpMethod} is not allowed for this resource.`, { headers: { Allow: 'GET' } });
      if (state.path.kind === 'openapi') return toProxyResult({ statusCode: 200, body: openApiDocument() });
      // Manila answers the unversioned root with 300 Multiple Choices, /v2/ with 200.
      return toProxyResult({ statusCode: state.path.kind === 'versions' ? 300 : 200, body: versionsView(baseUrl) });
    }
    const { version, identity, services } = authenticated(state);
    const match = route(event.httpMethod, state.path.resourcePath, version);
    const shareId = match.route.path.startsWith('/shares/{id}') ? match.params['id'] : undefined;
    if (shareId !== undefined) state.logger.appendPersistentKeys({ shareId });
    const response = await match.route.handler({
      method: event.httpMethod,
      params: match.params,
      query: new Query(event),
      body: state.body,
      version,
      experimental: state.experimental,
      identity,
      services,
      links: new Links(baseUrl, identity.projectId),
      logger: state.logger,
    });
    return toProxyResult(response);
  };

  // `before` runs in this order and after/onError in reverse, so a fault built by manilaFaults still
  // gets the version headers and the request's log line. Authentication comes first, as keystone's
  // middleware does in Manila's pipeline: a request without a token is a 401 whatever its version.
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>(manilaApi)
    .use(observe(createObservability()))
    .use(requestLogger({ logger }))
    .use(authenticate({ getServices }))
    .use(microversion())
    .use(manilaFaults({ logger }))
    .use(jsonBody());
}

function authenticated(state: RequestState): Required<Pick<RequestState, 'identity' | 'services'>> & { version: NonNullable<RequestState['version']> } {
  const { version, identity, services } = state;
  if (!version || !identity || !services) throw new Error('Request reached the router without version or identity');
  return { version, identity, services };
}

function toProxyResult(response: ApiResponse): APIGatewayProxyResult {
  if (response.body === undefined) return { statusCode: response.statusCode, headers: { ...response.headers }, body: '' };
  return {
    statusCode: response.statusCode,
    headers: { 'Content-Type': 'application/json', ...response.headers },
    body: JSON.stringify(response.body),
  };
}

/** The URL clients reached, for links: scheme and host as forwarded, plus the stage API Gateway strips from `path`. */
function baseUrlOf(event: APIGatewayProxyEvent): string {
  const proto = header(event, 'X-Forwarded-Proto')?.split(',')[0]?.trim() || 'http';
  const host = header(event, 'X-Forwarded-Host') ?? header(event, 'Host') ?? event.requestContext?.domainName ?? 'localhost';
  const fullPath = event.requestContext?.path;
  const stagePrefix = fullPath && event.path && fullPath.endsWith(event.path) ? fullPath.slice(0, fullPath.length - event.path.length) : '';
  return `${proto}://${host}${stagePrefix}`;
}
