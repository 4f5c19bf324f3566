import { readFile, stat } from 'node:fs/promises';
import { ExternalKeystoneTokenVerifier } from '../../lambdas/core/identity/external-keystone-verifier.ts';
import { KeystoneClient } from '../../lambdas/adapters/keystone/keystone-client.ts';
import { parseKeystoneServiceCredentials, type KeystoneServiceCredentials } from '../../lambdas/adapters/keystone/keystone-credentials.ts';

/**
 * An existing Keystone in place of the embedded one (docs/identity.md, "An existing Keystone"): the
 * runtime serves no /identity of its own and validates Keystone tokens by asking that Keystone.
 */
export interface ExternalKeystoneSettings {
  /** Keystone's auth_url. */
  readonly authUrl: string;
  readonly credentials: KeystoneServiceCredentials;
  /** How long a validation is kept, seconds. @default 300 */
  readonly cacheSeconds?: number;
}

export const ExternalKeystoneEnv = {
  /** Keystone's auth_url; set, it replaces the embedded Keystone. */
  URL: 'SMIG_KEYSTONE_URL',
  /** A JSON file (mode 0600) holding the service's credentials as a clouds.yaml `auth` section. */
  CREDENTIALS_FILE: 'SMIG_KEYSTONE_CREDENTIALS_FILE',
  /** Seconds a token's validation is kept. @default 300 */
  CACHE_SECONDS: 'SMIG_KEYSTONE_CACHE_SECONDS',
} as const;

/** The settings the environment gives, or undefined when SMIG_KEYSTONE_URL is not set. */
export async function externalKeystoneFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<ExternalKeystoneSettings | undefined> {
  const authUrl = env[ExternalKeystoneEnv.URL];
  if (!authUrl) return undefined;
  const file = env[ExternalKeystoneEnv.CREDENTIALS_FILE];
  if (!file) throw new Error(`${ExternalKeystoneEnv.URL} is set: set ${ExternalKeystoneEnv.CREDENTIALS_FILE} to the JSON file of the service's Keystone credentials too (docs/identity.md)`);
  const mode = (await stat(file)).mode;
  // The file holds a password: refuse it while others may read it, as ssh refuses a readable key.
  if ((mode & 0o077) !== 0) throw new Error(`${file} holds Keystone credentials and is mode ${(mode & 0o777).toString(8)}: make it 0600 (chmod 600 '${file}')`);
  let document: unknown;
  try {
    document = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new Error(`${file} is not JSON: ${(cause as Error).message}`, { cause });
  }
  const cache = env[ExternalKeystoneEnv.CACHE_SECONDS];
  const cacheSeconds = cache === undefined || cache === '' ? undefined : Number(cache);
  if (cacheSeconds !== undefined && !(Number.isFinite(cacheSeconds) && cacheSeconds >= 0)) {
    throw new Error(`${ExternalKeystoneEnv.CACHE_SECONDS} must be a number of seconds >= 0, not ${JSON.stringify(cache)}`);
  }
  return { authUrl, credentials: parseKeystoneServiceCredentials(document, file), ...(cacheSeconds === undefined ? {} : { cacheSeconds }) };
}

export function externalKeystoneVerifier(settings: ExternalKeystoneSettings): ExternalKeystoneTokenVerifier {
  return new ExternalKeystoneTokenVerifier(new KeystoneClient({ authUrl: settings.authUrl, credentials: settings.credentials }), {
    ...(settings.cacheSeconds === undefined ? {} : { cacheSeconds: settings.cacheSeconds }),
  });
}
