import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { DomainServices } from '../core/services.ts';
import type { ApiVersion } from './api-version.ts';
import type { ParsedPath } from './paths.ts';
import type { Identity } from './request.ts';

/**
 * What the middlewares learn about one request and hand to the router: kept beside the event (keyed
 * by it) rather than written onto it, so the event stays the API Gateway event it was.
 */
export interface RequestState {
  readonly requestId: string;
  readonly startedAt: number;
  readonly path: ParsedPath;
  /** A child logger that carries this request's keys (never shared between concurrent requests). */
  readonly logger: Logger;
  /** Null on the unversioned root (GET /), as in Manila. */
  version: ApiVersion | null;
  experimental: boolean;
  services?: DomainServices;
  identity?: Identity;
  body?: unknown;
}

const states = new WeakMap<APIGatewayProxyEvent, RequestState>();

export function setRequestState(event: APIGatewayProxyEvent, state: RequestState): void {
  states.set(event, state);
}

export function requestState(event: APIGatewayProxyEvent): RequestState {
  const state = states.get(event);
  if (!state) throw new Error('Request state missing: the requestLogger middleware must run first');
  return state;
}

export function maybeRequestState(event: APIGatewayProxyEvent): RequestState | undefined {
  return states.get(event);
}
