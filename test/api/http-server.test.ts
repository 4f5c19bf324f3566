import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../local/http-server.ts';

let server: ApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function capture(result: APIGatewayProxyResult = { statusCode: 200, body: '{}' }) {
  const seen: { event?: APIGatewayProxyEvent; context?: Context } = {};
  server = await startApiServer({
    port: 0,
    handler: async (event, context) => {
      seen.event = event;
      seen.context = context;
      return result;
    },
  });
  return { url: server.url, seen };
}

describe('Function: startApiServer', () => {
  it('turns a request into an API Gateway REST proxy event', async () => {
    // Prepare
    const { url, seen } = await capture();

    // Act
    await fetch(`${url}/v2/shares/abc/action?limit=1&tag=a&tag=b`, {
      method: 'POST',
      headers: { 'X-Auth-Token': 'T', 'Content-Type': 'application/json' },
      body: '{"migration_complete": null}',
    });

    // Assess
    const event = seen.event!;
    expect(event).toMatchObject({
      resource: '/{proxy+}',
      path: '/v2/shares/abc/action',
      httpMethod: 'POST',
      pathParameters: { proxy: 'v2/shares/abc/action' },
      queryStringParameters: { limit: '1', tag: 'b' },
      multiValueQueryStringParameters: { limit: ['1'], tag: ['a', 'b'] },
      body: '{"migration_complete": null}',
      isBase64Encoded: false,
      stageVariables: null,
    });
    expect(event.headers['X-Auth-Token']).toBe('T');
    expect(event.multiValueHeaders['X-Auth-Token']).toEqual(['T']);
    expect(event.requestContext).toMatchObject({ httpMethod: 'POST', path: '/v2/shares/abc/action', resourcePath: '/{proxy+}', identity: { sourceIp: '127.0.0.1' } });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.context?.awsRequestId).toBe(event.requestContext.requestId);
    expect(seen.context?.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });

  it('keeps query parameters and headers named after Object.prototype members (__proto__, constructor) as any other', async () => {
    // Prepare
    const { url, seen } = await capture();

    // Act
    const res = await fetch(`${url}/v2/types?__proto__=a&constructor=b&constructor=c&toString=d`, { headers: { constructor: 'e' } });

    // Assess
    expect(res.status).toBe(200);
    expect(Object.entries(seen.event!.queryStringParameters!)).toEqual([['__proto__', 'a'], ['constructor', 'c'], ['toString', 'd']]);
    expect(Object.entries(seen.event!.multiValueQueryStringParameters!)).toEqual([['__proto__', ['a']], ['constructor', ['b', 'c']], ['toString', ['d']]]);
    expect(seen.event!.headers['constructor']).toBe('e');
    expect(seen.event!.multiValueHeaders['constructor']).toEqual(['e']);
  });

  it('gives the root its own resource, no proxy parameter, no query and a null body', async () => {
    const { url, seen } = await capture();

    await fetch(`${url}/`);

    expect(seen.event).toMatchObject({ resource: '/', path: '/', pathParameters: null, queryStringParameters: null, multiValueQueryStringParameters: null, body: null });
  });

  it('writes back status, headers, multi-value headers and body', async () => {
    const { url } = await capture({
      statusCode: 202,
      headers: { 'X-One': '1' },
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
      body: 'accepted',
    });

    const res = await fetch(url);

    expect(res.status).toBe(202);
    expect(res.headers.get('x-one')).toBe('1');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.text()).toBe('accepted');
  });

  it('decodes base64 results', async () => {
    const { url } = await capture({ statusCode: 200, body: Buffer.from('binary').toString('base64'), isBase64Encoded: true });

    expect(await (await fetch(url)).text()).toBe('binary');
  });

  it('answers 413 for a body over the limit without calling the handler', async () => {
    let called = false;
    server = await startApiServer({
      port: 0,
      maxBodyBytes: 1024,
      handler: async () => {
        called = true;
        return { statusCode: 200, body: '' };
      },
    });

    const res = await fetch(server.url, { method: 'POST', body: 'x'.repeat(2048) });

    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ overLimit: { code: 413, message: 'Request is too large.' } });
    expect(called).toBe(false);
  });

  it('answers 502 as API Gateway does when the handler throws', async () => {
    server = await startApiServer({
      port: 0,
      handler: async () => {
        throw new Error('boom');
      },
    });

    const res = await fetch(server.url);

    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ message: 'Internal server error' });
  });

  it('binds loopback only', async () => {
    await expect(startApiServer({ port: 0, host: '0.0.0.0', handler: async () => ({ statusCode: 200, body: '' }) })).rejects.toThrow(/loopback only/);
  });
});
