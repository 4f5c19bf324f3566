import { API_VERSION_HEADER, EXPERIMENTAL_HEADER, MAX_API_VERSION, MIN_API_VERSION } from '../api-version.ts';
import { MAX_LIMIT } from '../list-params.ts';
import { FIELD_LIMITS, MAX_REQUEST_BODY_BYTES } from '../request-limits.ts';
import { PUBLIC_OPERATIONS, RESOURCE_OPERATIONS, type ListQuery, type Operation } from './operations.ts';
import { SCHEMAS } from './schemas.ts';

/**
 * The API's OpenAPI 3.1 description, served at GET /openapi.json (without a token, like version
 * discovery) and published as docs/openapi.json. Built from the operation table (operations.ts) and
 * the schemas (schemas.ts); test/api/openapi.test.ts checks it against the router.
 */

/** Where the resource routes sit: Manila's endpoint. Since 2.60 the project id may be left out. */
export const RESOURCE_PREFIX = '/v2/{project_id}';

const ERROR_STATUSES = ['400', '401', '403', '404', '405', '406', '409', '413', '422'] as const;

type Json = Record<string, unknown>;

let cached: Json | undefined;

export function openApiDocument(): Json {
  cached ??= build();
  return cached;
}

function build(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const add = (key: string, operation: Operation, isPublic: boolean): void => {
    const [method, path] = key.split(' ') as [string, string];
    const fullPath = isPublic ? path : `${RESOURCE_PREFIX}${path}`;
    (paths[fullPath] ??= {})[method.toLowerCase()] = operationObject(key, fullPath, operation, isPublic);
  };
  for (const [key, operation] of Object.entries(PUBLIC_OPERATIONS)) add(key, operation, true);
  for (const [key, operation] of Object.entries(RESOURCE_OPERATIONS)) add(key, operation, false);

  return {
    openapi: '3.1.0',
    info: {
      title: 'share-migration: the OpenStack Manila v2 API',
      version: MAX_API_VERSION,
      description: [
        "OpenStack Manila's share API (v2, microversions " + `${MIN_API_VERSION} to ${MAX_API_VERSION}) with share migration, `,
        'served by API Gateway and a Lambda function on AWS, or by `npm start` on one machine. Responses and faults follow ',
        "Manila's API reference; extensions are marked \"our extension\". Every resource path is also served without ",
        `the project id (\`/v2/shares\`, as Manila from 2.60). Request bodies are at most ${MAX_REQUEST_BODY_BYTES} bytes `,
        '(413 overLimit), nest at most 6 levels of objects and arrays, with at most 64 properties per object, 256 items ',
        'per array and 16,384 characters per string (400 badRequest).',
      ].join(''),
    },
    servers: [{ url: '/', description: 'The API root: the API Gateway stage URL on AWS, http://127.0.0.1:8786 at home' }],
    tags: [...new Set(Object.values({ ...PUBLIC_OPERATIONS, ...RESOURCE_OPERATIONS }).map((o) => o.tag))].map((name) => ({ name })),
    security: [{ token: [] }],
    paths,
    components: {
      securitySchemes: {
        token: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'A token the service knows (the admin token of `npm start`, or one of the token secret on AWS).' },
      },
      parameters: {
        project_id: { name: 'project_id', in: 'path', required: true, description: "The token's project.", schema: { type: 'string', maxLength: 255 } },
        microversion: {
          name: API_VERSION_HEADER,
          in: 'header',
          required: false,
          description: `The microversion, ${MIN_API_VERSION} to ${MAX_API_VERSION} or "latest"; absent means ${MIN_API_VERSION}. Out of range: 406.`,
          schema: { type: 'string', pattern: '^([1-9]\\d*\\.(0|[1-9]\\d*)|latest)$' },
        },
        experimental: { name: EXPERIMENTAL_HEADER, in: 'header', required: false, schema: { type: 'string' } },
      },
      responses: {
        Fault: { description: "Manila's fault body", content: { 'application/json': { schema: { $ref: '#/components/schemas/Fault' } } } },
      },
      schemas: SCHEMAS,
    },
  };
}

function operationObject(key: string, fullPath: string, operation: Operation, isPublic: boolean): Json {
  const parameters: Json[] = [];
  for (const [, name] of fullPath.matchAll(/\{([^}]+)\}/g)) {
    if (name === 'project_id') parameters.push({ $ref: '#/components/parameters/project_id' });
    else parameters.push({ name, in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 255 }, description: 'An id (or, for share types, a name); a longer one is 404.' });
  }
  if (!isPublic) parameters.push({ $ref: '#/components/parameters/microversion' }, { $ref: '#/components/parameters/experimental' });
  if (operation.list) parameters.push(...listParameters(operation.list));

  const responses: Json = {};
  const statuses = typeof operation.status === 'number' ? [operation.status] : operation.status;
  for (const status of statuses) {
    responses[String(status)] = status === 202 && !operation.body
      ? { description: 'Accepted (empty body)' }
      : { description: 'Success', content: { 'application/json': { schema: { $ref: '#/components/schemas/Resource' } } } };
  }
  if (!isPublic) for (const status of ERROR_STATUSES) responses[status] = { $ref: '#/components/responses/Fault' };
  responses['500'] = { $ref: '#/components/responses/Fault' };

  const operationObject: Json = {
    operationId: operationId(key),
    summary: operation.summary,
    tags: [operation.tag],
    parameters,
    responses,
  };
  if (operation.minVersion) operationObject['x-openstack-manila-min-version'] = operation.minVersion;
  if (operation.maxVersion) operationObject['x-openstack-manila-max-version'] = operation.maxVersion;
  if (isPublic) operationObject['security'] = [];
  if (operation.body) {
    operationObject['requestBody'] = {
      required: true,
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${operation.body}` } } },
    };
  }
  return operationObject;
}

/** A list's query string, with manila.api.common's checks (list-params.ts): an unknown sort key is a 400. */
function listParameters(list: ListQuery): Json[] {
  const query = (name: string, schema: Json, description: string): Json => ({ name, in: 'query', required: false, schema, description });
  return [
    query('sort_key', { type: 'string', enum: [...list.sortKeys], default: 'created_at' }, 'The order; any other key is a 400.'),
    query('sort_dir', { type: 'string', enum: ['asc', 'desc'], default: 'desc' }, 'The direction (case does not matter).'),
    query('limit', { type: 'integer', minimum: 0 }, `At most this many items (and at most ${MAX_LIMIT}); a full page links the next one.`),
    query('offset', { type: 'integer', minimum: 0, maximum: FIELD_LIMITS.integer }, 'Items skipped before the page.'),
    query('marker', { type: 'string', maxLength: FIELD_LIMITS.reference }, 'The id of the last item of the previous page; one the caller cannot see is a 400.'),
    ...list.filters.map((name) => query(name, { type: 'string', maxLength: FIELD_LIMITS.string }, 'A filter, as Manila takes it.')),
  ];
}

/** `GET /shares/{id}/export_locations` → `get_shares_id_export_locations`. */
function operationId(key: string): string {
  const id = key.toLowerCase().replace(/[{}]/g, '').replace(/[^a-z0-9]+/g, '_').replace(/_+$/, '');
  return id.endsWith('_') ? id.slice(0, -1) : id;
}
