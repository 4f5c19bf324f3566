import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { UnsupportedMethodError } from '../../lambdas/core/identity/auth-request.ts';
import { serviceCatalog } from '../../lambdas/core/identity/catalog.ts';
import { IdentityRequestError, TokenNotFoundError } from '../../lambdas/core/identity/errors.ts';
import { KeystoneRole } from '../../lambdas/core/identity/identity-config.ts';
import type { KeystoneIdentity, ValidToken } from '../../lambdas/core/identity/keystone-identity.ts';
import { tokenView } from '../../lambdas/core/identity/token-view.ts';
import { UnauthorizedError } from '../../lambdas/core/errors.ts';

/** Where the identity service is mounted on the runtime's port: OS_AUTH_URL is `<runtime>/identity/v3`. */
export const IDENTITY_PREFIX = '/identity';

export type ProxyEventHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
type Handler = ProxyEventHandler;

const TITLES: Readonly<Record<number, string>> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };

/** An answer in Keystone's error shape: `{"error": {"code", "message", "title"}}`. */
class KeystoneHttpError extends Error {
  override readonly name = 'KeystoneHttpError';
  readonly status: number;

  constructor(status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

/** Requests under /identity go to the identity service, everything else to the Manila API. */
export function withIdentityRoutes(identity: Handler, api: Handler): Handler {
  return (event) => (event.path === IDENTITY_PREFIX || event.path.startsWith(`${IDENTITY_PREFIX}/`) ? identity(event) : api(event));
}

/** The Keystone v3 subset as a handler of API Gateway proxy events (what local/http-server.ts hands on). */
export function createIdentityHandler(keystone: KeystoneIdentity, logger: Logger): Handler {
  return async (event) => {
    const requestId = `req-${randomUUID()}`;
    try {
      return withRequestId(await route(keystone, event), requestId);
    } catch (error) {
      return withRequestId(errorResult(error, logger, event), requestId);
    }
  };
}

async function route(keystone: KeystoneIdentity, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const path = event.path.slice(IDENTITY_PREFIX.length).replace(/\/+$/, '');
  const method = event.httpMethod;
  const base = baseUrl(event);
  const only = (...allowed: string[]) => {
    if (!allowed.includes(method)) throw new KeystoneHttpError(405, `The method ${method} is not allowed for ${event.path}.`);
  };
  if (path === '') {
    only('GET');
    return json(300, { versions: { values: [versionView(base)] } });
  }
  if (path === '/v3') {
    only('GET');
    return json(200, { version: versionView(base) });
  }
  if (path === '/v3/auth/tokens') {
    only('POST', 'GET', 'HEAD', 'DELETE');
    if (method === 'POST') {
      const issued = await keystone.issue(parseBody(event.body));
      return json(201, tokenView(issued.valid, base, { nocatalog: has(event, 'nocatalog') }), { 'X-Subject-Token': issued.token });
    }
    const caller = authenticated(keystone, event);
    const subjectToken = header(event, 'X-Subject-Token');
    if (!subjectToken) throw new KeystoneHttpError(404, 'Could not find token: no X-Subject-Token given.');
    const subject = keystone.validate(subjectToken);
    // Keystone's default policy: a token's own user may validate or revoke it, an admin any token.
    if (subject.user.id !== caller.user.id && !caller.claims.roles.includes(KeystoneRole.ADMIN)) {
      throw new KeystoneHttpError(403, 'You are not authorized to perform the requested action: identity:validate_token.');
    }
    if (method === 'DELETE') {
      await keystone.revoke(subjectToken);
      return { statusCode: 204, headers: {}, body: '' };
    }
    const result = json(200, tokenView(subject, base, { nocatalog: has(event, 'nocatalog') }), { 'X-Subject-Token': subjectToken });
    return method === 'HEAD' ? { ...result, body: '' } : result;
  }
  if (path === '/v3/auth/projects') {
    only('GET');
    return json(200, projectsView(keystone, authenticated(keystone, event).user.id, `${base}${event.path}`, base));
  }
  if (path === '/v3/auth/catalog') {
    only('GET');
    const caller = authenticated(keystone, event);
    if (caller.project === undefined) throw new KeystoneHttpError(403, 'A catalog can only be retrieved with a project-scoped token.');
    return json(200, { catalog: serviceCatalog(base, caller.project.project.id), links: { self: `${base}${event.path}`, previous: null, next: null } });
  }
  const userProjects = /^\/v3\/users\/([^/]+)\/projects$/.exec(path);
  if (userProjects) {
    only('GET');
    const caller = authenticated(keystone, event);
    const userId = decodeURIComponent(userProjects[1]!);
    if (userId !== caller.user.id && !caller.claims.roles.includes(KeystoneRole.ADMIN)) {
      throw new KeystoneHttpError(403, 'You are not authorized to perform the requested action: identity:list_user_projects.');
    }
    return json(200, projectsView(keystone, userId, `${base}${event.path}`, base));
  }
  throw new KeystoneHttpError(404, `The resource could not be found: ${event.path} is not served by this Keystone subset.`);
}

/** The caller's own token (X-Auth-Token): 401 when absent or not valid, as Keystone's auth middleware answers. */
function authenticated(keystone: KeystoneIdentity, event: APIGatewayProxyEvent): ValidToken {
  const token = header(event, 'X-Auth-Token');
  if (!token) throw new UnauthorizedError('The request you have made requires authentication.');
  try {
    return keystone.validate(token);
  } catch (cause) {
    throw new UnauthorizedError('The request you have made requires authentication.', {}, { cause });
  }
}

function projectsView(keystone: KeystoneIdentity, userId: string, self: string, base: string) {
  return {
    projects: keystone.projectsOf(userId).map(({ project }) => ({
      id: project.id,
      name: project.name,
      domain_id: project.domain_id,
      description: '',
      enabled: true,
      parent_id: project.domain_id,
      is_domain: false,
      tags: [],
      options: {},
      links: { self: `${base}${IDENTITY_PREFIX}/v3/projects/${project.id}` },
    })),
    links: { self, previous: null, next: null },
  };
}

function versionView(base: string) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${base}${IDENTITY_PREFIX}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

function parseBody(body: string | null): unknown {
  try {
    return JSON.parse(body ?? '');
  } catch (cause) {
    throw new IdentityRequestError('The request body is not valid JSON.', { cause });
  }
}

function errorResult(error: unknown, logger: Logger, event: APIGatewayProxyEvent): APIGatewayProxyResult {
  const [status, message] =
    error instanceof KeystoneHttpError ? [error.status, error.message]
    : error instanceof IdentityRequestError ? [400, error.message]
    : error instanceof UnauthorizedError || error instanceof UnsupportedMethodError ? [401, error.message]
    : error instanceof TokenNotFoundError ? [404, error.message]
    : [500, 'An unexpected error prevented the server from fulfilling your request.'];
  if (status === 500) logger.error('identity request failed', { path: event.path, method: event.httpMethod, error: error as Error });
  const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': `Keystone uri="${baseUrl(event)}${IDENTITY_PREFIX}"` } : {};
  const result = json(status, { error: { code: status, message, title: TITLES[status] ?? 'Error' } }, headers);
  return event.httpMethod === 'HEAD' ? { ...result, body: '' } : result;
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', Vary: 'X-Auth-Token', ...headers }, body: JSON.stringify(body) };
}

function withRequestId(result: APIGatewayProxyResult, requestId: string): APIGatewayProxyResult {
  return { ...result, headers: { ...result.headers, 'x-openstack-request-id': requestId } };
}

/** How the client reached this runtime, so every URL handed out (catalog, links) is one it can reach. */
function baseUrl(event: APIGatewayProxyEvent): string {
  const proto = header(event, 'X-Forwarded-Proto')?.split(',')[0]?.trim() || 'http';
  const host = header(event, 'X-Forwarded-Host') ?? header(event, 'Host') ?? '127.0.0.1';
  return `${proto}://${host}`;
}

function has(event: APIGatewayProxyEvent, parameter: string): boolean {
  return event.queryStringParameters?.[parameter] !== undefined;
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted && value !== undefined) return value;
  return undefined;
}
