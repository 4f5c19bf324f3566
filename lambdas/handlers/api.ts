import { createApiHandler } from '../api/handler.ts';
import { awsComposition } from '../composition/aws.ts';

/** API Gateway (REST, Lambda proxy) → the Manila v2 API. */
export const handler = createApiHandler(async () => awsComposition().services);
