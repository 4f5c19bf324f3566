import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManilaClient } from '../../local/manila-client.ts';
import { ExternalKeystoneEnv, externalKeystoneFromEnv, type ExternalKeystoneSettings } from '../../local/identity/external-keystone.ts';
import { freePort } from '../../local/process-probes.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { PEOPLE, dataDirWithPeople, tokenOf } from './identity-fixture.ts';

/** The service user of the tests: PEOPLE.admin (root), admin of project admin, as Manila's service user is a service/admin of Keystone. */
const SERVICE_CREDENTIALS: ExternalKeystoneSettings['credentials'] = {
  kind: 'password', user: { name: PEOPLE.admin.name, domain: { name: 'Default' } }, password: PEOPLE.admin.password, project: { name: 'admin', domain: { name: 'Default' } },
};

/**
 * Issue 17, item 2b: a runtime whose API takes the tokens of an existing Keystone. The "existing
 * Keystone" is another runtime's embedded one, over HTTP, as any Keystone v3 would be asked.
 */
describe('Class: ExternalKeystoneTokenVerifier (a runtime validating tokens at an existing Keystone)', () => {
  let keystone: TestRuntime;
  let service: TestRuntime;
  let authUrl: string;

  beforeAll(async () => {
    keystone = await startTestRuntime({ dataDir: await dataDirWithPeople(), resume: false });
    authUrl = `${keystone.runtime.url}/identity/v3`;
    // No cache: a revocation at Keystone is seen at once (the cache itself is tested in test/core).
    service = await startTestRuntime({ resume: false, externalKeystone: { authUrl, credentials: SERVICE_CREDENTIALS, cacheSeconds: 0 } });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([service?.destroy(), keystone?.destroy()]);
  });

  const clientOf = async (who: keyof typeof PEOPLE, project?: string) => new ManilaClient(service.runtime.url, await tokenOf(keystone.runtime.url, who, project));

  it('serves no Keystone of its own: /identity is not found, and the admin token still works', async () => {
    // Act
    const identity = await fetch(`${service.runtime.url}/identity/v3`, { headers: { 'X-Auth-Token': service.runtime.adminToken } });
    const pools = await service.client.request('GET', '/scheduler-stats/pools');

    // Assess
    expect(identity.status).toBe(404);
    expect(pools.status).toBe(200);
    expect(service.runtime.identity).toBeUndefined();
    expect(service.runtime.externalKeystoneUrl).toBe(authUrl);
  });

  it('lets a member of a project create and list its shares, under its project id', async () => {
    // Prepare
    const alice = await clientOf('alice');

    // Act
    const created = await alice.createShare({ name: 'alice-on-service' });
    const listed = await alice.expect(200, 'GET', '/p-alpha/shares');

    // Assess
    expect(created.project_id).toBe('p-alpha');
    expect(created.user_id).toBe(PEOPLE.alice.id);
    expect(listed.shares.map((s: { id: string }) => s.id)).toContain(created.id);
  });

  it('refuses a reader\'s write with Manila\'s 403 and lets it read', async () => {
    // Prepare
    const rita = await clientOf('rita');

    // Act
    const create = await rita.request('POST', '/shares', { share: { share_proto: 'NFS', size: 1 } });
    const list = await rita.request('GET', '/shares');

    // Assess
    expect(create).toEqual({ status: 403, body: { forbidden: { code: 403, message: "Policy doesn't allow share:create to be performed." } } });
    expect(list.status).toBe(200);
  });

  it('gives Keystone\'s admins every project (all_tenants) and refuses it to members', async () => {
    // Prepare
    const [admin, bob] = await Promise.all([clientOf('admin'), clientOf('bob')]);

    // Act
    const all = await admin.request('GET', '/shares?all_tenants=1');
    const bobAll = await bob.request('GET', '/shares?all_tenants=1');

    // Assess
    expect(all.status).toBe(200);
    expect(all.body.shares.some((s: { name: string }) => s.name === 'alice-on-service')).toBe(true);
    expect(bobAll.body.shares.some((s: { name: string }) => s.name === 'alice-on-service')).toBe(false);
  });

  it('answers 401 for a token Keystone does not know, and for one revoked there', async () => {
    // Prepare
    const token = await tokenOf(keystone.runtime.url, 'alice');
    const alice = new ManilaClient(service.runtime.url, token);
    expect((await alice.request('GET', '/shares')).status).toBe(200);
    const revoke = await fetch(`${authUrl}/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': token, 'X-Subject-Token': token } });
    expect(revoke.status).toBe(204);

    // Act
    const revoked = await alice.request('GET', '/shares');
    const unknown = await new ManilaClient(service.runtime.url, 'k1.not-a-token.at-all').request('GET', '/shares');

    // Assess
    expect(revoked.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ unauthorized: { code: 401, message: expect.any(String) } });
  });

  it('answers 503, not 401 or 500, while the Keystone cannot be reached, and changes nothing', async () => {
    // Prepare: a runtime pointed at a port nothing listens on.
    const token = await tokenOf(keystone.runtime.url, 'alice');
    const unreachable = await startTestRuntime({
      resume: false,
      externalKeystone: { authUrl: `http://127.0.0.1:${await freePort()}/v3`, credentials: SERVICE_CREDENTIALS },
    });
    try {
      // Act
      const create = await new ManilaClient(unreachable.runtime.url, token).request('POST', '/shares', { share: { share_proto: 'NFS', size: 1, name: 'never' } });
      const shares = await unreachable.client.expect(200, 'GET', '/shares?all_tenants=1');

      // Assess
      expect(create.status).toBe(503);
      expect(create.body.serviceUnavailable.message).toMatch(/^Keystone at http:\/\/127\.0\.0\.1:\d+\/v3 did not answer signing in/);
      expect(shares.shares).toEqual([]);
    } finally {
      await unreachable.destroy();
    }
  });

  it('answers 503 naming the credentials when Keystone refuses the service\'s own sign-in', async () => {
    // Prepare
    const token = await tokenOf(keystone.runtime.url, 'alice');
    const misconfigured = await startTestRuntime({
      resume: false,
      externalKeystone: { authUrl, credentials: { ...SERVICE_CREDENTIALS, password: 'not-the-password' } },
    });
    try {
      // Act
      const list = await new ManilaClient(misconfigured.runtime.url, token).request('GET', '/shares');

      // Assess
      expect(list).toEqual({ status: 503, body: { serviceUnavailable: { code: 503, message: 'Keystone refused this service\'s credentials (401): check the Keystone service credentials.' } } });
    } finally {
      await misconfigured.destroy();
    }
  });
});

