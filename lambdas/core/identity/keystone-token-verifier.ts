import { UnauthorizedError } from '../errors.ts';
import type { TokenVerifier } from '../services.ts';
import { KeystoneRole } from './identity-config.ts';
import type { KeystoneIdentity } from './keystone-identity.ts';

/**
 * X-Auth-Token as a Keystone token of this runtime's own identity service: valid, project-scoped, and
 * the caller's roles on that project. An unscoped token cannot call Manila (it names no project).
 */
export class KeystoneTokenVerifier implements TokenVerifier {
  private readonly identity: KeystoneIdentity;

  constructor(identity: KeystoneIdentity) {
    this.identity = identity;
  }

  async verify(token: string | undefined) {
    if (!token) throw new UnauthorizedError('X-Auth-Token is required.');
    let valid;
    try {
      valid = this.identity.validate(token);
    } catch (cause) {
      throw new UnauthorizedError('The X-Auth-Token is not valid.', {}, { cause });
    }
    if (valid.project === undefined) throw new UnauthorizedError('The X-Auth-Token is unscoped: ask for a project-scoped token.');
    const roles = valid.claims.roles;
    return { projectId: valid.project.project.id, userId: valid.user.id, isAdmin: roles.includes(KeystoneRole.ADMIN), roles };
  }
}
