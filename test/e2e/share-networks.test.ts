import { access, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeTree, fillSampleTree } from '../../local/tree-digest.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * Share networks, security services, and backends in both driver modes: a destination whose share
 * servers cannot join the share's security services is refused; migrations cross the modes.
 */
describe('Share networks, security services and driver_handles_share_servers', () => {
  let t: TestRuntime;
  let dataDir: string;
  let kerberosNetwork: string;
  let ldapNetwork: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'smig-e2e-networks-'));
    t = await startTestRuntime({
      dataDir,
      backends: {
        backends: [
          { backend: 'plain', root: path.join(dataDir, 'plain'), pools: [{ name: 'default' }] },
          { backend: 'servers', root: path.join(dataDir, 'servers'), pools: [{ name: 'default' }], driver_handles_share_servers: true, security_service_types: ['ldap', 'kerberos'] },
          { backend: 'ldaponly', root: path.join(dataDir, 'ldaponly'), pools: [{ name: 'default' }], driver_handles_share_servers: true, security_service_types: ['ldap'] },
        ],
      },
    });
    await t.client.expect(200, 'POST', '/types', { share_type: { name: 'dhss', extra_specs: { driver_handles_share_servers: 'True' } } });
    const kerberos = (await t.client.expect(200, 'POST', '/security-services', { security_service: { type: 'kerberos', name: 'corp-kdc', server: 'kdc.example.org', domain: 'EXAMPLE.ORG', password: 'secret' } })).security_service;
    const ldap = (await t.client.expect(200, 'POST', '/security-services', { security_service: { type: 'ldap', name: 'corp-ldap', server: 'ldap.example.org' } })).security_service;
    expect(JSON.stringify(kerberos)).not.toContain('secret');
    kerberosNetwork = (await t.client.expect(200, 'POST', '/share-networks', { share_network: { name: 'with-kerberos' } })).share_network.id;
    ldapNetwork = (await t.client.expect(200, 'POST', '/share-networks', { share_network: { name: 'with-ldap' } })).share_network.id;
    await t.client.expect(200, 'POST', `/share-networks/${kerberosNetwork}/action`, { add_security_service: { security_service_id: kerberos.id } });
    const withLdap = await t.client.expect(200, 'POST', `/share-networks/${ldapNetwork}/action`, { add_security_service: { security_service_id: ldap.id } });
    expect(withLdap.share_network.security_services).toEqual([{ id: ldap.id, name: 'corp-ldap', type: 'ldap' }]);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  async function createOnNetwork(name: string, network: string, onlyHost?: string) {
    return t.client.request('POST', '/shares', {
      share: { share_proto: 'NFS', size: 1, name, share_type: 'dhss', share_network_id: network, ...(onlyHost ? { scheduler_hints: { only_host: onlyHost } } : {}) },
    });
  }

  it('places a share on a pool whose share servers can join its network\'s security services, creating the share server', async () => {
    // Act
    const placed = await createOnNetwork('kerberized', kerberosNetwork);
    const refused = await createOnNetwork('nowhere', kerberosNetwork, 'local@ldaponly#default');
    const noNetwork = await t.client.request('POST', '/shares', { share: { share_proto: 'NFS', size: 1, share_type: 'dhss' } });

    // Assess
    expect(placed.status).toBe(200);
    expect(placed.body.share).toMatchObject({ host: 'local@servers#default', share_network_id: kerberosNetwork });
    const server = JSON.parse(await readFile(path.join(dataDir, 'servers', 'default', 'servers', `server-${kerberosNetwork}`, 'server.json'), 'utf8'));
    expect(server).toMatchObject({ share_network_id: kerberosNetwork, security_service_types: ['ldap', 'kerberos'] });
    expect(refused.status).toBe(400);
    expect(refused.body.badRequest.message).toMatch(/cannot join security service type\(s\) kerberos/);
    expect(noNetwork.status).toBe(400);
    expect(noNetwork.body.badRequest.message).toMatch(/Share network must be set/);
  });

  it('refuses a destination that cannot join the share network\'s security service type, changing nothing', async () => {
    // Prepare
    const share = (await createOnNetwork('stays', kerberosNetwork)).body.share;

    // Act
    const res = await t.client.startMigration(share.id, 'local@ldaponly#default');

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toMatch(/local@ldaponly#default cannot hold share type dhss: its share servers cannot join security service type\(s\) kerberos/);
    expect(await t.client.migrations(share.id)).toEqual([]);
    expect(await t.client.share(share.id)).toMatchObject({ status: 'available', task_state: null });
  });

  it('migrates from a DHSS=false backend onto a share server of a new share network, and back', async () => {
    // Prepare
    const share = await t.client.createShare({ name: 'crosses-modes', onlyHost: 'local@plain#default' });
    const sourcePath = await t.client.exportPath(share.id);
    await fillSampleTree(sourcePath, 6);
    const tree = await describeTree(sourcePath);

    // Act: onto a share server (DHSS=true), with the new type and network
    expect((await t.client.startMigration(share.id, 'local@ldaponly#default', { new_share_type_id: 'dhss', new_share_network_id: ldapNetwork, auto_complete: true })).status).toBe(202);
    const onServer = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);
    const serverPath = await t.client.exportPath(share.id);
    // and back to the DHSS=false backend, leaving the network
    expect((await t.client.startMigration(share.id, 'local@plain#default', { new_share_type_id: 'default', auto_complete: true })).status).toBe(202);
    const back = await t.client.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    // Assess
    expect(onServer).toMatchObject({ task_state: 'migration_success', host: 'local@ldaponly#default', share_network_id: ldapNetwork, share_type_name: 'dhss' });
    expect(serverPath).toContain(path.join('servers', `server-${ldapNetwork}`));
    expect(back).toMatchObject({ task_state: 'migration_success', host: 'local@plain#default', share_network_id: null, share_type_name: 'default' });
    expect(await describeTree(await t.client.exportPath(share.id))).toEqual(tree);
    await expect(access(serverPath)).rejects.toThrow();
  });

  it('refuses to delete a share network in use', async () => {
    const res = await t.client.request('DELETE', `/share-networks/${kerberosNetwork}`);
    expect(res.status).toBe(409);
  });
});
