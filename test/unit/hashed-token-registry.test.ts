import { describe, expect, it } from 'vitest';
import {
  ADMIN_PROJECT_ID,
  HashedTokenRegistry,
  HashedTokenStore,
  Role,
  TokenDocumentError,
  parseTokenDocument,
  type TokenDocument,
} from '../../lambdas/core/auth/hashed-token-registry.ts';
import { sha256Hex } from '../../lambdas/core/auth/hashed-token-verifier.ts';
import { UnauthorizedError } from '../../lambdas/core/errors.ts';

const document: TokenDocument = {
  tokens: [
    { sha256: sha256Hex('ops-token'), role: Role.ADMIN, project_id: 'ops', name: 'ops-team' },
    { sha256: sha256Hex('tenant-token'), role: Role.MEMBER, project_id: 'tenant-a' },
  ],
};

describe('Function: parseTokenDocument', () => {
  it('accepts the documented shape, name optional', () => {
    // Act
    const parsed = parseTokenDocument(JSON.parse(JSON.stringify(document)));

    // Assess
    expect(parsed).toEqual(document);
  });

  it.each([
    ['not an object', 'tokens', /must be a JSON object \{"tokens":\[\.\.\.\]\}/],
    ['no tokens array', { tokens: {} }, /must be a JSON object/],
    ['the token instead of its hash', { tokens: [{ sha256: 'ops-token', role: 'admin', project_id: 'ops' }] }, /tokens\[0\]\.sha256 must be the 64 lower-case hex digits/],
    ['an upper-case hash', { tokens: [{ sha256: sha256Hex('x').toUpperCase(), role: 'admin', project_id: 'ops' }] }, /tokens\[0\]\.sha256/],
    ['an unknown role', { tokens: [{ sha256: sha256Hex('x'), role: 'owner', project_id: 'ops' }] }, /tokens\[0\]\.role must be "admin" or "member"/],
    ['no project', { tokens: [{ sha256: sha256Hex('x'), role: 'member' }] }, /tokens\[0\]\.project_id must be a non-empty string/],
    ['an empty name', { tokens: [{ sha256: sha256Hex('x'), role: 'member', project_id: 'p', name: '' }] }, /tokens\[0\]\.name/],
  ])('refuses %s, naming the entry and what to fix', (_, value, message) => {
    // Act & Assess
    expect(() => parseTokenDocument(value, 'the token secret')).toThrow(TokenDocumentError);
    expect(() => parseTokenDocument(value, 'the token secret')).toThrow(message);
  });
});

describe('Class: HashedTokenRegistry', () => {
  describe('Method: authenticate', () => {
    it.each([
      ['ops-token', { userId: 'ops-team', role: 'admin', projectId: 'ops' }],
      ['tenant-token', { userId: `sha256:${sha256Hex('tenant-token').slice(0, 12)}`, role: 'member', projectId: 'tenant-a' }],
    ])('finds the principal of %s by its hash', (token, principal) => {
      // Act & Assess
      expect(new HashedTokenRegistry(document).authenticate(token)).toEqual(principal);
    });

    it.each([['unknown-token'], [''], [undefined]])('refuses %j with UnauthorizedError', (token) => {
      // Act & Assess
      expect(() => new HashedTokenRegistry(document).authenticate(token)).toThrow(UnauthorizedError);
    });
  });

  describe('Method: withAdmin', () => {
    it('adds the admin token of AdminTokenSha256 as an admin of project admin, next to the document', async () => {
      // Prepare
      const registry = HashedTokenRegistry.withAdmin(sha256Hex('the-admin'), document);

      // Act & Assess
      expect(registry.authenticate('the-admin')).toEqual({ userId: 'admin', role: 'admin', projectId: ADMIN_PROJECT_ID });
      await expect(registry.verify('tenant-token')).resolves.toEqual({ projectId: 'tenant-a', userId: expect.any(String), isAdmin: false });
    });

    it('refuses an admin hash that is not a SHA-256 hex', () => {
      // Act & Assess
      expect(() => HashedTokenRegistry.withAdmin('the-admin')).toThrow(TokenDocumentError);
    });
  });
});

describe('Class: HashedTokenStore', () => {
  /** A source returning the given documents in turn, counting reads. */
  const sourceOf = (...documents: unknown[]) => {
    const source = { reads: 0, read: async () => documents[Math.min(source.reads++, documents.length - 1)] };
    return source;
  };

  it('reads the source once while the read is fresh, and again once it is older than maxAgeMs', async () => {
    // Prepare
    let now = 0;
    const source = sourceOf(document, { tokens: [] });
    const store = new HashedTokenStore(source, { maxAgeMs: 1000, now: () => now });

    // Act & Assess: the first document, twice, one read.
    await expect(store.authenticate('tenant-token')).resolves.toMatchObject({ projectId: 'tenant-a' });
    now = 999;
    await expect(store.authenticate('ops-token')).resolves.toMatchObject({ role: 'admin' });
    expect(source.reads).toBe(1);

    // Act & Assess: the token was removed from the secret; it stops working after maxAgeMs.
    now = 1000;
    await expect(store.authenticate('tenant-token')).rejects.toThrow(UnauthorizedError);
    expect(source.reads).toBe(2);
  });

  it('accepts the admin token with an empty document', async () => {
    // Prepare
    const store = new HashedTokenStore(sourceOf({ tokens: [] }), { adminTokenSha256: sha256Hex('the-admin') });

    // Act & Assess
    await expect(store.verify('the-admin')).resolves.toEqual({ projectId: ADMIN_PROJECT_ID, userId: 'admin', isAdmin: true });
  });

  it('fails with the document error, not UnauthorizedError, when the secret is malformed: the deployment is at fault', async () => {
    // Prepare
    const store = new HashedTokenStore(sourceOf({ tokens: [{ sha256: 'nope' }] }));

    // Act & Assess
    await expect(store.authenticate('tenant-token')).rejects.toThrow(TokenDocumentError);
  });

  it('refuses a missing token without reading the source', async () => {
    // Prepare
    const source = sourceOf(document);

    // Act & Assess
    await expect(new HashedTokenStore(source).authenticate('')).rejects.toThrow(UnauthorizedError);
    expect(source.reads).toBe(0);
  });
});
