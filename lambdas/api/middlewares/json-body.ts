import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { HttpError } from '../http-error.ts';
import { header } from '../request.ts';
import { requestState } from '../request-state.ts';

type ApiRequestContext = Request<APIGatewayProxyEvent, APIGatewayProxyResult>;

/**
 * Manila's body handling (wsgi.Resource.get_body / JSONDeserializer): an empty body, or one sent with a
 * content type other than JSON, is no body; JSON that does not parse is 400 "Malformed request body".
 * A body without any Content-Type is read as JSON (curl users forget it; Manila would ignore it).
 */
export function jsonBody(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const jsonBodyBefore = async (request: ApiRequestContext): Promise<void> => {
    const { event } = request;
    const state = requestState(event);
    if (event.body === null || event.body === undefined || event.body === '') return;
    const contentType = header(event, 'Content-Type');
    if (contentType !== undefined && !/^application\/json\s*(;|$)/i.test(contentType.trim())) return;
    const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    if (text.trim() === '') return;
    try {
      state.body = JSON.parse(text) as unknown;
    } catch (err) {
      throw new HttpError(400, 'Malformed request body', { cause: err });
    }
  };

  return { before: jsonBodyBefore };
}
