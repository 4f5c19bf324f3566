import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError, UnauthorizedError } from '../../lambdas/core/errors.ts';
import { ExternalKeystoneTokenVerifier, type KeystoneTokenValidation, type ValidatedKeystoneToken } from '../../lambdas/core/identity/external-keystone-verifier.ts';

/** A Keystone that answers from a table and counts the questions. */
class TableKeystone implements KeystoneTokenValidation {
  readonly asked: string[] = [];
  readonly tokens: Map<string, ValidatedKeystoneToken>;
  constructor(tokens: Map<string, ValidatedKeystoneToken>) {
    this.tokens = tokens;
  }
  async validate(token: string) {
    this.asked.push(token);
    return this.tokens.get(token);
  }
}

const T0 = Date.parse('2026-12-08T10:00:00Z');
const valid = (roles: string[], overrides: Partial<ValidatedKeystoneToken> = {}): ValidatedKeystoneToken => ({
  userId: 'u-1', projectId: 'p-1', roles, expiresAt: new Date(T0 + 3600_000), ...overrides,
});

describe('Class: ExternalKeystoneTokenVerifier', () => {
  describe('Method: verify', () => {
    it('maps Keystone\'s roles to Manila\'s personas (admin, member or _member_, reader) with their implied roles', async () => {
      // Prepare
      const keystone = new TableKeystone(new Map([
        ['admin', valid(['Admin'])], ['member', valid(['member'])], ['legacy', valid(['_member_', 'heat_stack_owner'])], ['reader', valid(['reader'])],
      ]));
      const verifier = new ExternalKeystoneTokenVerifier(keystone, { now: () => T0 });

      // Act
      const [admin, member, legacy, reader] = await Promise.all(['admin', 'member', 'legacy', 'reader'].map((t) => verifier.verify(t)));

      // Assess
      expect(admin).toEqual({ projectId: 'p-1', userId: 'u-1', isAdmin: true, roles: ['admin', 'member', 'reader'] });
      expect(member).toEqual({ projectId: 'p-1', userId: 'u-1', isAdmin: false, roles: ['member', 'reader'] });
      expect(legacy).toEqual(member);
      expect(reader).toEqual({ projectId: 'p-1', userId: 'u-1', isAdmin: false, roles: ['reader'] });
    });

    it('refuses (401) an unknown token, an unscoped one, one without a Manila role, and one past its expiry', async () => {
      // Prepare
      const keystone = new TableKeystone(new Map([
        ['unscoped', valid(['member'], { projectId: undefined })], ['no-role', valid(['heat_stack_owner'])],
        ['expired', valid(['member'], { expiresAt: new Date(T0 - 1) })],
      ]));
      const verifier = new ExternalKeystoneTokenVerifier(keystone, { now: () => T0 });

      // Act / Assess
      await expect(verifier.verify('unknown')).rejects.toThrow(UnauthorizedError);
      await expect(verifier.verify('unscoped')).rejects.toThrow(/not project-scoped/);
      await expect(verifier.verify('no-role')).rejects.toThrow(/no role Manila knows \(admin, member, reader\) on project p-1/);
      await expect(verifier.verify('expired')).rejects.toThrow(UnauthorizedError);
      await expect(verifier.verify(undefined)).rejects.toThrow(/X-Auth-Token is required/);
    });

    it('keeps an answer for cacheSeconds, never past the token\'s expiry, then asks again', async () => {
      // Prepare
      let now = T0;
      const keystone = new TableKeystone(new Map([['long', valid(['member'])], ['short', valid(['member'], { expiresAt: new Date(T0 + 10_000) })]]));
      const verifier = new ExternalKeystoneTokenVerifier(keystone, { cacheSeconds: 60, now: () => now });

      // Act
      await verifier.verify('long');
      await verifier.verify('short');
      now = T0 + 59_000;
      await verifier.verify('long');
      keystone.tokens.delete('short'); // revoked at Keystone
      const shortAfterExpiry = verifier.verify('short');
      await expect(shortAfterExpiry).rejects.toThrow(UnauthorizedError);
      now = T0 + 61_000;
      keystone.tokens.delete('long'); // revoked: seen once the kept answer is too old
      const longAfterCache = verifier.verify('long');

      // Assess
      await expect(longAfterCache).rejects.toThrow(UnauthorizedError);
      expect(keystone.asked).toEqual(['long', 'short', 'short', 'long']);
    });

    it('keeps at most maxEntries answers, the oldest going first', async () => {
      // Prepare
      const keystone = new TableKeystone(new Map([['a', valid(['member'])], ['b', valid(['member'])], ['c', valid(['member'])]]));
      const verifier = new ExternalKeystoneTokenVerifier(keystone, { maxEntries: 2, now: () => T0 });

      // Act
      for (const token of ['a', 'b', 'c', 'b', 'a']) await verifier.verify(token);

      // Assess: a was pushed out by c; b was still kept.
      expect(keystone.asked).toEqual(['a', 'b', 'c', 'a']);
    });

    it('passes ServiceUnavailableError through and keeps nothing of it', async () => {
      // Prepare
      let down = true;
      const keystone: KeystoneTokenValidation = {
        validate: async () => {
          if (down) throw new ServiceUnavailableError('Keystone at https://k/v3 did not answer validating a token: timeout');
          return valid(['member']);
        },
      };
      const verifier = new ExternalKeystoneTokenVerifier(keystone, { now: () => T0 });

      // Act
      const whileDown = verifier.verify('t');
      await expect(whileDown).rejects.toThrow(ServiceUnavailableError);
      down = false;

      // Assess
      await expect(verifier.verify('t')).resolves.toMatchObject({ projectId: 'p-1' });
    });
  });

  it('refuses a negative cache time at construction', () => {
    expect(() => new ExternalKeystoneTokenVerifier(new TableKeystone(new Map()), { cacheSeconds: -5 })).toThrow(/>= 0/);
  });
});
