import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors.ts';
import type { KeystoneRole } from './identity-config.ts';

/** What a token carries: enough to answer for it after a restart without any token store. */
export interface TokenClaims {
  /** Random, 22 characters; also the token's audit id and what a revocation names. */
  readonly id: string;
  readonly user_id: string;
  /** Absent on an unscoped token. */
  readonly project_id?: string;
  /** Role names on the project, implied roles included; empty when unscoped. */
  readonly roles: readonly KeystoneRole[];
  readonly methods: readonly string[];
  /** Epoch milliseconds. */
  readonly issued_at: number;
  readonly expires_at: number;
  readonly application_credential_id?: string;
}

const VERSION = 'k1';
/** Tokens longer than this are refused before any parsing (a header is no place for megabytes). */
const MAX_TOKEN_LENGTH = 4096;

/**
 * Stateless signed tokens: `k1.<claims as base64url JSON>.<HMAC-SHA256 of the first two parts>`. The key
 * lives with the runtime (local/identity keeps it in the data folder, mode 0600), so tokens survive a
 * restart and anyone without the key can neither forge nor alter one.
 */
export class TokenSigner {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length < 32) throw new Error('The token signing key must be at least 32 bytes');
    this.key = key;
  }

  static newTokenId(): string {
    return randomBytes(16).toString('base64url');
  }

  sign(claims: TokenClaims): string {
    const body = `${VERSION}.${Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url')}`;
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The claims of a token this signer made, unaltered; UnauthorizedError for anything else. Expiry is the caller's check. */
  verify(token: string): TokenClaims {
    const parts = token.length <= MAX_TOKEN_LENGTH ? token.split('.') : [];
    if (parts.length !== 3 || parts[0] !== VERSION) throw new UnauthorizedError('The token is not valid.');
    const given = Buffer.from(parts[2]!, 'base64url');
    const expected = this.mac(`${parts[0]}.${parts[1]}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UnauthorizedError('The token is not valid.');
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch (cause) {
      throw new UnauthorizedError('The token is not valid.', {}, { cause });
    }
    return claims as TokenClaims;
  }

  private mac(text: string): Buffer {
    return createHmac('sha256', this.key).update(text, 'utf8').digest();
  }
}
