import { UnauthorizedError } from '../errors.ts';
import { parseAuthRequest, type AuthRequest, type DomainRef, type ProjectRef, type Scope, type UserRef } from './auth-request.ts';
import { TokenNotFoundError } from './errors.ts';
import { withImpliedRoles, type ApplicationCredential, type Domain, type IdentityConfig, type KeystoneRole, type Project, type User } from './identity-config.ts';
import { verifySecret } from './password-hash.ts';
import { TokenSigner, type TokenClaims } from './token-signer.ts';

/** Where revoked token ids are kept until the tokens would have expired anyway. Implemented by local/identity. */
export interface RevocationList {
  isRevoked(tokenId: string): boolean;
  revoke(tokenId: string, expiresAt: number): Promise<void>;
}

/** A valid token, with the user and project it names as they are now. */
export interface ValidToken {
  readonly claims: TokenClaims;
  readonly user: User;
  readonly userDomain: Domain;
  readonly project?: { readonly project: Project; readonly domain: Domain };
  readonly applicationCredential?: ApplicationCredential;
}

export interface KeystoneIdentityOptions {
  readonly config: IdentityConfig;
  readonly signer: TokenSigner;
  readonly revocations: RevocationList;
  /** Keystone's [token] expiration. @default 3600 */
  readonly tokenTtlSeconds?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Keystone's answer to bad credentials: it says no more than this, whichever part was wrong. */
const NOT_AUTHENTICATED = 'The request you have made requires authentication.';

/**
 * The Keystone v3 subset the embedded runtime serves: password, application credential and token
 * (rescoping) authentication against the identity configuration; stateless signed tokens; revocation.
 * Every check a token passes at issue is made again when it is used (user enabled, role still held),
 * as Keystone's validation does.
 */
export class KeystoneIdentity {
  private readonly config: IdentityConfig;
  private readonly signer: TokenSigner;
  private readonly revocations: RevocationList;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: KeystoneIdentityOptions) {
    this.config = options.config;
    this.signer = options.signer;
    this.revocations = options.revocations;
    this.ttlMs = (options.tokenTtlSeconds ?? 3600) * 1000;
    this.now = options.now ?? Date.now;
  }

  /** `POST /v3/auth/tokens`: IdentityRequestError (400) for a malformed body, UnauthorizedError (401) for anything refused. */
  async issue(body: unknown): Promise<{ readonly token: string; readonly valid: ValidToken }> {
    const request = parseAuthRequest(body);
    const now = this.now();
    let claims: TokenClaims;
    if (request.method === 'application_credential') {
      const credential = await this.applicationCredential(request);
      if (request.scope.kind !== 'unscoped') throw new UnauthorizedError('An application credential is scoped to its project already; do not request a scope.');
      const held = this.rolesOn(credential.user_id, credential.project_id);
      const roles = credential.roles === undefined ? held : credential.roles.filter((r) => held.includes(r));
      if (roles.length === 0) throw new UnauthorizedError(NOT_AUTHENTICATED);
      const expiresAt = Math.min(now + this.ttlMs, credential.expires_at === undefined ? Infinity : Date.parse(credential.expires_at));
      claims = this.claims(credential.user_id, credential.project_id, withImpliedRoles(roles), ['application_credential'], now, expiresAt, credential.id);
    } else {
      const { user, methods, expiresAt } = request.method === 'password'
        ? { user: await this.passwordUser(request), methods: ['password'], expiresAt: now + this.ttlMs }
        : this.tokenUser(request);
      const project = this.scopedProject(user, request.scope);
      claims = this.claims(user.id, project?.id, project ? this.rolesOn(user.id, project.id) : [], methods, now, expiresAt);
    }
    const token = this.signer.sign(claims);
    return { token, valid: this.validate(token) };
  }

  /** The token as it stands now; TokenNotFoundError when it is not (or no longer) valid, as Keystone's 404 says. */
  validate(token: string): ValidToken {
    let claims: TokenClaims;
    try {
      claims = this.signer.verify(token);
    } catch (cause) {
      throw new TokenNotFoundError('Could not find token.', { cause });
    }
    if (claims.expires_at <= this.now() || this.revocations.isRevoked(claims.id)) throw new TokenNotFoundError(`Could not find token: ${claims.id}.`);
    const user = this.config.users.find((u) => u.id === claims.user_id);
    if (user === undefined || !user.enabled) throw new TokenNotFoundError(`Could not find token: ${claims.id}.`);
    const valid = { claims, user, userDomain: this.domain(user.domain_id) };
    if (claims.project_id === undefined) return valid;
    const project = this.config.projects.find((p) => p.id === claims.project_id);
    const held = this.rolesOn(user.id, claims.project_id);
    if (project === undefined || held.length === 0 || !claims.roles.every((r) => held.includes(r))) throw new TokenNotFoundError(`Could not find token: ${claims.id}.`);
    let applicationCredential: ApplicationCredential | undefined;
    if (claims.application_credential_id !== undefined) {
      applicationCredential = this.config.application_credentials.find((c) => c.id === claims.application_credential_id);
      if (applicationCredential === undefined) throw new TokenNotFoundError(`Could not find token: ${claims.id}.`);
    }
    return { ...valid, project: { project, domain: this.domain(project.domain_id) }, ...(applicationCredential ? { applicationCredential } : {}) };
  }

