import { createTokenAuthorizer } from '../api/authorizer.ts';
import { authorizerComposition } from '../composition/authorizer.ts';
import { createLogger } from './logger.ts';
import { createObservability } from './observability.ts';

/** API Gateway TOKEN authorizer on X-Auth-Token: the token's SHA-256 against the token secret and the admin hash. */
export const handler = createTokenAuthorizer({
  authenticate: (token) => authorizerComposition().authenticate(token),
  logger: createLogger('authorizer'),
  observability: createObservability(),
});
