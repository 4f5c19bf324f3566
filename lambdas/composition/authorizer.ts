import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { HashedTokenStore, type Principal } from '../core/auth/hashed-token-registry.ts';
import { PrincipalVerifier } from '../core/auth/principal-verifier.ts';
import { ExternalKeystoneTokenVerifier } from '../core/identity/external-keystone-verifier.ts';
import type { TokenVerifier } from '../core/services.ts';
import { KeystoneClient } from '../adapters/keystone/keystone-client.ts';
import { parseKeystoneServiceCredentials } from '../adapters/keystone/keystone-credentials.ts';
import { SecretTokenSource } from '../adapters/secretsmanager/secret-token-source.ts';
import { AuthorizerEnv } from './authorizer-env.ts';

export { AuthorizerEnv };

/**
 * The composition root of the authorizer process: the token store over the Secrets Manager secret, and an
 * existing Keystone's tokens when the stack names one. Built once per process on first use; the secrets
 * are read on the first request, not at start.
 */
let verifier: PrincipalVerifier | undefined;

export function authorizerComposition(env: NodeJS.ProcessEnv = process.env): { readonly authenticate: (token: string) => Promise<Principal> } {
  verifier ??= build(env);
  const built = verifier;
  return { authenticate: (token) => built.authenticate(token) };
}

function build(env: NodeJS.ProcessEnv): PrincipalVerifier {
  const secretArn = env[AuthorizerEnv.TOKENS_SECRET_ARN];
  if (!secretArn) throw new Error(`Environment variable ${AuthorizerEnv.TOKENS_SECRET_ARN} is not set: the CDK stack sets it on the authorizer`);
  const maxAgeSeconds = Number(env[AuthorizerEnv.TOKENS_MAX_AGE_SECONDS] ?? 300);
  const secrets = new SecretsManagerClient({});
  const hashed = new HashedTokenStore(new SecretTokenSource(secrets, secretArn), {
    adminTokenSha256: env[AuthorizerEnv.ADMIN_TOKEN_SHA256] || undefined,
    maxAgeMs: Number.isFinite(maxAgeSeconds) && maxAgeSeconds >= 0 ? maxAgeSeconds * 1000 : 300_000,
  });
  return new PrincipalVerifier(hashed, keystoneVerifier(env, secrets));
}

/** The existing Keystone's verifier, its credentials read from their secret at first use (again after a failed read). */
function keystoneVerifier(env: NodeJS.ProcessEnv, secrets: SecretsManagerClient): (() => Promise<TokenVerifier>) | undefined {
  const authUrl = env[AuthorizerEnv.KEYSTONE_URL];
  if (!authUrl) return undefined;
  const credentialsArn = env[AuthorizerEnv.KEYSTONE_CREDENTIALS_SECRET_ARN];
  if (!credentialsArn) throw new Error(`${AuthorizerEnv.KEYSTONE_URL} is set without ${AuthorizerEnv.KEYSTONE_CREDENTIALS_SECRET_ARN}: the CDK stack sets both`);
  const cache = env[AuthorizerEnv.KEYSTONE_CACHE_SECONDS];
  let built: Promise<TokenVerifier> | undefined;
  return () => {
    built ??= (async () => {
      const document = await new SecretTokenSource(secrets, credentialsArn).read();
      const credentials = parseKeystoneServiceCredentials(document, `the Keystone credentials secret ${credentialsArn}`);
      return new ExternalKeystoneTokenVerifier(new KeystoneClient({ authUrl, credentials }), cache ? { cacheSeconds: Number(cache) } : {});
    })();
    built.catch(() => (built = undefined));
    return built;
  };
}
