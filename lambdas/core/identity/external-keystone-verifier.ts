import { createHash } from 'node:crypto';
import { UnauthorizedError } from '../errors.ts';
import type { TokenVerifier } from '../services.ts';
import { KeystoneRole, withImpliedRoles } from './identity-config.ts';

/**
 * X-Auth-Token checked by an existing Keystone (issue 17, item 2b), as keystonemiddleware's auth_token
 * checks it for Manila: the service asks Keystone (`GET /v3/auth/tokens` with its own service token) and
 * keeps the answer for a while, so a busy API does not ask again for every request.
 */

/** What Keystone said of a token it holds valid. */
export interface ValidatedKeystoneToken {
  readonly userId: string;
  /** The token's project; undefined for an unscoped (or domain- or system-scoped) token. */
  readonly projectId: string | undefined;
  /** Role names on that project, as Keystone lists them (implied roles included). */
  readonly roles: readonly string[];
  readonly expiresAt: Date;
}

/** The port to Keystone (the adapter: lambdas/adapters/keystone). */
export interface KeystoneTokenValidation {
  /**
   * The token as Keystone validates it now; undefined when Keystone says it is not valid (404). Throws
   * ServiceUnavailableError when Keystone cannot answer, so that a valid token is never refused for that.
   */
  validate(token: string): Promise<ValidatedKeystoneToken | undefined>;
}

export interface ExternalKeystoneVerifierOptions {
  /**
   * How long an answer is kept, seconds: a revoked token is refused at most this long after. As
   * keystonemiddleware's `token_cache_time`. 0 asks Keystone every time. @default 300
   */
  readonly cacheSeconds?: number;
  /** Tokens kept at most (the oldest answers go first). @default 10000 */
  readonly maxEntries?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

interface Kept {
  readonly until: number;
  readonly token: ValidatedKeystoneToken | undefined;
}

export const DEFAULT_KEYSTONE_CACHE_SECONDS = 300;
const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Keystone's roles on the token's project decide Manila's persona, as Manila's default policies do:
 * `admin` is an admin; `member` (or the legacy `_member_`) works in its project; `reader` alone reads.
 * A token with none of these roles is refused (401): Manila's policies would refuse it everything.
 */
export class ExternalKeystoneTokenVerifier implements TokenVerifier {
  private readonly keystone: KeystoneTokenValidation;
  private readonly cacheMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** By the token's SHA-256 (a token is a bearer secret: not kept as such); Map order is insertion order. */
  private readonly answers = new Map<string, Kept>();

  constructor(keystone: KeystoneTokenValidation, options: ExternalKeystoneVerifierOptions = {}) {
    const cacheSeconds = options.cacheSeconds ?? DEFAULT_KEYSTONE_CACHE_SECONDS;
    if (!Number.isFinite(cacheSeconds) || cacheSeconds < 0) throw new Error(`The Keystone cache time must be a number of seconds >= 0, not ${cacheSeconds}`);
    this.keystone = keystone;
    this.cacheMs = cacheSeconds * 1000;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
  }

  async verify(token: string | undefined) {
    if (!token) throw new UnauthorizedError('X-Auth-Token is required.');
    const validated = await this.validated(token);
    if (validated === undefined || validated.expiresAt.getTime() <= this.now()) throw new UnauthorizedError('The X-Auth-Token is not valid.');
    if (validated.projectId === undefined) throw new UnauthorizedError('The X-Auth-Token is not project-scoped: ask for a project-scoped token.');
    const roles = manilaRoles(validated.roles);
    if (roles.length === 0) throw new UnauthorizedError(`The X-Auth-Token's user has no role Manila knows (admin, member, reader) on project ${validated.projectId}.`);
    return { projectId: validated.projectId, userId: validated.userId, isAdmin: roles.includes(KeystoneRole.ADMIN), roles };
  }

  private async validated(token: string): Promise<ValidatedKeystoneToken | undefined> {
    if (this.cacheMs === 0) return this.keystone.validate(token);
    const key = createHash('sha256').update(token).digest('base64url');
    const now = this.now();
    const kept = this.answers.get(key);
    if (kept !== undefined && kept.until > now) return kept.token;
    const answer = await this.keystone.validate(token);
    // Kept no longer than the token lives; a refusal as long as an answer (a token never becomes valid).
    const until = Math.min(now + this.cacheMs, answer?.expiresAt.getTime() ?? Number.POSITIVE_INFINITY);
    this.answers.delete(key);
    this.answers.set(key, { until, token: answer });
    while (this.answers.size > this.maxEntries) this.answers.delete(this.answers.keys().next().value!);
    return answer;
  }
}

/** Keystone's role names as this API's policy reads them (lower-case; `_member_` is `member`), with the roles they imply. */
function manilaRoles(roles: readonly string[]): KeystoneRole[] {
  const names = new Set(roles.map((role) => role.toLowerCase()));
  if (names.has('_member_')) names.add(KeystoneRole.MEMBER);
  // Keystone lists implied roles in a token, but a deployment may have no implied-role rules set up.
  return withImpliedRoles(Object.values(KeystoneRole).filter((role) => names.has(role)));
}
