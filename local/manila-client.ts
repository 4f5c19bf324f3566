/** A small Manila v2 client over fetch, as an operator's script would use the API (the demo and the tests use it). */
export class ManilaClient {
  readonly baseUrl: string;
  readonly token: string;
  readonly microversion: string;

  constructor(baseUrl: string, token: string, microversion = '2.72') {
    this.baseUrl = baseUrl;
    this.token = token;
    this.microversion = microversion;
  }

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.baseUrl}/v2${path}`, {
      method,
      headers: {
        'X-Auth-Token': this.token,
        'X-OpenStack-Manila-API-Version': this.microversion,
        'Content-Type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  async expect(status: number, method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.request(method, path, body);
    if (res.status !== status) {
      throw new Error(`${method} ${path}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return res.body;
  }

  async createShare(options: { name: string; sizeGb?: number; onlyHost?: string; shareType?: string }): Promise<any> {
    const body = await this.expect(200, 'POST', '/shares', {
      share: {
        share_proto: 'NFS',
        size: options.sizeGb ?? 1,
        name: options.name,
        ...(options.shareType ? { share_type: options.shareType } : {}),
        ...(options.onlyHost ? { scheduler_hints: { only_host: options.onlyHost } } : {}),
      },
    });
    return body.share;
  }

  async share(id: string): Promise<any> {
    return (await this.expect(200, 'GET', `/shares/${id}`)).share;
  }

  async exportPath(id: string): Promise<string> {
    const body = await this.expect(200, 'GET', `/shares/${id}/export_locations`);
    return body.export_locations[0].path;
  }

  action(id: string, action: Record<string, unknown>): Promise<{ status: number; body: any }> {
    return this.request('POST', `/shares/${id}/action`, action);
  }

  startMigration(id: string, host: string, extra: Record<string, unknown> = {}) {
    return this.action(id, {
      migration_start: {
        host,
        writable: true,
        preserve_metadata: true,
        preserve_snapshots: false,
        nondisruptive: false,
        force_host_assisted_migration: false,
        ...extra,
      },
    });
  }

  async progress(id: string): Promise<{ task_state: string; total_progress: number; details: Record<string, unknown> }> {
    const res = await this.action(id, { migration_get_progress: null });
    if (res.status !== 200) throw new Error(`migration_get_progress: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Polls the share until its task_state is one of `states`. */
  async waitForTaskState(id: string, states: readonly string[], timeoutMs = 60_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      last = await this.share(id);
      if (states.includes(last.task_state)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`share ${id} did not reach ${states.join('|')}; last task_state ${last?.task_state}, status ${last?.status}`);
  }

  async migrations(id: string): Promise<any[]> {
    return (await this.expect(200, 'GET', `/shares/${id}/migrations`)).migrations;
  }
}
