import { HashedTokenVerifier } from '../../core/auth/hashed-token-verifier.ts';
import type { TokenVerifier } from '../../core/services.ts';
import type { AdapterFactory } from '../aws-function.ts';
import { FunctionEnv } from '../function-env.ts';

/** The admin token's hash, which the API checks X-Auth-Token against where no authorizer ran. Calls no AWS. */
export const adminTokenVerifier: AdapterFactory<TokenVerifier> = (context) =>
  new HashedTokenVerifier(context.required(FunctionEnv.ADMIN_TOKEN_SHA256));
