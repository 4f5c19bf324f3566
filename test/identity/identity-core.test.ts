import { describe, expect, it } from 'vitest';
import { CompositeTokenVerifier } from '../../lambdas/core/auth/composite-token-verifier.ts';
import { HashedTokenVerifier, sha256Hex } from '../../lambdas/core/auth/hashed-token-verifier.ts';
import { UnauthorizedError } from '../../lambdas/core/errors.ts';
import { IdentityConfigError, TokenNotFoundError } from '../../lambdas/core/identity/errors.ts';
import { parseIdentityConfig, withImpliedRoles } from '../../lambdas/core/identity/identity-config.ts';
import { KeystoneIdentity, type RevocationList } from '../../lambdas/core/identity/keystone-identity.ts';
import { KeystoneTokenVerifier } from '../../lambdas/core/identity/keystone-token-verifier.ts';
import { hashSecret, isSecretHash, verifySecret } from '../../lambdas/core/identity/password-hash.ts';
import { TokenSigner } from '../../lambdas/core/identity/token-signer.ts';

const KEY = Buffer.alloc(32, 7);
/** Well-formed (salt and 32-byte key), so the configuration's other checks are reached. */
const A_HASH = `scrypt$16384$8$1$c2FsdHNhbHRzYWx0$${'A'.repeat(43)}`;

class MemoryRevocations implements RevocationList {
  readonly ids = new Set<string>();
  isRevoked(id: string) {
    return this.ids.has(id);
  }
  async revoke(id: string) {
    this.ids.add(id);
  }
}

async function identity(now: () => number = Date.now) {
  const config = parseIdentityConfig({
    projects: [{ id: 'p1', name: 'one' }],
    users: [
      { id: 'u1', name: 'ann', password_hash: await hashSecret('pw') },
      { id: 'u2', name: 'off', password_hash: await hashSecret('pw'), enabled: false },
    ],
    role_assignments: [{ user_id: 'u1', project_id: 'p1', role: 'reader' }, { user_id: 'u2', project_id: 'p1', role: 'member' }],
  });
  return new KeystoneIdentity({ config, signer: new TokenSigner(KEY), revocations: new MemoryRevocations(), now });
}

const passwordAuth = (user: string, password: string) => ({
  auth: { identity: { methods: ['password'], password: { user: { id: user, password } } }, scope: { project: { id: 'p1' } } },
});

describe('Function: hashSecret / verifySecret', () => {
  it('keeps a salted scrypt hash that matches only its own secret', async () => {
    // Act
    const first = await hashSecret('s3cret');
    const second = await hashSecret('s3cret');

    // Assess
    expect(first).not.toBe(second);
    expect(first).not.toContain('s3cret');
    expect(isSecretHash(first)).toBe(true);
    expect(await verifySecret('s3cret', first)).toBe(true);
    expect(await verifySecret('s3cret ', first)).toBe(false);
    expect(await verifySecret('s3cret', 'plain-text')).toBe(false);
  });
});

describe('Class: TokenSigner', () => {
  describe('Method: verify', () => {
    it('gives back the claims it signed, and refuses an altered token or another key\'s', () => {
      // Prepare
      const signer = new TokenSigner(KEY);
      const claims = { id: 'i', user_id: 'u', project_id: 'p', roles: ['member' as const], methods: ['password'], issued_at: 1, expires_at: 2 };
      const token = signer.sign(claims);
      const [version, body, mac] = token.split('.');
      const altered = `${version}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${mac}`;

      // Act / Assess
      expect(signer.verify(token)).toEqual(claims);
      expect(() => signer.verify(altered)).toThrow(UnauthorizedError);
      expect(() => new TokenSigner(Buffer.alloc(32, 8)).verify(token)).toThrow(UnauthorizedError);
      expect(() => signer.verify(`${version}.${body}`)).toThrow(UnauthorizedError);
    });
  });
});

describe('Function: parseIdentityConfig', () => {
  it.each([
    ['a clear password', { users: [{ id: 'u', name: 'n', password_hash: 'hunter2' }] }, /users\[0\]\.password_hash must be a scrypt hash/],
    ['an assignment to an unknown user', { projects: [{ id: 'p', name: 'p' }], users: [], role_assignments: [{ user_id: 'u', project_id: 'p', role: 'member' }] }, /role_assignments\[0\]\.user_id names user u/],
    ['a role Manila\'s policy does not know', { projects: [{ id: 'p', name: 'p' }], users: [{ id: 'u', name: 'n', password_hash: A_HASH }], role_assignments: [{ user_id: 'u', project_id: 'p', role: 'owner' }] }, /role_assignments\[0\]\.role must be one of admin, member, reader/],
    ['a domain not declared', { projects: [{ id: 'p', name: 'p', domain_id: 'nowhere' }] }, /projects\[0\]\.domain_id names domain nowhere/],
    ['a duplicate project name', { projects: [{ id: 'a', name: 'p' }, { id: 'b', name: 'p' }] }, /project name in its domain default\/p appears twice/],
  ])('refuses %s, naming the entry', (_case, document, message) => {
    // Act / Assess
    expect(() => parseIdentityConfig(document)).toThrow(IdentityConfigError);
    expect(() => parseIdentityConfig(document)).toThrow(message);
  });

  it('lists implied roles as Keystone does: admin > member > reader', () => {
    // Act / Assess
    expect(withImpliedRoles(['admin'])).toEqual(['admin', 'member', 'reader']);
    expect(withImpliedRoles(['member'])).toEqual(['member', 'reader']);
    expect(withImpliedRoles(['reader'])).toEqual(['reader']);
  });
});

describe('Class: KeystoneIdentity', () => {
  describe('Method: validate', () => {
    it('refuses a token once it has expired, and issues none to a disabled user', async () => {
      // Prepare
      let now = 1_000_000;
      const keystone = await identity(() => now);
      const { token } = await keystone.issue(passwordAuth('u1', 'pw'));

      // Act
      now += 3600_000;

      // Assess
      expect(() => keystone.validate(token)).toThrow(TokenNotFoundError);
      await expect(keystone.issue(passwordAuth('u2', 'pw'))).rejects.toThrow(UnauthorizedError);
    });
  });
});

describe('Class: CompositeTokenVerifier', () => {
  describe('Method: verify', () => {
    it('takes the admin token and Keystone tokens, with the Keystone roles; refuses anything else with UnauthorizedError', async () => {
      // Prepare
      const keystone = await identity();
      const { token } = await keystone.issue(passwordAuth('u1', 'pw'));
      const verifier = new CompositeTokenVerifier([new HashedTokenVerifier(sha256Hex('admin-token')), new KeystoneTokenVerifier(keystone)]);

      // Act
      const admin = await verifier.verify('admin-token');
      const reader = await verifier.verify(token);

      // Assess
      expect(admin).toEqual({ projectId: 'admin', userId: 'admin', isAdmin: true });
      expect(reader).toEqual({ projectId: 'p1', userId: 'u1', isAdmin: false, roles: ['reader'] });
      await expect(verifier.verify('nothing')).rejects.toThrow(UnauthorizedError);
    });

    it('throws a verifier\'s own failure at once rather than a 401', async () => {
      // Prepare
      const broken = { verify: async () => { throw new Error('secret store unreachable'); } };
      const verifier = new CompositeTokenVerifier([broken, new HashedTokenVerifier(sha256Hex('admin-token'))]);

      // Act / Assess
      await expect(verifier.verify('admin-token')).rejects.toThrow('secret store unreachable');
    });
  });
});
