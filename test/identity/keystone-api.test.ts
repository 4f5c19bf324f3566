import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManilaClient } from '../../local/manila-client.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { ALICE_CREDENTIAL, PEOPLE, authRequest, dataDirWithPeople, passwordToken, tokenOf } from './identity-fixture.ts';

const UNAUTHORIZED = { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } };

async function call(url: string, method: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : null };
}

describe('Class: KeystoneIdentity (the embedded /identity/v3 over HTTP)', () => {
  let t: TestRuntime;
  let base: string;

  beforeAll(async () => {
    t = await startTestRuntime({ dataDir: await dataDirWithPeople(), resume: false });
    base = t.runtime.url;
  });
  afterAll(async () => {
    await t?.destroy();
  });

  describe('Method: version discovery', () => {
    it('answers GET /identity with 300 and the v3 version, and GET /identity/v3 with 200', async () => {
      // Act
      const root = await call(`${base}/identity`, 'GET');
      const v3 = await call(`${base}/identity/v3`, 'GET');

      // Assess
      const version = {
        id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z',
        links: [{ rel: 'self', href: `${base}/identity/v3/` }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
      };
      expect(root.status).toBe(300);
      expect(root.body).toEqual({ versions: { values: [version] } });
      expect(v3.status).toBe(200);
      expect(v3.body).toEqual({ version });
    });
  });

  describe('Method: POST /v3/auth/tokens', () => {
    it('issues a project-scoped token for a user and project by name and domain, with roles and the sharev2 catalog', async () => {
      // Act
      const res = await passwordToken(base, { name: 'alice', domain: { name: 'Default' } }, PEOPLE.alice.password, { project: { name: 'alpha', domain: { name: 'Default' } } });

      // Assess
      expect(res.status).toBe(201);
      expect(res.token).toMatch(/^k1\./);
      const token = res.body.token;
      expect(token.methods).toEqual(['password']);
      expect(token.user).toEqual({ domain: { id: 'default', name: 'Default' }, id: 'u-alice', name: 'alice', password_expires_at: null });
      expect(token.project).toEqual({ domain: { id: 'default', name: 'Default' }, id: 'p-alpha', name: 'alpha' });
      expect(token.roles).toEqual([{ id: 'member', name: 'member' }, { id: 'reader', name: 'reader' }]);
      expect(Date.parse(token.expires_at) - Date.parse(token.issued_at)).toBe(3600_000);
      expect(token.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      const sharev2 = token.catalog.find((e: { type: string }) => e.type === 'sharev2');
      expect(sharev2.endpoints.map((e: { interface: string; url: string }) => [e.interface, e.url])).toEqual([
        ['public', `${base}/v2`], ['internal', `${base}/v2`], ['admin', `${base}/v2`],
      ]);
      expect(token.catalog.map((e: { type: string }) => e.type)).toEqual(['identity', 'sharev2', 'shared-file-system', 'sharev2_legacy', 'share']);
    });

    it('issues a token for a user and project given by id, in another domain', async () => {
      // Act
      const res = await passwordToken(base, { id: 'u-bob' }, PEOPLE.bob.password, { project: { id: 'p-beta' } });

      // Assess
      expect(res.status).toBe(201);
      expect(res.body.token.user.domain).toEqual({ id: 'd-other', name: 'Other' });
      expect(res.body.token.project).toEqual({ domain: { id: 'd-other', name: 'Other' }, id: 'p-beta', name: 'beta' });
    });

    it('issues an unscoped token, without project, roles or catalog', async () => {
      // Act
      const res = await passwordToken(base, { name: 'alice', domain: { id: 'default' } }, PEOPLE.alice.password);

      // Assess
      expect(res.status).toBe(201);
      expect(res.body.token.project).toBeUndefined();
      expect(res.body.token.catalog).toBeUndefined();
    });

    it.each([
      ['a wrong password', { name: 'alice', domain: { name: 'Default' } }, 'nope'],
      ['an unknown user', { name: 'mallory', domain: { name: 'Default' } }, 'alice-secret'],
      ['a user in another domain', { name: 'alice', domain: { name: 'Other' } }, 'alice-secret'],
    ])('answers %s with 401 in Keystone\'s error shape', async (_case, user, password) => {
      // Act
      const res = await passwordToken(base, user, password);

      // Assess
      expect(res.status).toBe(401);
      expect(res.token).toBeNull();
      expect(res.body).toEqual(UNAUTHORIZED);
    });

    it('refuses a project the user holds no role on with 401', async () => {
      // Act
      const res = await passwordToken(base, { id: 'u-bob' }, PEOPLE.bob.password, { project: { id: 'p-alpha' } });

      // Assess
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 401, title: 'Unauthorized' });
    });

    it('answers a body without auth.identity with 400 in Keystone\'s error shape', async () => {
      // Act
      const res = await authRequest(base, { scope: 'unscoped' });

      // Assess
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 400, title: 'Bad Request' });
    });

    it('issues a token for an application credential by id and secret, scoped to its project', async () => {
      // Act
      const res = await authRequest(base, { identity: { methods: ['application_credential'], application_credential: { id: ALICE_CREDENTIAL.id, secret: ALICE_CREDENTIAL.secret } } });

      // Assess
      expect(res.status).toBe(201);
      expect(res.body.token.methods).toEqual(['application_credential']);
      expect(res.body.token.project.id).toBe('p-alpha');
      expect(res.body.token.application_credential).toEqual({ id: 'ac-alice', name: 'alice-ci', restricted: true });
    });

    it('issues a token for an application credential by name and user, and refuses a wrong secret', async () => {
      // Act
      const good = await authRequest(base, { identity: { methods: ['application_credential'], application_credential: { name: 'alice-ci', user: { name: 'alice', domain: { name: 'Default' } }, secret: ALICE_CREDENTIAL.secret } } });
      const bad = await authRequest(base, { identity: { methods: ['application_credential'], application_credential: { id: ALICE_CREDENTIAL.id, secret: 'wrong' } } });

      // Assess
      expect(good.status).toBe(201);
      expect(bad.status).toBe(401);
      expect(bad.body).toEqual(UNAUTHORIZED);
    });

    it('rescopes an unscoped token to a project with the token method', async () => {
      // Prepare
      const unscoped = await passwordToken(base, { id: 'u-alice' }, PEOPLE.alice.password);

      // Act
      const res = await authRequest(base, { identity: { methods: ['token'], token: { id: unscoped.token } }, scope: { project: { id: 'p-beta' } } });

      // Assess
      expect(res.status).toBe(201);
      expect(res.body.token.project.id).toBe('p-beta');
      expect(res.body.token.roles).toEqual([{ id: 'reader', name: 'reader' }]);
    });
  });

  describe('Method: GET, HEAD and DELETE /v3/auth/tokens', () => {
    it('validates a token, answers HEAD without a body, revokes it, and refuses it afterwards (404 here, 401 on the Manila API)', async () => {
      // Prepare
      const token = await tokenOf(base, 'alice');
      const headers = { 'X-Auth-Token': token, 'X-Subject-Token': token };

      // Act
      const validated = await call(`${base}/identity/v3/auth/tokens`, 'GET', headers);
      const head = await call(`${base}/identity/v3/auth/tokens`, 'HEAD', headers);
      const manilaBefore = await new ManilaClient(base, token).request('GET', '/shares');
      const revoked = await call(`${base}/identity/v3/auth/tokens`, 'DELETE', headers);
      const after = await call(`${base}/identity/v3/auth/tokens`, 'GET', { 'X-Auth-Token': await tokenOf(base, 'alice'), 'X-Subject-Token': token });
      const manilaAfter = await new ManilaClient(base, token).request('GET', '/shares');

      // Assess
      expect(validated.status).toBe(200);
      expect(validated.headers.get('x-subject-token')).toBe(token);
      expect(validated.body.token.project.id).toBe('p-alpha');
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
      expect(manilaBefore.status).toBe(200);
      expect(revoked.status).toBe(204);
      expect(after.status).toBe(404);
      expect(after.body.error).toMatchObject({ code: 404, title: 'Not Found' });
      expect(manilaAfter.status).toBe(401);
    });

    it('refuses validation without a valid X-Auth-Token (401), and of another user\'s token by a non-admin (403)', async () => {
      // Prepare
      const alice = await tokenOf(base, 'alice');
      const bob = await tokenOf(base, 'bob');

      // Act
      const anonymous = await call(`${base}/identity/v3/auth/tokens`, 'GET', { 'X-Subject-Token': alice });
      const byBob = await call(`${base}/identity/v3/auth/tokens`, 'GET', { 'X-Auth-Token': bob, 'X-Subject-Token': alice });
      const byAdmin = await call(`${base}/identity/v3/auth/tokens`, 'GET', { 'X-Auth-Token': await tokenOf(base, 'admin'), 'X-Subject-Token': alice });

      // Assess
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toEqual(UNAUTHORIZED);
      expect(byBob.status).toBe(403);
      expect(byAdmin.status).toBe(200);
    });
  });

  describe('Method: GET /v3/auth/projects and /v3/users/{id}/projects', () => {
    it('lists the projects the user holds a role on', async () => {
      // Prepare
      const token = await tokenOf(base, 'alice');

      // Act
      const mine = await call(`${base}/identity/v3/auth/projects`, 'GET', { 'X-Auth-Token': token });
      const byUser = await call(`${base}/identity/v3/users/u-alice/projects`, 'GET', { 'X-Auth-Token': token });
      const other = await call(`${base}/identity/v3/users/u-bob/projects`, 'GET', { 'X-Auth-Token': token });

      // Assess
      expect(mine.body.projects.map((p: { id: string }) => p.id)).toEqual(['p-alpha', 'p-beta']);
      expect(byUser.body.projects.map((p: { name: string }) => p.name)).toEqual(['alpha', 'beta']);
      expect(other.status).toBe(403);
    });
  });

  describe('Method: Manila API with Keystone tokens', () => {
    it('takes a project-scoped token, refuses an unscoped one, and keeps the admin token working', async () => {
      // Prepare
      const scoped = await tokenOf(base, 'alice');
      const unscoped = (await passwordToken(base, { id: 'u-alice' }, PEOPLE.alice.password)).token!;

      // Act
      const withScoped = await new ManilaClient(base, scoped).request('GET', '/p-alpha/shares');
      const withUnscoped = await new ManilaClient(base, unscoped).request('GET', '/shares');
      const otherProjectInUrl = await new ManilaClient(base, scoped).request('GET', '/p-beta/shares');
      const withAdminToken = await t.client.request('GET', '/shares');

      // Assess
      expect(withScoped.status).toBe(200);
      expect(withUnscoped.status).toBe(401);
      expect(otherProjectInUrl.status).toBe(400);
      expect(withAdminToken.status).toBe(200);
    });
  });
});

