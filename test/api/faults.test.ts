import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConcurrentUpdateError,
  ConflictError,
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
  UnauthorizedError,
  type ShareMigrationError,
} from '../../lambdas/core/errors.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import { createApiHandler } from '../../lambdas/api/handler.ts';
import { startApiServer } from '../../local/http-server.ts';
import { ALICE, BOB } from './in-memory-services.ts';
import { seedShare, startTestApi, type TestApi } from './harness.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.reset();
});

describe('API: authentication', () => {
  it('answers 401 without X-Auth-Token, before looking at the route', async () => {
    for (const path of ['/v2/shares', '/v2/nowhere']) {
      const res = await api.call('GET', path, { token: null });

      expect(res.status).toBe(401);
      expect(res.body).toEqual({ unauthorized: { code: 401, message: 'The request you have made requires authentication.' } });
    }
  });

  it('checks the token before the microversion, as keystone runs before Manila', async () => {
    const res = await api.call('GET', '/v2/shares', { token: null, version: '9.9' });

    expect(res.status).toBe(401);
    expect(res.headers.get('x-openstack-manila-api-version')).toBeNull();
  });

  it('answers 401 when the verifier refuses the token', async () => {
    const res = await api.call('GET', '/v2/shares', { token: 'forged' });

    expect(res.status).toBe(401);
    expect(res.body.unauthorized.code).toBe(401);
  });

  it('accepts the token project in the URL and refuses another one', async () => {
    const own = await api.call('GET', `/v2/${ALICE.projectId}/shares`, { token: ALICE.token });
    const other = await api.call('GET', `/v2/${BOB.projectId}/shares`, { token: ALICE.token });

    expect(own.status).toBe(200);
    expect(other.status).toBe(400);
    expect(other.body).toEqual({ badRequest: { code: 400, message: 'Malformed request url' } });
  });
});

describe('API: routing faults', () => {
  it('answers an unknown route with 404 itemNotFound', async () => {
    const res = await api.call('GET', '/v2/shares/x/y/z');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  });

  it('answers a known route with the wrong method with 405 and Allow', async () => {
    const res = await api.call('PUT', '/v2/shares/some-id');

    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, DELETE');
    expect(res.body.badMethod.code).toBe(405);
  });

  it('answers a route outside the microversion with 404', async () => {
    const share = await seedShare(api);

    const res = await api.call('GET', `/v2/shares/${share.id}/export_locations`, { version: '2.8' });

    expect(res.status).toBe(404);
    expect(res.body.itemNotFound.message).toBe('The resource could not be found.');
  });

  it('answers malformed JSON with Manila 400', async () => {
    const res = await api.call('POST', '/v2/shares', { body: '{"share": ' });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ badRequest: { code: 400, message: 'Malformed request body' } });
  });

  it('ignores a body sent with a content type other than JSON, as Manila does (then 422 for create)', async () => {
    const res = await api.call('POST', '/v2/shares', { body: 'share=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });

    expect(res.status).toBe(422);
    expect(res.body).toEqual({ computeFault: { code: 422, message: 'Unable to process the contained instructions' } });
  });
});

describe('API: domain errors become Manila faults by kind', () => {
  it.each<[string, () => ShareMigrationError, number, string]>([
    ['badRequest', () => new InvalidRequestError('bad input', { shareId: 's-1' }), 400, 'badRequest'],
    ['itemNotFound', () => new NotFoundError('Share s-1 could not be found.', { shareId: 's-1' }), 404, 'itemNotFound'],
    ['conflict', () => new ConflictError('already there'), 409, 'conflictingRequest'],
    ['conflict (lost race)', () => new ConcurrentUpdateError('changed meanwhile', { shareId: 's-1' }), 409, 'conflictingRequest'],
    ['forbidden', () => new ForbiddenError('not yours'), 403, 'forbidden'],
    ['unauthorized', () => new UnauthorizedError('expired'), 401, 'unauthorized'],
  ])('%s → %i %s with the domain message', async (_kind, makeError, status, faultName) => {
    // Prepare
    const error = makeError();
    api.services.shares.list = async () => {
      throw error;
    };

    // Act
    const res = await api.call('GET', '/v2/shares/detail');

    // Assess
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ [faultName]: { code: status, message: error.message } });
  });

  it('carries share ids in not-found messages from the services', async () => {
    const res = await api.call('GET', '/v2/shares/0000-missing');

    expect(res.status).toBe(404);
    expect(res.body.itemNotFound.message).toBe('Share 0000-missing could not be found. (share 0000-missing)');
  });

  it('hides anything else behind a generic 500', async () => {
    api.services.shares.list = async () => {
      throw new Error('DynamoDB table arn:aws:dynamodb:eu-west-1:123456789012:table/shares password=hunter2');
    };

    const res = await api.call('GET', '/v2/shares');

    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      computeFault: { code: 500, message: 'The server has either erred or is incapable of performing the requested operation.' },
    });
    expect(res.text).not.toMatch(/hunter2|arn:|DynamoDB/);
  });

  it('hides a failing composition root behind a generic 500 too', async () => {
    // Prepare
    const handler = createApiHandler(() => Promise.reject(new Error('no credentials in /root/.aws')), {
      logger: new Logger({ logLevel: 'SILENT' }),
    });
    const server = await startApiServer({ port: 0, handler });

    try {
      // Act
      const res = await fetch(`${server.url}/v2/shares`, { headers: { 'X-Auth-Token': 'admin-token' } });
      const text = await res.text();

      // Assess
      expect(res.status).toBe(500);
      expect(JSON.parse(text).computeFault.code).toBe(500);
      expect(text).not.toContain('/root/.aws');
    } finally {
      await server.close();
    }
  });
});

describe('API: request body limit', () => {
  it('refuses bodies over 1 MiB with 413 overLimit, before the handler', async () => {
    const big = JSON.stringify({ share: { name: 'x'.repeat(1024 * 1024), size: 1, share_proto: 'NFS' } });

    const res = await api.call('POST', '/v2/shares', { body: big });

    expect(res.status).toBe(413);
    expect(res.body).toEqual({ overLimit: { code: 413, message: 'Request is too large.' } });
    expect(api.services.shareRecords.size).toBe(0);
  });
});
