import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { HashedTokenStore, type Principal } from '../core/auth/hashed-token-registry.ts';
import { SecretTokenSource } from '../adapters/secretsmanager/secret-token-source.ts';
import { AuthorizerEnv } from './authorizer-env.ts';

export { AuthorizerEnv };

/**
 * The composition root of the authorizer process: the token store over the Secrets Manager secret.
 * Built once per process on first use; the secret is read on the first request, not at start.
 */
let store: HashedTokenStore | undefined;

export function authorizerComposition(env: NodeJS.ProcessEnv = process.env): { readonly authenticate: (token: string) => Promise<Principal> } {
  store ??= build(env);
  const built = store;
  return { authenticate: (token) => built.authenticate(token) };
}

function build(env: NodeJS.ProcessEnv): HashedTokenStore {
  const secretArn = env[AuthorizerEnv.TOKENS_SECRET_ARN];
  if (!secretArn) throw new Error(`Environment variable ${AuthorizerEnv.TOKENS_SECRET_ARN} is not set: the CDK stack sets it on the authorizer`);
  const maxAgeSeconds = Number(env[AuthorizerEnv.TOKENS_MAX_AGE_SECONDS] ?? 300);
  return new HashedTokenStore(new SecretTokenSource(new SecretsManagerClient({}), secretArn), {
    adminTokenSha256: env[AuthorizerEnv.ADMIN_TOKEN_SHA256] || undefined,
    maxAgeMs: Number.isFinite(maxAgeSeconds) && maxAgeSeconds >= 0 ? maxAgeSeconds * 1000 : 300_000,
  });
}
