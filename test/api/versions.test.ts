import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createApiHandler } from '../../lambdas/api/handler.ts';
import { startTestApi, seedShare, type TestApi } from './harness.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.reset();
});

describe('API: version discovery', () => {
  it('answers GET / with 300 and the v2.0 range, without a token and without version headers', async () => {
    // Act
    const res = await api.call('GET', '/', { token: null, version: null });

    // Assess
    expect(res.status).toBe(300);
    expect(res.body.versions).toEqual([
      expect.objectContaining({ id: 'v2.0', status: 'CURRENT', version: '2.72', min_version: '2.0' }),
    ]);
    expect(res.body.versions[0].links).toContainEqual({ rel: 'self', href: `${api.url}/v2/` });
    expect(res.headers.get('x-openstack-manila-api-version')).toBeNull();
  });

  it.each(['/v2', '/v2/'])('answers GET %s with 200 and echoes the negotiated version', async (path) => {
    const res = await api.call('GET', path, { token: null, version: '2.40' });

    expect(res.status).toBe(200);
    expect(res.body.versions[0].version).toBe('2.72');
    expect(res.headers.get('x-openstack-manila-api-version')).toBe('2.40');
    expect(res.headers.get('vary')).toBe('X-OpenStack-Manila-API-Version');
  });

  it('refuses other methods on version discovery with 405', async () => {
    const res = await api.call('POST', '/', { token: null, body: {} });

    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(res.body).toEqual({ badMethod: { code: 405, message: 'The method POST is not allowed for this resource.' } });
  });
});

describe('API: as a Lambda handler', () => {
  it('answers a bare API Gateway event (null headers, no stage) without the local server', async () => {
    // Prepare
    const handler = createApiHandler(async () => api.services, { logger: new Logger({ logLevel: 'SILENT' }) });
    const event = {
      resource: '/',
      path: '/',
      httpMethod: 'GET',
      headers: null,
      multiValueHeaders: null,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: 'r-1', path: '/prod/', domainName: 'api.example.com' },
    } as unknown as APIGatewayProxyEvent;

    // Act
    const result = await handler(event, { awsRequestId: 'a-1' } as Context);

    // Assess
    expect(result.statusCode).toBe(300);
    expect(result.headers?.['x-openstack-request-id']).toBe('req-r-1');
    expect(JSON.parse(result.body).versions[0].links[1].href).toBe('http://api.example.com/prod/v2/');
  });
});

describe('API: microversion negotiation', () => {
  it.each([
    [null, '2.0'],
    ['2.5', '2.5'],
    ['2.72', '2.72'],
    ['latest', '2.72'],
    ['LATEST', '2.72'],
  ])('header %s → version %s, echoed with Vary', async (requested, echoed) => {
    const res = await api.call('GET', '/v2/shares', { version: requested });

    expect(res.status).toBe(200);
    expect(res.headers.get('x-openstack-manila-api-version')).toBe(echoed);
    expect(res.headers.get('vary')).toBe('X-OpenStack-Manila-API-Version');
  });

  it.each(['1.0', '2.73', '3.0'])('refuses %s with Manila 406 body and echoes the refused version', async (requested) => {
    const res = await api.call('GET', '/v2/shares', { version: requested });

    expect(res.status).toBe(406);
    expect(res.body).toEqual({
      computeFault: { code: 406, message: `Version ${requested} is not supported by the API. Minimum is 2.0 and maximum is 2.72.` },
    });
    expect(res.headers.get('x-openstack-manila-api-version')).toBe(requested);
  });

  it.each(['2', 'two.one', '2.01'])('refuses the malformed version "%s" with 400', async (requested) => {
    const res = await api.call('GET', '/v2/shares', { version: requested });

    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toBe(`API Version String ${requested} is of invalid format. Must be of format MajorNum.MinorNum.`);
  });

  it('accepts and echoes the experimental header', async () => {
    const res = await api.call('GET', '/v2/shares', { experimental: true });

    expect(res.headers.get('x-openstack-manila-api-experimental')).toBe('True');
  });

  it('echoes the version on faults too', async () => {
    const res = await api.call('GET', '/v2/shares/nope', { version: '2.33' });

    expect(res.status).toBe(404);
    expect(res.headers.get('x-openstack-manila-api-version')).toBe('2.33');
  });
});

describe('API: share view per microversion', () => {
  it('shows the share type name, export locations and no task_state before 2.5', async () => {
    // Prepare
    const share = await seedShare(api);

    // Act
    const res = await api.call('GET', `/v2/shares/${share.id}`, { version: '2.4' });

    // Assess
    const view = res.body.share;
    expect(view.share_type).toBe('default');
    expect(view.volume_type).toBe('default');
    expect(view).not.toHaveProperty('task_state');
    expect(view).not.toHaveProperty('share_type_name');
    expect(view.snapshot_support).toBe(true);
    expect(view.export_location).toMatch(/^127\.0\.0\.1:\/exports\//);
    expect(view.export_locations).toHaveLength(2);
  });

  it('shows task_state from 2.5 and the share type id with its name from 2.6', async () => {
    const share = await seedShare(api);
    const type = await api.services.shareTypes.get('default');

    const at25 = (await api.call('GET', `/v2/shares/${share.id}`, { version: '2.5' })).body.share;
    const at26 = (await api.call('GET', `/v2/shares/${share.id}`, { version: '2.6' })).body.share;

    expect(at25).toHaveProperty('task_state', null);
    expect(at25.share_type).toBe('default');
    expect(at26.share_type).toBe(type.id);
    expect(at26.share_type_name).toBe('default');
  });

  it('drops export locations from the share from 2.9 and adds the later fields by version', async () => {
    const share = await seedShare(api);

    const at29 = (await api.call('GET', `/v2/shares/${share.id}`, { version: '2.9' })).body.share;
    const at272 = (await api.call('GET', `/v2/shares/${share.id}`, { version: '2.72' })).body.share;

    expect(at29).not.toHaveProperty('export_location');
    expect(at29).not.toHaveProperty('export_locations');
    expect(at29).not.toHaveProperty('user_id');
    expect(at272).toMatchObject({
      user_id: 'admin',
      access_rules_status: 'active',
      has_replicas: false,
      create_share_from_snapshot_support: false,
      revert_to_snapshot_support: false,
      mount_snapshot_support: false,
      progress: '100%',
      is_soft_deleted: false,
      host: 'local@alpha#default',
    });
  });
});
