/** The environment the CDK stack gives the authorizer function (cdk/lib/manila-api.ts). No dependencies. */
export const AuthorizerEnv = {
  /** The ARN of the Secrets Manager secret holding `{"tokens":[...]}`. */
  TOKENS_SECRET_ARN: 'SMIG_TOKENS_SECRET_ARN',
  /** The admin token's SHA-256 (the AdminTokenSha256 parameter or context), valid besides the secret's tokens. */
  ADMIN_TOKEN_SHA256: 'SMIG_ADMIN_TOKEN_SHA256',
  /** Seconds a read of the secret is used before it is read again. @default 300 */
  TOKENS_MAX_AGE_SECONDS: 'SMIG_TOKENS_MAX_AGE_SECONDS',
} as const;
