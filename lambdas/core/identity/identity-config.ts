import { IdentityConfigError } from './errors.ts';
import { isSecretHash } from './password-hash.ts';

/** The roles Manila's default policies know: `admin` (everything), `member` (its project), `reader` (read-only in its project). */
export const KeystoneRole = { ADMIN: 'admin', MEMBER: 'member', READER: 'reader' } as const;
export type KeystoneRole = (typeof KeystoneRole)[keyof typeof KeystoneRole];
const ROLES: readonly string[] = Object.values(KeystoneRole);

/** Keystone's default implied roles: admin implies member, member implies reader, and tokens list them all. */
export function withImpliedRoles(roles: Iterable<KeystoneRole>): KeystoneRole[] {
  const all = new Set<KeystoneRole>();
  for (const role of roles) {
    all.add(role);
    if (role === KeystoneRole.ADMIN) all.add(KeystoneRole.MEMBER);
    if (role === KeystoneRole.ADMIN || role === KeystoneRole.MEMBER) all.add(KeystoneRole.READER);
  }
  return ROLES.filter((role) => all.has(role as KeystoneRole)) as KeystoneRole[];
}

export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' } as const;

export interface Domain {
  readonly id: string;
  readonly name: string;
}

export interface Project {
  readonly id: string;
  readonly name: string;
  /** @default 'default' */
  readonly domain_id: string;
}

export interface User {
  readonly id: string;
  readonly name: string;
  /** @default 'default' */
  readonly domain_id: string;
  /** scrypt hash (see password-hash.ts), never the password. */
  readonly password_hash: string;
  /** @default true */
  readonly enabled: boolean;
}

export interface RoleAssignment {
  readonly user_id: string;
  readonly project_id: string;
  readonly role: KeystoneRole;
}

export interface ApplicationCredential {
  readonly id: string;
  readonly name: string;
  readonly user_id: string;
  readonly project_id: string;
  /** scrypt hash of the secret. */
  readonly secret_hash: string;
  /** The roles it carries, a subset of the user's on the project. @default - all the user's roles on the project */
  readonly roles?: readonly KeystoneRole[];
  /** ISO 8601. @default - never expires */
  readonly expires_at?: string;
}

/** `<data>/identity.json`, as docs/identity.md describes it. */
export interface IdentityConfig {
  readonly domains: readonly Domain[];
  readonly projects: readonly Project[];
  readonly users: readonly User[];
  readonly role_assignments: readonly RoleAssignment[];
  readonly application_credentials: readonly ApplicationCredential[];
}

type Fields = Record<string, unknown>;

