import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashSecret } from '../../lambdas/core/identity/password-hash.ts';

/** Two projects (alpha, beta, in a domain of their own for beta) and one user per persona. */
export const PEOPLE = {
  admin: { id: 'u-admin', name: 'root', password: 'root-secret', project: 'admin' },
  alice: { id: 'u-alice', name: 'alice', password: 'alice-secret', project: 'alpha' },
  bob: { id: 'u-bob', name: 'bob', password: 'bob-secret', project: 'beta' },
  rita: { id: 'u-rita', name: 'rita', password: 'rita-secret', project: 'alpha' },
} as const;
export const ALICE_CREDENTIAL = { id: 'ac-alice', name: 'alice-ci', secret: 'ac-secret' } as const;

/** A fresh data folder holding an identity.json for PEOPLE (mode 0600), ready for startTestRuntime({ dataDir }). */
export async function dataDirWithPeople(): Promise<string> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'smig-identity-'));
  const users = await Promise.all(Object.values(PEOPLE).map(async (p) => ({
    id: p.id, name: p.name, domain_id: p.name === 'bob' ? 'd-other' : 'default', password_hash: await hashSecret(p.password),
  })));
  const document = {
    domains: [{ id: 'd-other', name: 'Other' }],
    projects: [
      { id: 'admin', name: 'admin' },
      { id: 'p-alpha', name: 'alpha' },
      { id: 'p-beta', name: 'beta', domain_id: 'd-other' },
    ],
    users,
    role_assignments: [
      { user_id: 'u-admin', project_id: 'admin', role: 'admin' },
      { user_id: 'u-alice', project_id: 'p-alpha', role: 'member' },
      { user_id: 'u-alice', project_id: 'p-beta', role: 'reader' },
      { user_id: 'u-bob', project_id: 'p-beta', role: 'member' },
      { user_id: 'u-rita', project_id: 'p-alpha', role: 'reader' },
    ],
    application_credentials: [
      { ...ALICE_CREDENTIAL, secret: undefined, user_id: 'u-alice', project_id: 'p-alpha', secret_hash: await hashSecret(ALICE_CREDENTIAL.secret) },
    ],
  };
  await writeFile(path.join(dataDir, 'identity.json'), JSON.stringify(document), { mode: 0o600 });
  return dataDir;
}

/** `POST /identity/v3/auth/tokens` with the password method. */
export async function passwordToken(
  baseUrl: string,
  user: Record<string, unknown>,
  password: string,
  scope?: Record<string, unknown>,
): Promise<{ status: number; token: string | null; body: any }> {
  return authRequest(baseUrl, { identity: { methods: ['password'], password: { user: { ...user, password } } }, ...(scope ? { scope } : {}) });
}

export async function authRequest(baseUrl: string, auth: unknown): Promise<{ status: number; token: string | null; body: any }> {
  const response = await fetch(`${baseUrl}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ auth }),
  });
  const text = await response.text();
  return { status: response.status, token: response.headers.get('x-subject-token'), body: text ? JSON.parse(text) : null };
}

/** A project-scoped token of one of PEOPLE, by names in their domain. */
export async function tokenOf(baseUrl: string, person: keyof typeof PEOPLE, project?: string): Promise<string> {
  const p = PEOPLE[person];
  const domain = { name: person === 'bob' ? 'Other' : 'Default' };
  const projectName = project ?? p.project;
  const res = await passwordToken(baseUrl, { name: p.name, domain }, p.password, { project: { name: projectName, domain: { name: projectName === 'beta' ? 'Other' : 'Default' } } });
  if (res.status !== 201 || !res.token) throw new Error(`no token for ${person}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.token;
}
