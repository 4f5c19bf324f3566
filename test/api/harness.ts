import { Logger } from '@aws-lambda-powertools/logger';
import { createApiHandler } from '../../lambdas/api/handler.ts';
import { startApiServer, type ApiServer } from '../../local/http-server.ts';
import { ADMIN, InMemoryServices, type InMemoryOptions } from './in-memory-services.ts';

/**
 * The API as a client meets it: the real handler behind the local HTTP server, over real HTTP,
 * in front of the in-memory services. `reset()` gives each test fresh services.
 */
export interface TestApi {
  readonly url: string;
  services: InMemoryServices;
  reset(options?: InMemoryOptions): InMemoryServices;
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  close(): Promise<void>;
}

export interface CallOptions {
  /** X-Auth-Token; null sends none. @default the admin token */
  readonly token?: string | null;
  /** X-OpenStack-Manila-API-Version; null sends none. @default '2.72' */
  readonly version?: string | null;
  readonly experimental?: boolean;
  /** JSON-encoded unless a string. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface CallResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON, or null for an empty body. */
  readonly body: any;
}

export async function startTestApi(options: { logger?: Logger } = {}): Promise<TestApi> {
  const logger = options.logger ?? new Logger({ serviceName: 'share-migration-api-test', logLevel: 'SILENT' });
  let services = new InMemoryServices();
  const handler = createApiHandler(async () => services, { logger });
  const server: ApiServer = await startApiServer({ port: 0, handler });

  const call = async (method: string, path: string, opts: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
    const token = opts.token === undefined ? ADMIN.token : opts.token;
    if (token !== null) headers['X-Auth-Token'] = token;
    const version = opts.version === undefined ? '2.72' : opts.version;
    if (version !== null) headers['X-OpenStack-Manila-API-Version'] = version;
    if (opts.experimental) headers['X-OpenStack-Manila-API-Experimental'] = 'True';
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const response = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: text === '' ? null : JSON.parse(text) };
  };

  return {
    url: server.url,
    get services() {
      return services;
    },
    set services(next) {
      services = next;
    },
    reset(opts) {
      services = new InMemoryServices(opts);
      return services;
    },
    call,
    close: () => server.close(),
  };
}

/** A share type named "default" (DHSS false) and a share on it, owned by `owner`'s project. */
export async function seedShare(api: TestApi, owner: { token: string } = { token: ADMIN.token }, extra: Record<string, unknown> = {}) {
  await ensureDefaultType(api);
  const created = await api.call('POST', '/v2/shares', {
    token: owner.token,
    body: { share: { share_proto: 'NFS', size: 1, name: 'data', share_type: 'default', ...extra } },
  });
  if (created.status !== 200) throw new Error(`seedShare failed: ${created.status} ${created.text}`);
  return created.body.share as { id: string; [key: string]: unknown };
}

export async function ensureDefaultType(api: TestApi): Promise<void> {
  if ((await api.services.shareTypes.list()).some((t) => t.name === 'default')) return;
  await api.services.shareTypes.create({ name: 'default', extra_specs: { driver_handles_share_servers: 'False', snapshot_support: 'True' } });
}
