import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ShareMigrationError } from '../../core/errors.ts';
import { faultBody, toFault } from '../faults.ts';
import { maybeRequestState } from '../request-state.ts';

export interface ManilaFaultsOptions {
  /** Used when the request never got its own logger (a failure before requestLogger ran). */
  readonly logger: Logger;
}

type ApiRequestContext = Request<APIGatewayProxyEvent, APIGatewayProxyResult>;

/**
 * Turns any error into Manila's fault body (middy's http-error-handler, Manila's FaultWrapper):
 * domain errors by `kind`, exposed HTTP errors as they are, anything else a plain 500 whose message
 * says nothing of the cause. The cause is logged, never returned.
 */
export function manilaFaults(options: ManilaFaultsOptions): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const manilaFaultsOnError = async (request: ApiRequestContext): Promise<void> => {
    if (request.response !== undefined && request.response !== null) return;
    const err = request.error;
    const logger = maybeRequestState(request.event)?.logger ?? options.logger;
    const fault = toFault(err);
    if (!fault.exposed) {
      if (err instanceof Error) logger.error('unhandled error, answered with a generic 500', err);
      else logger.error('unhandled error, answered with a generic 500', { error: String(err) });
    } else {
      const ids = err instanceof ShareMigrationError ? { shareId: err.shareId, migrationId: err.migrationId } : {};
      logger.info('fault', { statusCode: fault.status, fault: fault.message, errorName: err instanceof Error ? err.name : undefined, ...ids });
    }
    request.response = {
      statusCode: fault.status,
      headers: { 'Content-Type': 'application/json', ...fault.headers },
      body: JSON.stringify(faultBody(fault.status, fault.message)),
    };
  };

  return { onError: manilaFaultsOnError };
}
