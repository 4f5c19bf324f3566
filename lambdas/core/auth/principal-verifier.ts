import { UnauthorizedError } from '../errors.ts';
import type { TokenVerifier } from '../services.ts';
import { Role, type Principal } from './hashed-token-registry.ts';

/**
 * The AWS authorizer's check of a token: the hashed tokens first (the admin token and the token secret's
 * entries), then, when the stack names an existing Keystone, Keystone's own tokens; a Keystone token's
 * principal carries its role names, so the API applies Manila's policy to a reader as at home.
 */
export class PrincipalVerifier {
  private readonly hashed: { authenticate(token: string | undefined): Promise<Principal> };
  private readonly keystone: (() => Promise<TokenVerifier>) | undefined;

  constructor(hashed: { authenticate(token: string | undefined): Promise<Principal> }, keystone?: () => Promise<TokenVerifier>) {
    this.hashed = hashed;
    this.keystone = keystone;
  }

  async authenticate(token: string | undefined): Promise<Principal> {
    try {
      return await this.hashed.authenticate(token);
    } catch (error) {
      if (!(error instanceof UnauthorizedError) || this.keystone === undefined || !token) throw error;
    }
    const verified = await (await this.keystone()).verify(token);
    const roles = verified.roles ?? [];
    const role = verified.isAdmin ? Role.ADMIN : roles.includes(Role.MEMBER) ? Role.MEMBER : Role.READER;
    return { userId: verified.userId, projectId: verified.projectId, role, roles };
  }
}
