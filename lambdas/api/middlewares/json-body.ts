import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { checkNesting, checkShape } from '../body-shape.ts';
import { HttpError } from '../http-error.ts';
import { header } from '../request.ts';
import { requestState } from '../request-state.ts';
import { MAX_REQUEST_BODY_BYTES } from '../request-limits.ts';

type ApiRequestContext = Request<APIGatewayProxyEvent, APIGatewayProxyResult>;

export interface JsonBodyOptions {
  /**
   * Larger bodies are Manila's 413 "Request is too large.", whatever their content type.
   * @default MAX_REQUEST_BODY_BYTES (oslo.middleware's sizelimit default, 112 KiB)
   */
  readonly maxBodyBytes?: number;
}

/**
 * Manila's body handling (wsgi.Resource.get_body / JSONDeserializer): an empty body, or one sent with a
 * content type other than JSON, is no body; JSON that does not parse is 400 "Malformed request body".
 * A body without any Content-Type is read as JSON (curl users forget it; Manila would ignore it).
 * Before that, Manila's sizelimit filter: a body over the size limit is a 413. And what API Gateway's
 * body model checks on AWS: nesting, keys, items and string lengths (REQUEST_BODY_LIMITS), a 400.
 */
export function jsonBody(options: JsonBodyOptions = {}): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_REQUEST_BODY_BYTES;

  const jsonBodyBefore = async (request: ApiRequestContext): Promise<void> => {
    const { event } = request;
    const state = requestState(event);
    if (event.body === null || event.body === undefined || event.body === '') return;
    const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : undefined;
    const size = bytes ? bytes.length : Buffer.byteLength(event.body, 'utf8');
    if (size > maxBodyBytes) throw new HttpError(413, 'Request is too large.');
    const contentType = header(event, 'Content-Type');
    if (contentType !== undefined && !/^application\/json\s*(;|$)/i.test(contentType.trim())) return;
    const text = bytes ? bytes.toString('utf8') : event.body;
    if (text.trim() === '') return;
    checkNesting(text);
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch (err) {
      throw new HttpError(400, 'Malformed request body', { cause: err });
    }
    checkShape(body);
    state.body = body;
  };

  return { before: jsonBodyBefore };
}
