/** The environment the CDK stack gives the authorizer function (cdk/lib/manila-api.ts). No dependencies. */
export const AuthorizerEnv = {
  /** The ARN of the Secrets Manager secret holding `{"tokens":[...]}`. */
  TOKENS_SECRET_ARN: 'SMIG_TOKENS_SECRET_ARN',
  /** The admin token's SHA-256 (the AdminTokenSha256 parameter or context), valid besides the secret's tokens. */
  ADMIN_TOKEN_SHA256: 'SMIG_ADMIN_TOKEN_SHA256',
  /** Seconds a read of the secret is used before it is read again. @default 300 */
  TOKENS_MAX_AGE_SECONDS: 'SMIG_TOKENS_MAX_AGE_SECONDS',
  /** An existing Keystone's auth_url, whose tokens are valid too (the keystoneUrl context). @default - none */
  KEYSTONE_URL: 'SMIG_KEYSTONE_URL',
  /** The Secrets Manager secret holding the service's Keystone credentials (a clouds.yaml `auth` section, JSON). */
  KEYSTONE_CREDENTIALS_SECRET_ARN: 'SMIG_KEYSTONE_CREDENTIALS_SECRET_ARN',
  /** Seconds a Keystone validation is kept. @default 300 */
  KEYSTONE_CACHE_SECONDS: 'SMIG_KEYSTONE_CACHE_SECONDS',
} as const;
