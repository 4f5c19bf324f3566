import { ServiceUnavailableError } from '../../core/errors.ts';
import type { KeystoneTokenValidation, ValidatedKeystoneToken } from '../../core/identity/external-keystone-verifier.ts';
import type { KeystoneServiceCredentials } from './keystone-credentials.ts';

export interface KeystoneClientOptions {
  /** Keystone's URL, as clouds.yaml's `auth_url`: `https://keystone.example.net:5000` or `.../v3`. */
  readonly authUrl: string;
  readonly credentials: KeystoneServiceCredentials;
  /** How long one call to Keystone may take. @default 5000 */
  readonly timeoutMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A service token is renewed this long before Keystone said it expires. */
const RENEW_BEFORE_MS = 60_000;

/**
 * Keystone v3 over HTTP, as keystonemiddleware talks to it: a service token issued with this service's
 * credentials (kept until a minute before it expires), then `GET /v3/auth/tokens?nocatalog` with the
 * caller's token in X-Subject-Token. Keystone answers 404 for a token that is not valid (expired, revoked,
 * never issued); 401 means the service token itself expired or was revoked, so it is issued again once.
 * Keystone unreachable, slow, or refusing this service's own credentials is ServiceUnavailableError
 * (503): a caller's valid token must never be answered 401 because Keystone could not be asked.
 */
export class KeystoneClient implements KeystoneTokenValidation {
  private readonly v3: string;
  private readonly credentials: KeystoneServiceCredentials;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private service: Promise<{ token: string; renewAt: number }> | undefined;

  constructor(options: KeystoneClientOptions) {
    let url: URL;
    try {
      url = new URL(options.authUrl);
    } catch {
      throw new Error(`The Keystone URL ${JSON.stringify(options.authUrl)} is not a URL: give Keystone's auth_url, e.g. https://keystone.example.net:5000/v3`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`The Keystone URL must be http(s), not ${url.protocol}`);
    const base = url.href.replace(/\/+$/, '');
    this.v3 = base.endsWith('/v3') ? base : `${base}/v3`;
    this.credentials = options.credentials;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  async validate(token: string): Promise<ValidatedKeystoneToken | undefined> {
    for (let attempt = 0; ; attempt++) {
      const serviceToken = await this.serviceToken();
      const response = await this.call('validating a token', `${this.v3}/auth/tokens?nocatalog`, {
        method: 'GET',
        headers: { 'X-Auth-Token': serviceToken, 'X-Subject-Token': token, Accept: 'application/json' },
      });
      if (response.status === 404) return undefined;
      if (response.status === 401 && attempt === 0) {
        // The service token expired or was revoked before we thought: issue a new one, once.
        this.service = undefined;
        continue;
      }
      if (response.status === 401 || response.status === 403) {
        throw new ServiceUnavailableError(`Keystone refused to validate tokens for this service (${response.status}): its user needs the service role or admin.`);
      }
      if (response.status !== 200 && response.status !== 203) throw await unexpected('validating a token', response);
      return validatedToken(await response.json().catch(() => undefined));
    }
  }

  private async serviceToken(): Promise<string> {
    const kept = this.service;
    if (kept !== undefined) {
      const service = await kept.catch(() => undefined);
      if (service !== undefined && service.renewAt > this.now()) return service.token;
      if (this.service === kept) this.service = undefined;
    }
    // One sign-in at a time: concurrent requests share it.
    this.service ??= this.issueServiceToken();
    const pending = this.service;
    try {
      return (await pending).token;
    } catch (error) {
      if (this.service === pending) this.service = undefined;
      throw error;
    }
  }

  private async issueServiceToken(): Promise<{ token: string; renewAt: number }> {
    const response = await this.call('signing in', `${this.v3}/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ auth: authBody(this.credentials) }),
    });
    if (response.status === 401) throw new ServiceUnavailableError('Keystone refused this service\'s credentials (401): check the Keystone service credentials.');
    if (response.status !== 201) throw await unexpected('signing in', response);
    const token = response.headers.get('X-Subject-Token');
    const body = (await response.json().catch(() => undefined)) as { token?: { expires_at?: unknown } } | undefined;
    const expiresAt = typeof body?.token?.expires_at === 'string' ? Date.parse(body.token.expires_at) : Number.NaN;
    if (!token || Number.isNaN(expiresAt)) throw new ServiceUnavailableError('Keystone answered the sign-in without a token or its expiry.');
    const now = this.now();
    // A token that lives less than two minutes is used for half its life.
    return { token, renewAt: expiresAt - now > 2 * RENEW_BEFORE_MS ? expiresAt - RENEW_BEFORE_MS : now + (expiresAt - now) / 2 };
  }

  private async call(what: string, url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (cause) {
      throw new ServiceUnavailableError(`Keystone at ${this.v3} did not answer ${what}: ${(cause as Error).message}`, {}, { cause });
    }
  }
}

function authBody(credentials: KeystoneServiceCredentials): Record<string, unknown> {
  if (credentials.kind === 'application_credential') {
    return { identity: { methods: ['application_credential'], application_credential: { id: credentials.id, secret: credentials.secret } } };
  }
  return {
    identity: { methods: ['password'], password: { user: { ...credentials.user, password: credentials.password } } },
    ...(credentials.project ? { scope: { project: credentials.project } } : {}),
  };
}

/** Keystone's token body (`{"token": {...}}`) as far as Manila's policy reads it. */
function validatedToken(body: unknown): ValidatedKeystoneToken {
  const token = (body as { token?: Record<string, unknown> } | undefined)?.token;
  const user = token?.['user'] as { id?: unknown } | undefined;
  const project = token?.['project'] as { id?: unknown } | undefined;
  const roles = token?.['roles'];
  const expiresAt = typeof token?.['expires_at'] === 'string' ? new Date(token['expires_at']) : undefined;
  if (typeof user?.id !== 'string' || expiresAt === undefined || Number.isNaN(expiresAt.getTime())) {
    throw new ServiceUnavailableError('Keystone validated the token but its answer lacks the user or the expiry.');
  }
  return {
    userId: user.id,
    projectId: typeof project?.id === 'string' ? project.id : undefined,
    roles: Array.isArray(roles) ? roles.flatMap((role) => (typeof (role as { name?: unknown })?.name === 'string' ? [(role as { name: string }).name] : [])) : [],
    expiresAt,
  };
}

async function unexpected(what: string, response: Response): Promise<ServiceUnavailableError> {
  const text = await response.text().catch(() => '');
  return new ServiceUnavailableError(`Keystone answered ${response.status} ${what}: ${text.slice(0, 200)}`);
}
