import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { parsePath } from '../paths.ts';
import { maybeRequestState, setRequestState } from '../request-state.ts';

export interface RequestLoggerOptions {
  /** The process's logger; each request logs through a child of it carrying its own keys. */
  readonly logger: Logger;
}

type ApiRequestContext = Request<APIGatewayProxyEvent, APIGatewayProxyResult>;

/**
 * Opens the request: its id (API Gateway's, else Lambda's), a child logger with that id, method and
 * path as keys, and the request state the other middlewares fill in. Closes it with one structured
 * line (status, duration) and the request id headers Manila clients log (x-openstack-request-id).
 */
export function requestLogger(options: RequestLoggerOptions): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const { logger } = options;

  const requestLoggerBefore = async (request: ApiRequestContext): Promise<void> => {
    const { event, context } = request;
    const requestId = event.requestContext?.requestId || context?.awsRequestId || randomUUID();
    const child = logger.createChild({
      persistentKeys: { requestId, method: event.httpMethod, path: event.path },
    });
    setRequestState(event, {
      requestId,
      startedAt: Date.now(),
      path: parsePath(event.path ?? '/'),
      logger: child,
      version: null,
      experimental: false,
    });
  };

  const requestLoggerEnd = async (request: ApiRequestContext): Promise<void> => {
    const state = maybeRequestState(request.event);
    const response = request.response;
    if (!state || !response) return;
    const manilaRequestId = `req-${state.requestId}`;
    response.headers = { ...response.headers, 'x-openstack-request-id': manilaRequestId, 'x-compute-request-id': manilaRequestId };
    state.logger.info('request completed', { statusCode: response.statusCode, durationMs: Date.now() - state.startedAt });
  };

  return { before: requestLoggerBefore, after: requestLoggerEnd, onError: requestLoggerEnd };
}
