import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { API_VERSION_HEADER, EXPERIMENTAL_HEADER, formatVersion, negotiateVersion, type ApiVersion } from '../api-version.ts';
import { HttpError } from '../http-error.ts';
import { header } from '../request.ts';
import { maybeRequestState, requestState } from '../request-state.ts';
import { booleanOr } from '../validation.ts';

type ApiRequestContext = Request<APIGatewayProxyEvent, APIGatewayProxyResult>;

/**
 * Manila's microversion negotiation (wsgi.Request.set_api_version_request): reads
 * X-OpenStack-Manila-API-Version (absent → 2.0, "latest" → the maximum, out of range → 406) and
 * X-OpenStack-Manila-API-Experimental; every versioned response, faults included, echoes the version
 * and says `Vary: X-OpenStack-Manila-API-Version`. The root (GET /) is unversioned, as in Manila, and so
 * is the OpenAPI description.
 */
export function microversion(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const microversionBefore = async (request: ApiRequestContext): Promise<void> => {
    const state = requestState(request.event);
    state.experimental = booleanOr(header(request.event, EXPERIMENTAL_HEADER), false);
    if (state.path.kind === 'versions' || state.path.kind === 'openapi') return;
    state.version = negotiateVersion(header(request.event, API_VERSION_HEADER));
  };

  const microversionEnd = async (request: ApiRequestContext): Promise<void> => {
    const state = maybeRequestState(request.event);
    const response = request.response;
    if (!state || !response) return;
    // A refused version is echoed on its 406, as Manila's Fault does.
    const refused = request.error instanceof HttpError ? request.error.requestedVersion : undefined;
    const version: ApiVersion | null = state.version ?? refused ?? null;
    if (version === null) return;
    const headers: Record<string, string> = { [API_VERSION_HEADER]: formatVersion(version), Vary: API_VERSION_HEADER };
    if (state.experimental) headers[EXPERIMENTAL_HEADER] = 'True';
    response.headers = { ...response.headers, ...headers };
  };

  return { before: microversionBefore, after: microversionEnd, onError: microversionEnd };
}
