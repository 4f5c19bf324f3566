/**
 * The credentials this service signs in to an existing Keystone with, to validate its callers' tokens
 * (keystone-client.ts). Written as the `auth` section of a clouds.yaml entry, in JSON, so an operator
 * copies what the OpenStack clients already use: a service user's password, or an application credential.
 *
 *     {"username": "manila", "password": "...", "user_domain_name": "Default",
 *      "project_name": "service", "project_domain_name": "Default"}
 *     {"application_credential_id": "...", "application_credential_secret": "..."}
 *
 * The user needs the right to validate others' tokens (Keystone's `identity:validate_token`: the
 * `service` role, or an admin), as Manila's own service user has.
 */
export type KeystoneServiceCredentials =
  | {
      readonly kind: 'password';
      readonly user: { readonly id: string } | { readonly name: string; readonly domain: DomainRef };
      readonly password: string;
      /** The project the service token is scoped to. @default - unscoped */
      readonly project?: { readonly id: string } | { readonly name: string; readonly domain: DomainRef };
    }
  | { readonly kind: 'application_credential'; readonly id: string; readonly secret: string };

export type DomainRef = { readonly id: string } | { readonly name: string };

/** The credentials document is not one of the two shapes: a deployment fault, said with the field to fix. */
export class KeystoneCredentialsError extends Error {
  override readonly name = 'KeystoneCredentialsError';
}

/** Checks a parsed credentials document, naming the field that is missing or wrong. */
export function parseKeystoneServiceCredentials(document: unknown, source: string): KeystoneServiceCredentials {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new KeystoneCredentialsError(`${source} must be a JSON object (a clouds.yaml "auth" section)`);
  }
  const doc = document as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const value = doc[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value === '') throw new KeystoneCredentialsError(`${source}: "${key}" must be a non-empty string`);
    return value;
  };
  const credentialId = text('application_credential_id');
  const credentialSecret = text('application_credential_secret');
  if (credentialId !== undefined || credentialSecret !== undefined) {
    if (credentialId === undefined || credentialSecret === undefined) {
      throw new KeystoneCredentialsError(`${source}: an application credential needs both "application_credential_id" and "application_credential_secret"`);
    }
    return { kind: 'application_credential', id: credentialId, secret: credentialSecret };
  }
  const password = text('password');
  if (password === undefined) throw new KeystoneCredentialsError(`${source}: give "password" (with "username" or "user_id"), or an application credential`);
  const domain = (prefix: string): DomainRef => {
    const id = text(`${prefix}_domain_id`);
    const name = text(`${prefix}_domain_name`);
    if (id !== undefined) return { id };
    // keystoneauth's default for names given without a domain.
    return name !== undefined ? { name } : { id: 'default' };
  };
  const userId = text('user_id');
  const userName = text('username');
  if (userId === undefined && userName === undefined) throw new KeystoneCredentialsError(`${source}: give "username" or "user_id"`);
  const user = userId !== undefined ? { id: userId } : { name: userName!, domain: domain('user') };
  const projectId = text('project_id');
  const projectName = text('project_name');
  const project = projectId !== undefined ? { id: projectId } : projectName !== undefined ? { name: projectName, domain: domain('project') } : undefined;
  return { kind: 'password', user, password, ...(project ? { project } : {}) };
}