/** Checks an identity configuration, naming the first entry that is wrong and why. */
export function parseIdentityConfig(document: unknown, source = 'the identity configuration'): IdentityConfig {
  if (!isObject(document)) throw new IdentityConfigError(`${source} must be a JSON object`);
  const list = (key: string): Fields[] => {
    const value = document[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every(isObject)) throw new IdentityConfigError(`${source}: "${key}" must be an array of objects`);
    return value as Fields[];
  };
  const text = (entry: Fields, key: string, where: string, fallback?: string): string => {
    const value = entry[key] ?? fallback;
    if (typeof value !== 'string' || value === '') throw new IdentityConfigError(`${where}.${key} must be a non-empty string`);
    return value;
  };
  const hash = (entry: Fields, key: string, where: string): string => {
    const value = text(entry, key, where);
    if (!isSecretHash(value)) throw new IdentityConfigError(`${where}.${key} must be a scrypt hash as "node local/identity/hash-secret.ts" prints it, never a clear secret`);
    return value;
  };
  const role = (value: unknown, where: string): KeystoneRole => {
    if (typeof value !== 'string' || !ROLES.includes(value)) throw new IdentityConfigError(`${where} must be one of ${ROLES.join(', ')}`);
    return value as KeystoneRole;
  };

  const domains: Domain[] = [DEFAULT_DOMAIN, ...list('domains').map((d, i) => ({ id: text(d, 'id', `${source}: domains[${i}]`), name: text(d, 'name', `${source}: domains[${i}]`) }))
    .filter((d, i) => i === 0 || d.id !== DEFAULT_DOMAIN.id)];
  const domainIds = new Set(domains.map((d) => d.id));
  const inDomain = (entry: Fields, where: string): string => {
    const id = text(entry, 'domain_id', where, DEFAULT_DOMAIN.id);
    if (!domainIds.has(id)) throw new IdentityConfigError(`${where}.domain_id names domain ${id}, which is not in "domains"`);
    return id;
  };
  const projects = list('projects').map((p, i): Project => {
    const where = `${source}: projects[${i}]`;
    return { id: text(p, 'id', where), name: text(p, 'name', where), domain_id: inDomain(p, where) };
  });
  const users = list('users').map((u, i): User => {
    const where = `${source}: users[${i}]`;
    if (u['enabled'] !== undefined && typeof u['enabled'] !== 'boolean') throw new IdentityConfigError(`${where}.enabled, if given, must be true or false`);
    return { id: text(u, 'id', where), name: text(u, 'name', where), domain_id: inDomain(u, where), password_hash: hash(u, 'password_hash', where), enabled: u['enabled'] !== false };
  });
  unique(projects, (p) => p.id, `${source}: project id`);
  unique(projects, (p) => `${p.domain_id}/${p.name}`, `${source}: project name in its domain`);
  unique(users, (u) => u.id, `${source}: user id`);
  unique(users, (u) => `${u.domain_id}/${u.name}`, `${source}: user name in its domain`);
  const userIds = new Set(users.map((u) => u.id));
  const projectIds = new Set(projects.map((p) => p.id));
  const known = (value: string, ids: Set<string>, where: string, what: string): string => {
    if (!ids.has(value)) throw new IdentityConfigError(`${where} names ${what} ${value}, which is not in "${what}s"`);
    return value;
  };
  const roleAssignments = list('role_assignments').map((a, i): RoleAssignment => {
    const where = `${source}: role_assignments[${i}]`;
    return {
      user_id: known(text(a, 'user_id', where), userIds, `${where}.user_id`, 'user'),
      project_id: known(text(a, 'project_id', where), projectIds, `${where}.project_id`, 'project'),
      role: role(a['role'], `${where}.role`),
    };
  });
  const applicationCredentials = list('application_credentials').map((c, i): ApplicationCredential => {
    const where = `${source}: application_credentials[${i}]`;
    const roles = c['roles'];
    if (roles !== undefined && !Array.isArray(roles)) throw new IdentityConfigError(`${where}.roles, if given, must be an array of role names`);
    const expiresAt = c['expires_at'];
    if (expiresAt !== undefined && expiresAt !== null && (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt)))) {
      throw new IdentityConfigError(`${where}.expires_at, if given, must be an ISO 8601 time`);
    }
    return {
      id: text(c, 'id', where),
      name: text(c, 'name', where),
      user_id: known(text(c, 'user_id', where), userIds, `${where}.user_id`, 'user'),
      project_id: known(text(c, 'project_id', where), projectIds, `${where}.project_id`, 'project'),
      secret_hash: hash(c, 'secret_hash', where),
      ...(roles === undefined ? {} : { roles: (roles as unknown[]).map((r, j) => role(r, `${where}.roles[${j}]`)) }),
      ...(typeof expiresAt === 'string' ? { expires_at: expiresAt } : {}),
    };
  });
  unique(applicationCredentials, (c) => c.id, `${source}: application credential id`);
  return { domains, projects, users, role_assignments: roleAssignments, application_credentials: applicationCredentials };
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unique<T>(items: readonly T[], key: (item: T) => string, what: string): void {
  const seen = new Set<string>();
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) throw new IdentityConfigError(`${what} ${k} appears twice`);
    seen.add(k);
  }
}
