import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { IdentityConfigError } from '../../lambdas/core/identity/errors.ts';
import { KeystoneRole, parseIdentityConfig, type IdentityConfig } from '../../lambdas/core/identity/identity-config.ts';
import { hashSecret } from '../../lambdas/core/identity/password-hash.ts';
import { createPrivateFile, readPrivateFile } from './private-file.ts';

/** The identity service's files in the data folder, each mode 0600. */
export const IdentityFiles = {
  CONFIG: 'identity.json',
  SIGNING_KEY: 'identity-signing-key',
  REVOKED: 'identity-revoked.json',
} as const;

/** The project the generated `admin` user is admin of: the admin token's project, so both see the same shares. */
export const ADMIN_PROJECT = { id: 'admin', name: 'admin' } as const;

export interface LoadedIdentityConfig {
  readonly config: IdentityConfig;
  readonly file: string;
  /** Set only at the start that created the file: the `admin` user's password, to be shown once. */
  readonly generatedAdminPassword?: string;
}

/**
 * `<data>/identity.json`: read and checked, or, on first start, created with an `admin` user holding the
 * admin role on project `admin`, its password generated and kept only as a scrypt hash.
 */
export async function loadIdentityConfig(dataDir: string): Promise<LoadedIdentityConfig> {
  const file = path.join(dataDir, IdentityFiles.CONFIG);
  const content = await readPrivateFile(file);
  if (content !== undefined) {
    let document: unknown;
    try {
      document = JSON.parse(content.toString('utf8'));
    } catch (cause) {
      throw new IdentityConfigError(`${file} is not JSON: ${(cause as Error).message}`, { cause });
    }
    return { config: parseIdentityConfig(document, file), file };
  }
  const password = randomBytes(18).toString('base64url');
  const userId = randomUUID().replaceAll('-', '');
  const document = {
    projects: [{ ...ADMIN_PROJECT, domain_id: 'default' }],
    users: [{ id: userId, name: 'admin', domain_id: 'default', password_hash: await hashSecret(password) }],
    role_assignments: [{ user_id: userId, project_id: ADMIN_PROJECT.id, role: KeystoneRole.ADMIN }],
    application_credentials: [],
  };
  await createPrivateFile(file, `${JSON.stringify(document, null, 2)}\n`);
  return { config: parseIdentityConfig(document, file), file, generatedAdminPassword: password };
}

/** The HMAC key tokens are signed with: kept (0600) so tokens survive a restart; delete it to invalidate them all. */
export async function loadSigningKey(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, IdentityFiles.SIGNING_KEY);
  const kept = await readPrivateFile(file);
  if (kept !== undefined && kept.length >= 32) return kept;
  if (kept !== undefined) throw new IdentityConfigError(`${file} holds ${kept.length} bytes, fewer than 32: delete it and a new key is made at the next start (every token issued so far becomes invalid).`);
  const key = randomBytes(32);
  await createPrivateFile(file, key);
  return key;
}
