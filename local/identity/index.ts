import path from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { KeystoneIdentity } from '../../lambdas/core/identity/keystone-identity.ts';
import { KeystoneTokenVerifier } from '../../lambdas/core/identity/keystone-token-verifier.ts';
import { TokenSigner } from '../../lambdas/core/identity/token-signer.ts';
import { createIdentityHandler, withIdentityRoutes, type ProxyEventHandler } from './identity-routes.ts';
import { IdentityFiles, loadIdentityConfig, loadSigningKey } from './identity-files.ts';
import { FileRevocationList } from './revocation-file.ts';

export { IDENTITY_PREFIX } from './identity-routes.ts';

/** The embedded Keystone: its configuration file, the verifier the Manila API adds, and its routes. */
export interface LocalIdentity {
  /** `<data>/identity.json`. */
  readonly configFile: string;
  /** Set only at the start that created the configuration: the `admin` user's password, shown once. */
  readonly generatedAdminPassword?: string;
  readonly keystone: KeystoneIdentity;
  /** Keystone tokens for the Manila API (next to the admin token, in a CompositeTokenVerifier). */
  readonly tokenVerifier: KeystoneTokenVerifier;
  /** The runtime's HTTP handler with /identity served here and everything else by `api`. */
  mount(api: ProxyEventHandler): ProxyEventHandler;
}

export async function startLocalIdentity(dataDir: string, logger: Logger): Promise<LocalIdentity> {
  const [loaded, key, revocations] = await Promise.all([
    loadIdentityConfig(dataDir),
    loadSigningKey(dataDir),
    FileRevocationList.open(path.join(dataDir, IdentityFiles.REVOKED)),
  ]);
  const keystone = new KeystoneIdentity({ config: loaded.config, signer: new TokenSigner(key), revocations });
  const handler = createIdentityHandler(keystone, logger);
  return {
    configFile: loaded.file,
    ...(loaded.generatedAdminPassword === undefined ? {} : { generatedAdminPassword: loaded.generatedAdminPassword }),
    keystone,
    tokenVerifier: new KeystoneTokenVerifier(keystone),
    mount: (api) => withIdentityRoutes(handler, api),
  };
}
