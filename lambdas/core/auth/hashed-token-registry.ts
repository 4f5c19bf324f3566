import { timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors.ts';
import type { TokenVerifier } from '../services.ts';
import { sha256Hex } from './hashed-token-verifier.ts';

/**
 * Manila's personas: `admin` may migrate, retype and see every project; `member` works in its own
 * project; `reader` only reads it (Keystone tokens only: the token document names admins and members).
 */
export const Role = { ADMIN: 'admin', MEMBER: 'member', READER: 'reader' } as const;
export type Role = (typeof Role)[keyof typeof Role];
/** The roles a token document entry may have. */
export type HashedTokenRole = typeof Role.ADMIN | typeof Role.MEMBER;

/** The project an admin token from AdminTokenSha256 acts in (as HashedTokenVerifier). */
export const ADMIN_PROJECT_ID = 'admin';

/** Who a valid token belongs to. */
export interface Principal {
  /** Stable and safe to log: the entry's name, or `sha256:` and the first 12 hex digits of its hash. */
  readonly userId: string;
  readonly role: Role;
  readonly projectId: string;
  /** Keystone's role names on the project (implied ones included), for a Keystone token. @default - none: `role` alone */
  readonly roles?: readonly string[];
}

/** One entry of the token document: the SHA-256 of a token (never the token), its role and project. */
export interface HashedToken {
  readonly sha256: string;
  readonly role: HashedTokenRole;
  readonly project_id: string;
  /** What the logs and the API call the caller. @default - `sha256:` and the hash's first 12 hex digits */
  readonly name?: string;
}

/**
 * The token document, as kept in Secrets Manager:
 * `{"tokens":[{"sha256":"<64 hex>","role":"admin"|"member","project_id":"<project>","name":"<optional>"}]}`.
 */
export interface TokenDocument {
  readonly tokens: readonly HashedToken[];
}

/** Where the token document lives (the Secrets Manager secret on AWS). Owned by the domain, implemented by an adapter. */
export interface TokenDocumentSource {
  /** The document, parsed from JSON but not yet checked. */
  read(): Promise<unknown>;
}

/** The token document is not what `TokenDocument` describes: a deployment fault, never the caller's. */
export class TokenDocumentError extends Error {
  override readonly name = 'TokenDocumentError';
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Checks a token document, naming the first entry that is wrong and why. */
export function parseTokenDocument(document: unknown, source = 'the token document'): TokenDocument {
  if (typeof document !== 'object' || document === null || !Array.isArray((document as { tokens?: unknown }).tokens)) {
    throw new TokenDocumentError(`${source} must be a JSON object {"tokens":[...]}`);
  }
  const tokens = (document as { tokens: unknown[] }).tokens.map((entry, index): HashedToken => {
    const where = `${source}: tokens[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new TokenDocumentError(`${where} must be an object`);
    const { sha256, role, project_id: projectId, name } = entry as Record<string, unknown>;
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
      throw new TokenDocumentError(`${where}.sha256 must be the 64 lower-case hex digits of the token's SHA-256`);
    }
    if (role !== Role.ADMIN && role !== Role.MEMBER) throw new TokenDocumentError(`${where}.role must be "admin" or "member"`);
    if (typeof projectId !== 'string' || projectId === '') throw new TokenDocumentError(`${where}.project_id must be a non-empty string`);
    if (name !== undefined && (typeof name !== 'string' || name === '')) throw new TokenDocumentError(`${where}.name, if given, must be a non-empty string`);
    return { sha256, role, project_id: projectId, ...(name === undefined ? {} : { name }) };
  });
  return { tokens };
}

/**
 * The domain's token check: a token is valid when its SHA-256 is one of the known hashes. Every hash
 * is compared, in constant time, whatever matched first, so the time taken tells nothing about which
 * entry (if any) a token is close to.
 */
export class HashedTokenRegistry implements TokenVerifier {
  private readonly entries: readonly { readonly hash: Buffer; readonly principal: Principal }[];

  constructor(document: TokenDocument) {
    this.entries = document.tokens.map((token) => ({
      hash: Buffer.from(token.sha256, 'hex'),
      principal: { userId: token.name ?? `sha256:${token.sha256.slice(0, 12)}`, role: token.role, projectId: token.project_id },
    }));
  }

  /** A registry of the admin token alone (the AdminTokenSha256 parameter), merged with `document` if given. */
  static withAdmin(adminTokenSha256: string | undefined, document: TokenDocument = { tokens: [] }): HashedTokenRegistry {
    if (adminTokenSha256 === undefined) return new HashedTokenRegistry(document);
    if (!SHA256_HEX.test(adminTokenSha256)) throw new TokenDocumentError('The admin token hash must be the 64 lower-case hex digits of its SHA-256');
    const admin: HashedToken = { sha256: adminTokenSha256, role: Role.ADMIN, project_id: ADMIN_PROJECT_ID, name: 'admin' };
    return new HashedTokenRegistry({ tokens: [admin, ...document.tokens] });
  }

  /** The principal of `token`, or UnauthorizedError. */
  authenticate(token: string | undefined): Principal {
    if (!token) throw new UnauthorizedError('X-Auth-Token is required.');
    const given = Buffer.from(sha256Hex(token), 'hex');
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(given, entry.hash) && found === undefined) found = entry.principal;
    }
    if (found === undefined) throw new UnauthorizedError('The X-Auth-Token is not valid.');
    return found;
  }

  async verify(token: string | undefined) {
    const principal = this.authenticate(token);
    return { projectId: principal.projectId, userId: principal.userId, isAdmin: principal.role === Role.ADMIN };
  }
}

export interface TokenStoreOptions {
  /** The admin token's SHA-256 (the AdminTokenSha256 parameter), valid next to the document's entries. @default - none */
  readonly adminTokenSha256?: string;
  /** How long a read document is used before it is read again, so a changed secret takes effect. @default 300_000 (5 minutes) */
  readonly maxAgeMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * The registry over a TokenDocumentSource, read on first use and again once `maxAgeMs` has passed. A
 * source that cannot be read, or reads as a malformed document, fails the check with its error (never
 * an UnauthorizedError): the caller is not at fault, and the authorizer reports it as its own failure.
 */
export class HashedTokenStore implements TokenVerifier {
  private readonly source: TokenDocumentSource;
  private readonly adminTokenSha256: string | undefined;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private cached: { readonly registry: HashedTokenRegistry; readonly readAt: number } | undefined;

  constructor(source: TokenDocumentSource, options: TokenStoreOptions = {}) {
    this.source = source;
    this.adminTokenSha256 = options.adminTokenSha256;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new UnauthorizedError('X-Auth-Token is required.');
    return (await this.registry()).authenticate(token);
  }

  async verify(token: string | undefined) {
    return (await this.registry()).verify(token);
  }

  private async registry(): Promise<HashedTokenRegistry> {
    const now = this.now();
    if (this.cached !== undefined && now - this.cached.readAt < this.maxAgeMs) return this.cached.registry;
    const document = parseTokenDocument(await this.source.read(), 'the token secret');
    const registry = HashedTokenRegistry.withAdmin(this.adminTokenSha256, document);
    this.cached = { registry, readAt: now };
    return registry;
  }
}
