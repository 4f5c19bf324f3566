import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument, RESOURCE_PREFIX } from '../../lambdas/api/openapi/document.ts';
import { PUBLIC_OPERATIONS, RESOURCE_OPERATIONS } from '../../lambdas/api/openapi/operations.ts';
import { API_ROUTES } from '../../lambdas/api/routes/index.ts';
import { startTestApi, type TestApi } from './harness.ts';

/** The published copy. To rewrite it after changing the description: SMIG_UPDATE_OPENAPI=1 npx vitest run test/api/openapi.test.ts */
const PUBLISHED = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/openapi.json');

type Doc = { paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, unknown> } };
const doc = openApiDocument() as unknown as Doc;

describe('Function: openApiDocument', () => {
  it('describes every route the router serves, with its microversion, and nothing else', () => {
    // Prepare
    const routes = API_ROUTES.map((r) => [`${r.method} ${r.path}`, r.minVersion] as const).sort();
    const described = Object.entries(RESOURCE_OPERATIONS).map(([key, op]) => [key, op.minVersion] as const).sort();

    // Assess
    expect(described).toEqual(routes);
  });

  it('has one path item per route below /v2/{project_id}, and the public documents at their own paths', () => {
    // Prepare
    const operations = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const expected = [
      ...Object.keys(PUBLIC_OPERATIONS),
      ...API_ROUTES.map((r) => `${r.method} ${RESOURCE_PREFIX}${r.path}`),
    ].sort();

    // Assess
    expect(operations).toEqual(expected);
    expect(doc.paths['/openapi.json']!['get']!['security']).toEqual([]);
  });

  it('is OpenAPI 3.1 whose schemas compile as JSON Schema 2020-12 and whose references all resolve', () => {
    // Prepare
    const ajv = new Ajv2020({ strict: false });
    const text = JSON.stringify(doc);
    const refs = [...text.matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]!);

    // Assess
    expect(doc).toMatchObject({ openapi: '3.1.0' });
    for (const [name, schema] of Object.entries(doc.components.schemas)) expect(() => ajv.compile(schema as object), name).not.toThrow();
    for (const ref of refs) {
      const target = ref.split('/').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc);
      expect(target, ref).toBeDefined();
    }
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op['operationId']));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("accepts the request bodies Manila's clients send and refuses ones past the limits", () => {
    // Prepare
    const ajv = new Ajv2020({ strict: false });
    const validate = (name: string, body: unknown) => ajv.validate(doc.components.schemas[name] as object, body);

    // Assess
    expect(validate('ShareCreate', { share: { share_proto: 'NFS', size: 1, name: 'data', metadata: { k: 'v' } } })).toBe(true);
    expect(validate('ShareCreate', { share: { share_proto: 'NFS', size: 1, name: 'n'.repeat(256) } })).toBe(false);
    expect(validate('ShareCreate', { share: { share_proto: 'NFS', size: 1, metadata: { k: 'v'.repeat(1024) } } })).toBe(false);
    expect(validate('ShareAction', { migration_start: { host: 'h@b#p', writable: true, preserve_metadata: true, nondisruptive: false, preserve_snapshots: false } })).toBe(true);
    expect(validate('ShareAction', { allow_access: { access_type: 'ip', access_to: '10.0.0.0/24' } })).toBe(true);
    expect(validate('ShareAction', { allow_access: {}, deny_access: {} })).toBe(false);
  });

  it('is published as docs/openapi.json, as served', async () => {
    // Prepare
    const served = `${JSON.stringify(doc, null, 2)}\n`;
    if (process.env['SMIG_UPDATE_OPENAPI'] === '1') await writeFile(PUBLISHED, served);

    // Act
    const published = await readFile(PUBLISHED, 'utf8');

    // Assess
    expect(published, 'docs/openapi.json is stale: SMIG_UPDATE_OPENAPI=1 npx vitest run test/api/openapi.test.ts').toBe(served);
  });
});

describe('API: GET /openapi.json', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('serves the description without a token, unversioned', async () => {
    // Act
    const res = await api.call('GET', '/openapi.json', { token: null, version: null });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-openstack-manila-api-version')).toBeNull();
    expect(res.body).toEqual(doc);
  });

  it('answers any other method with 405 and Allow: GET', async () => {
    // Act
    const res = await api.call('POST', '/openapi.json', { token: null, body: {} });

    // Assess
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect(res.body).toEqual({ badMethod: { code: 405, message: 'The method POST is not allowed for this resource.' } });
  });
});
