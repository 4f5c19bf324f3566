/**
 * The keys of the context the TOKEN authorizer returns (lambdas/api/authorizer.ts); API Gateway hands
 * them to the API function in `requestContext.authorizer` (lambdas/api/middlewares/authenticate.ts) and
 * to the access log (`$context.authorizer.<key>`, cdk/lib/manila-api.ts). No dependencies.
 */
export const AuthorizerContextKey = {
  ROLE: 'role',
  PROJECT_ID: 'project_id',
  USER_ID: 'user_id',
  /** Keystone's role names, comma-separated; only for a Keystone token (a context value is a string). */
  ROLES: 'roles',
} as const;
