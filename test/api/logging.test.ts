import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiHandler } from '../../lambdas/api/handler.ts';
import { startApiServer, type ApiServer } from '../../local/http-server.ts';
import { ADMIN, InMemoryServices } from './in-memory-services.ts';

let server: ApiServer;
let services: InMemoryServices;
beforeAll(async () => {
  services = new InMemoryServices();
  await services.shareTypes.create({ name: 'default', extra_specs: { driver_handles_share_servers: 'False' } });
  const logger = new Logger({ serviceName: 'share-migration-api', logLevel: 'INFO' });
  server = await startApiServer({ port: 0, handler: createApiHandler(async () => services, { logger }) });
});
afterAll(() => server.close());

/** Runs `work` and returns the JSON log lines Powertools wrote meanwhile (errors go to stderr). */
async function logsOf(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const collect = (chunk: string | Uint8Array): boolean => {
    lines.push(String(chunk));
    return true;
  };
  const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(collect), vi.spyOn(process.stderr, 'write').mockImplementation(collect)];
  try {
    await work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('API: structured logs', () => {
  it('logs one completion line per request with its request id, project, share id and status', async () => {
    // Prepare
    const share = await services.shares.create({ size: 1, share_proto: 'NFS', project_id: ADMIN.projectId, user_id: ADMIN.userId });

    // Act
    let requestId = '';
    const logs = await logsOf(async () => {
      const res = await fetch(`${server.url}/v2/shares/${share.id}`, { headers: { 'X-Auth-Token': ADMIN.token } });
      requestId = res.headers.get('x-openstack-request-id') ?? '';
    });

    // Assess
    const done = logs.find((l) => l['message'] === 'request completed');
    expect(done).toMatchObject({
      level: 'INFO',
      service: 'share-migration-api',
      statusCode: 200,
      shareId: share.id,
      projectId: ADMIN.projectId,
      method: 'GET',
      path: `/v2/shares/${share.id}`,
    });
    expect(`req-${String(done?.['requestId'])}`).toBe(requestId);
  });

  it('logs the cause of a 500 that the client never sees', async () => {
    services.pools.list = async () => {
      throw new Error('driver socket /run/secret.sock refused');
    };

    const logs = await logsOf(() => fetch(`${server.url}/v2/scheduler-stats/pools`, { headers: { 'X-Auth-Token': ADMIN.token } }));

    const error = logs.find((l) => l['level'] === 'ERROR');
    expect(JSON.stringify(error)).toContain('/run/secret.sock');
  });
});
