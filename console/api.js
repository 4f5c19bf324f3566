/**
 * The Manila API as the console calls it: the same routes any Manila client uses, with the token in
 * X-Auth-Token and microversion 2.72; a fault's message (Manila's JSON error shape) becomes the Error.
 */
const TOKEN_KEY = 'smig-console-token';
const MICROVERSION = '2.72';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
  /** Whether the token may use admin routes (pools, migrations): found out at sign-in. */
  isAdmin: false,
  who: '',
};

export async function api(method, path, body) {
  const response = await fetch(`/v2${path}`, {
    method,
    headers: {
      'X-Auth-Token': session.token ?? '',
      'X-OpenStack-Manila-API-Version': MICROVERSION,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const fault = parsed && typeof parsed === 'object' ? Object.values(parsed)[0] : undefined;
    throw new ApiError(response.status, (fault && fault.message) || `${response.status} ${response.statusText}`);
  }
  return parsed;
}

/** Checks a token by a call any caller may make, and whether it reaches the admin routes. */
export async function checkToken(token) {
  session.token = token;
  try {
    await api('GET', '/shares?limit=1');
  } catch (error) {
    session.token = null;
    throw error;
  }
  try {
    await api('GET', '/scheduler-stats/pools');
    session.isAdmin = true;
  } catch {
    session.isAdmin = false;
  }
}

/** A Keystone password sign-in at the embedded (or any same-origin) Keystone: the token it issues. */
export async function keystoneToken({ user, password, project, domain }) {
  const scopeDomain = { name: domain || 'Default' };
  const response = await fetch('/identity/v3/auth/tokens?nocatalog', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: scopeDomain, password } } },
        scope: { project: { name: project, domain: scopeDomain } },
      },
    }),
  });
  if (response.status !== 201) {
    const body = await response.json().catch(() => null);
    throw new ApiError(response.status, body?.error?.message ?? `Keystone answered ${response.status}`);
  }
  return response.headers.get('X-Subject-Token');
}
