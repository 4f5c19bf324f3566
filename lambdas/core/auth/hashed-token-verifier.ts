import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors.ts';
import type { TokenVerifier } from '../services.ts';

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Checks X-Auth-Token against the SHA-256 of the admin token; the token itself is never stored. */
export class HashedTokenVerifier implements TokenVerifier {
  private readonly adminHash: Buffer;
  private readonly projectId: string;

  constructor(adminTokenSha256: string, projectId = 'admin') {
    if (!/^[0-9a-f]{64}$/.test(adminTokenSha256)) throw new Error('The admin token hash must be 64 hex digits (SHA-256)');
    this.adminHash = Buffer.from(adminTokenSha256, 'hex');
    this.projectId = projectId;
  }

  async verify(token: string | undefined) {
    if (!token) throw new UnauthorizedError('X-Auth-Token is required.');
    const given = Buffer.from(sha256Hex(token), 'hex');
    if (!timingSafeEqual(given, this.adminHash)) throw new UnauthorizedError('The X-Auth-Token is not valid.');
    return { projectId: this.projectId, userId: 'admin', isAdmin: true };
  }
}