describe('Function: externalKeystoneFromEnv', () => {
  const credentialsFile = async (mode: number, content: unknown): Promise<string> => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'smig-keystone-env-')), 'keystone.json');
    await writeFile(file, JSON.stringify(content), { mode });
    return file;
  };

  it('is undefined without SMIG_KEYSTONE_URL (the embedded Keystone)', async () => {
    expect(await externalKeystoneFromEnv({})).toBeUndefined();
  });

  it('reads the credentials file as a clouds.yaml auth section', async () => {
    // Prepare
    const file = await credentialsFile(0o600, { username: 'manila', password: 'pw', project_name: 'service', user_domain_name: 'Default', project_domain_id: 'default' });

    // Act
    const settings = await externalKeystoneFromEnv({ [ExternalKeystoneEnv.URL]: 'https://keystone.example.net:5000', [ExternalKeystoneEnv.CREDENTIALS_FILE]: file, [ExternalKeystoneEnv.CACHE_SECONDS]: '60' });

    // Assess
    expect(settings).toEqual({
      authUrl: 'https://keystone.example.net:5000',
      credentials: { kind: 'password', user: { name: 'manila', domain: { name: 'Default' } }, password: 'pw', project: { name: 'service', domain: { id: 'default' } } },
      cacheSeconds: 60,
    });
  });

  it('refuses a credentials file others may read, a URL without credentials, and a bad cache time', async () => {
    // Prepare
    const readable = await credentialsFile(0o644, { application_credential_id: 'a', application_credential_secret: 's' });
    const fine = await credentialsFile(0o600, { application_credential_id: 'a' });

    // Act / Assess
    await expect(externalKeystoneFromEnv({ [ExternalKeystoneEnv.URL]: 'https://k', [ExternalKeystoneEnv.CREDENTIALS_FILE]: readable })).rejects.toThrow(/is mode 644: make it 0600/);
    await expect(externalKeystoneFromEnv({ [ExternalKeystoneEnv.URL]: 'https://k' })).rejects.toThrow(/set SMIG_KEYSTONE_CREDENTIALS_FILE/);
    await expect(externalKeystoneFromEnv({ [ExternalKeystoneEnv.URL]: 'https://k', [ExternalKeystoneEnv.CREDENTIALS_FILE]: fine })).rejects.toThrow(/needs both "application_credential_id" and "application_credential_secret"/);
    const ok = await credentialsFile(0o600, { application_credential_id: 'a', application_credential_secret: 's' });
    await expect(externalKeystoneFromEnv({ [ExternalKeystoneEnv.URL]: 'https://k', [ExternalKeystoneEnv.CREDENTIALS_FILE]: ok, [ExternalKeystoneEnv.CACHE_SECONDS]: '-1' })).rejects.toThrow(/>= 0/);
  });
});
