import { IdentityRequestError } from './errors.ts';

/** A user named by id, or by name within a domain (itself by id or name). */
export type UserRef = { readonly id: string } | { readonly name: string; readonly domain: DomainRef };
export type DomainRef = { readonly id: string } | { readonly name: string };
export type ProjectRef = { readonly id: string } | { readonly name: string; readonly domain: DomainRef };

/** The body of `POST /v3/auth/tokens`, reduced to what this subset serves. */
export type AuthRequest =
  | { readonly method: 'password'; readonly user: UserRef; readonly password: string; readonly scope: Scope }
  | { readonly method: 'application_credential'; readonly credential: { readonly id: string } | { readonly name: string; readonly user: UserRef }; readonly secret: string; readonly scope: Scope }
  | { readonly method: 'token'; readonly token: string; readonly scope: Scope };

/** Unscoped, or a project. Domain and system scopes are not served (no role can be held on them here). */
export type Scope = { readonly kind: 'unscoped' } | { readonly kind: 'project'; readonly project: ProjectRef } | { readonly kind: 'unsupported'; readonly what: string };

type Fields = Record<string, unknown>;

/** Reads Keystone's auth body; IdentityRequestError (400) names the first field that is wrong. */
export function parseAuthRequest(body: unknown): AuthRequest {
  const auth = field(body, 'auth', '');
  const identity = field(auth, 'identity', 'auth');
  const methods = identity['methods'];
  if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string')) {
    throw new IdentityRequestError("Invalid input for field 'identity/methods': a non-empty list of method names is required.");
  }
  const scope = parseScope(auth['scope']);
  // Keystone accepts several methods at once (multi-factor); this subset authenticates with the first it serves.
  const method = (methods as string[]).find((m) => m === 'password' || m === 'application_credential' || m === 'token');
  if (method === undefined) throw new UnsupportedMethodError();
  if (method === 'password') {
    const password = field(identity, 'password', 'auth.identity');
    const user = field(password, 'user', 'auth.identity.password');
    return { method, user: parseUser(user, 'auth.identity.password.user'), password: text(user, 'password', 'auth.identity.password.user'), scope };
  }
  if (method === 'token') {
    const token = field(identity, 'token', 'auth.identity');
    return { method, token: text(token, 'id', 'auth.identity.token'), scope };
  }
  const credential = field(identity, 'application_credential', 'auth.identity');
  const where = 'auth.identity.application_credential';
  const secret = text(credential, 'secret', where);
  if (typeof credential['id'] === 'string') return { method, credential: { id: credential['id'] }, secret, scope };
  return { method, credential: { name: text(credential, 'name', where), user: parseUser(field(credential, 'user', where), `${where}.user`) }, secret, scope };
}

/** Keystone answers an authentication method it does not serve with 401, not 400. */
export class UnsupportedMethodError extends Error {
  override readonly name = 'UnsupportedMethodError';

  constructor() {
    super('Attempted to authenticate with an unsupported method.');
  }
}

function parseScope(scope: unknown): Scope {
  if (scope === undefined || scope === null || scope === 'unscoped') return { kind: 'unscoped' };
  if (!isObject(scope)) throw new IdentityRequestError("Invalid input for field 'scope': an object is required.");
  if (scope['project'] !== undefined) {
    const project = field(scope, 'project', 'auth.scope');
    if (typeof project['id'] === 'string') return { kind: 'project', project: { id: project['id'] } };
    return { kind: 'project', project: { name: text(project, 'name', 'auth.scope.project'), domain: parseDomain(field(project, 'domain', 'auth.scope.project'), 'auth.scope.project.domain') } };
  }
  const what = Object.keys(scope)[0] ?? 'an empty scope';
  return { kind: 'unsupported', what };
}

function parseUser(user: Fields, where: string): UserRef {
  if (typeof user['id'] === 'string' && user['id'] !== '') return { id: user['id'] };
  return { name: text(user, 'name', where), domain: parseDomain(field(user, 'domain', where), `${where}.domain`) };
}

function parseDomain(domain: Fields, where: string): DomainRef {
  if (typeof domain['id'] === 'string' && domain['id'] !== '') return { id: domain['id'] };
  return { name: text(domain, 'name', where) };
}

function field(parent: unknown, key: string, where: string): Fields {
  const value = isObject(parent) ? parent[key] : undefined;
  if (!isObject(value)) throw new IdentityRequestError(`Invalid input for field '${where ? `${where}.` : ''}${key}': an object is required.`);
  return value;
}

function text(parent: Fields, key: string, where: string): string {
  const value = parent[key];
  if (typeof value !== 'string' || value === '') throw new IdentityRequestError(`Invalid input for field '${where}.${key}': a non-empty string is required.`);
  return value;
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