describe('Class: startLocalIdentity (the identity files in the data folder)', () => {
  it('creates identity.json (0600) with an admin user whose password is shown once and kept only as a scrypt hash; tokens survive a restart', async () => {
    // Prepare
    let t = await startTestRuntime({ resume: false });
    const file = path.join(t.dataDir, 'identity.json');
    try {
      const password = t.runtime.identity?.generatedAdminPassword;

      // Act
      const issued = await passwordToken(t.runtime.url, { name: 'admin', domain: { name: 'Default' } }, password!, { project: { name: 'admin', domain: { name: 'Default' } } });
      await t.stop();
      t = await startTestRuntime({ dataDir: t.dataDir, resume: false });
      const afterRestart = await new ManilaClient(t.runtime.url, issued.token!).request('GET', '/admin/shares?all_tenants=1');

      // Assess
      expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(issued.status).toBe(201);
      expect(issued.body.token.roles.map((r: { name: string }) => r.name)).toEqual(['admin', 'member', 'reader']);
      const content = await readFile(file, 'utf8');
      expect(content).not.toContain(password);
      expect(JSON.parse(content).users[0].password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(path.join(t.dataDir, 'identity-signing-key'))).mode & 0o777).toBe(0o600);
      expect(t.runtime.identity?.generatedAdminPassword).toBeUndefined();
      expect(afterRestart.status).toBe(200);
    } finally {
      await t.destroy();
    }
  });

  it('refuses to start when identity.json is readable by others, saying what to do', async () => {
    // Prepare
    const dataDir = await dataDirWithPeople();
    const { chmod } = await import('node:fs/promises');
    await chmod(path.join(dataDir, 'identity.json'), 0o644);

    // Act
    const start = startTestRuntime({ dataDir, resume: false });

    // Assess
    await expect(start).rejects.toThrow(/mode 0644: group or others can read it.*chmod 600/);
    await rm(dataDir, { recursive: true, force: true });
  });
});