  /** `DELETE /v3/auth/tokens`: the token is refused from now on, here and after a restart (if the list is kept). */
  async revoke(token: string): Promise<void> {
    const { claims } = this.validate(token);
    await this.revocations.revoke(claims.id, claims.expires_at);
  }

  /** The projects a user holds a role on (`GET /v3/auth/projects`, `GET /v3/users/{id}/projects`). */
  projectsOf(userId: string): { readonly project: Project; readonly domain: Domain }[] {
    const ids = new Set(this.config.role_assignments.filter((a) => a.user_id === userId).map((a) => a.project_id));
    return this.config.projects.filter((p) => ids.has(p.id)).map((project) => ({ project, domain: this.domain(project.domain_id) }));
  }

  /** The user's roles on the project, implied roles included, in Keystone's order (admin, member, reader). */
  rolesOn(userId: string, projectId: string): KeystoneRole[] {
    return withImpliedRoles(this.config.role_assignments.filter((a) => a.user_id === userId && a.project_id === projectId).map((a) => a.role));
  }

  private claims(userId: string, projectId: string | undefined, roles: KeystoneRole[], methods: string[], now: number, expiresAt: number, credentialId?: string): TokenClaims {
    return {
      id: TokenSigner.newTokenId(),
      user_id: userId,
      ...(projectId === undefined ? {} : { project_id: projectId }),
      roles,
      methods,
      issued_at: now,
      expires_at: expiresAt,
      ...(credentialId === undefined ? {} : { application_credential_id: credentialId }),
    };
  }

  private async passwordUser(request: Extract<AuthRequest, { method: 'password' }>): Promise<User> {
    const user = this.findUser(request.user);
    // A missing user costs a hash too, so the time taken does not tell which names exist.
    const matches = await verifySecret(request.password, user?.password_hash ?? DUMMY_HASH);
    if (user === undefined || !matches || !user.enabled) throw new UnauthorizedError(NOT_AUTHENTICATED);
    return user;
  }

  private tokenUser(request: Extract<AuthRequest, { method: 'token' }>): { user: User; methods: string[]; expiresAt: number } {
    let valid: ValidToken;
    try {
      valid = this.validate(request.token);
    } catch (cause) {
      throw new UnauthorizedError(NOT_AUTHENTICATED, {}, { cause });
    }
    // Keystone: a token from an application credential cannot be rescoped; a new token keeps the old one's expiry.
    if (valid.claims.application_credential_id !== undefined) throw new UnauthorizedError('A token created with an application credential cannot be rescoped.');
    return { user: valid.user, methods: [...new Set([...valid.claims.methods, 'token'])], expiresAt: valid.claims.expires_at };
  }

  private async applicationCredential(request: Extract<AuthRequest, { method: 'application_credential' }>): Promise<ApplicationCredential> {
    const ref = request.credential;
    let credential: ApplicationCredential | undefined;
    if ('id' in ref) {
      credential = this.config.application_credentials.find((c) => c.id === ref.id);
    } else {
      const user = this.findUser(ref.user);
      credential = user && this.config.application_credentials.find((c) => c.user_id === user.id && c.name === ref.name);
    }
    const matches = await verifySecret(request.secret, credential?.secret_hash ?? DUMMY_HASH);
    const user = credential && this.config.users.find((u) => u.id === credential.user_id);
    const expired = credential?.expires_at !== undefined && Date.parse(credential.expires_at) <= this.now();
    if (credential === undefined || !matches || !user?.enabled || expired) throw new UnauthorizedError(NOT_AUTHENTICATED);
    return credential;
  }

  private scopedProject(user: User, scope: Scope): Project | undefined {
    if (scope.kind === 'unscoped') return undefined;
    if (scope.kind === 'unsupported') throw new UnauthorizedError(`Scope ${scope.what} is not served here: ask for a project scope.`);
    const project = this.findProject(scope.project);
    if (project === undefined || this.rolesOn(user.id, project.id).length === 0) {
      throw new UnauthorizedError(`User ${user.id} has no access to project ${'id' in scope.project ? scope.project.id : scope.project.name}.`);
    }
    return project;
  }

  private findUser(ref: UserRef): User | undefined {
    if ('id' in ref) return this.config.users.find((u) => u.id === ref.id);
    const domain = this.findDomain(ref.domain);
    return domain && this.config.users.find((u) => u.name === ref.name && u.domain_id === domain.id);
  }

  private findProject(ref: ProjectRef): Project | undefined {
    if ('id' in ref) return this.config.projects.find((p) => p.id === ref.id);
    const domain = this.findDomain(ref.domain);
    return domain && this.config.projects.find((p) => p.name === ref.name && p.domain_id === domain.id);
  }

  private findDomain(ref: DomainRef): Domain | undefined {
    return 'id' in ref ? this.config.domains.find((d) => d.id === ref.id) : this.config.domains.find((d) => d.name === ref.name);
  }

  private domain(id: string): Domain {
    return this.config.domains.find((d) => d.id === id) ?? { id, name: id };
  }
}

/** A valid hash of no one's secret, checked when the user or credential is unknown (see passwordUser). */
const DUMMY_HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0$' + Buffer.alloc(32).toString('base64url');
