import { Logger } from '@aws-lambda-powertools/logger';
import { createApiHandler } from '../../lambdas/api/handler.ts';
import { startApiServer } from '../../local/http-server.ts';
import { InMemoryServices } from './in-memory-services.ts';

/**
 * Development aid: the API on 127.0.0.1 in front of the in-memory services, for pointing the real
 * `manila` CLI at (see manila-cli-smoke.sh). Token "T" is an admin of project "project-a"; phase 1 of a
 * migration finishes at once, so migration-complete can follow migration-start.
 *
 *   node test/api/serve-in-memory.ts [port]
 */
const port = Number(process.argv[2] ?? '0');
const services = new InMemoryServices({
  instantPhase1: true,
  identities: [{ token: 'T', projectId: 'project-a', userId: 'admin', isAdmin: true }],
});
// POWERTOOLS_LOG_LEVEL, when set, overrides this level.
const logger = new Logger({ serviceName: 'share-migration-api', logLevel: 'WARN' });
const server = await startApiServer({ port, handler: createApiHandler(async () => services, { logger }) });
process.stdout.write(`${server.url}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
