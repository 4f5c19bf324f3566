/** AWS error answers, shaped as each wire protocol's clients parse them. */

export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type WireProtocol = 'json' | 'rest-json' | 'query' | 'cbor';

/** The protocol a request was made in, from how it looks on the wire. */
export function protocolOf(headers: Readonly<Record<string, string | undefined>>, url: string): WireProtocol {
  if (headers['x-amz-target'] !== undefined) return 'json';
  if (headers['smithy-protocol'] === 'rpc-v2-cbor' || url.includes('/operation/')) return 'cbor';
  if ((headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') || url.includes('Action=')) return 'query';
  return 'rest-json';
}

export function errorResponse(protocol: WireProtocol, status: number, code: string, message: string, jsonType = code): WireResponse {
  const requestId = crypto.randomUUID();
  if (protocol === 'query') {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: Buffer.from(body) };
  }
  const body = JSON.stringify({ __type: jsonType, message, Message: message });
  return { status, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code, 'x-amzn-requestid': requestId }, body: Buffer.from(body) };
}

/** AccessDenied as AWS answers it, naming the caller, the action and the resource. */
export function accessDenied(protocol: WireProtocol, signingName: string, caller: string, action: string, resource: string, reason: string): WireResponse {
  const message = `User: ${caller} is not authorized to perform: ${action} on resource: ${resource} because ${reason}`;
  if (protocol === 'query') return errorResponse(protocol, 403, 'AccessDenied', message);
  // DynamoDB's JSON errors carry the shape's namespace; the SDK reads the name after '#'.
  const jsonType = signingName === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810#AccessDeniedException' : 'AccessDeniedException';
  return errorResponse(protocol, protocol === 'rest-json' ? 403 : 400, 'AccessDeniedException', message, jsonType);
}

export function jsonResponse(body: unknown, status = 200): WireResponse {
  return { status, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': crypto.randomUUID() }, body: Buffer.from(JSON.stringify(body)) };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
